//! A private Dovecot IMAP server for tests: Debian's `dovecot-imapd` run
//! from its own configuration in a temporary directory, listening on free
//! loopback ports, with one user whose mail is a Maildir in that directory.
//! Optionally it also speaks TLS (STARTTLS and implicit TLS) with a
//! certificate from a throwaway CA made by the `openssl` command.
//!
//! It owns that directory and the Dovecot master process, which it stops
//! (and whose directory it removes) when dropped. It never touches the
//! machine's own Dovecot configuration or service, and never listens on
//! anything but 127.0.0.1. It must run as root: Dovecot drops to the `mail`
//! user for the mailbox, which is why the mail directory belongs to `mail`.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// The test user's name, an address as on a real mail server.
pub const USER: &str = "psirt@example.org";
/// The test user's password, with characters that a URL must escape.
pub const PASSWORD: &str = "p@ss w/rd%+";

/// How long the server may take to start, and one raw command to answer.
const PATIENCE: Duration = Duration::from_secs(15);

/// A running private Dovecot; stopped on drop.
pub struct Dovecot {
    dir: tempfile::TempDir,
    master: Option<Child>,
    port: u16,
    tls: Option<Tls>,
}

struct Tls {
    imaps_port: u16,
    ca_file: PathBuf,
}

/// What kind of server to start.
#[derive(Clone, Copy)]
struct Setup {
    tls: bool,
    idle: bool,
}

impl Dovecot {
    /// Starts Dovecot with plain IMAP only (`?tls=none` URLs).
    pub fn start() -> Dovecot {
        Dovecot::start_inner(Setup {
            tls: false,
            idle: true,
        })
    }

    /// Starts Dovecot with plain IMAP only and without IDLE in its
    /// capabilities, like a server that lacks it.
    pub fn start_without_idle() -> Dovecot {
        Dovecot::start_inner(Setup {
            tls: false,
            idle: false,
        })
    }

    /// Starts Dovecot with STARTTLS on the IMAP port and implicit TLS on a
    /// second port, its certificate (for `127.0.0.1` and `localhost`)
    /// signed by a fresh CA whose certificate is [`Dovecot::ca_file`].
    pub fn start_with_tls() -> Dovecot {
        Dovecot::start_inner(Setup {
            tls: true,
            idle: true,
        })
    }

    fn start_inner(setup: Setup) -> Dovecot {
        let binary = dovecot_binary();
        let uid_of_proc_self = std::fs::metadata("/proc/self").map(|m| m.uid());
        assert!(
            matches!(uid_of_proc_self, Ok(0)),
            "the private Dovecot must be started as root (it switches to the `mail` user)"
        );
        // Another process may take a port between the probe and Dovecot's
        // bind; a second try with new ports settles that.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Dovecot::try_start(&binary, setup) {
                Ok(dovecot) => return dovecot,
                Err(failure) => failures.push(failure),
            }
        }
        panic!(
            "the private Dovecot did not start:\n{}",
            failures.join("\n---\n")
        );
    }

    fn try_start(binary: &Path, setup: Setup) -> Result<Dovecot, String> {
        let dir = tempfile::Builder::new()
            .prefix("psirt-dovecot-")
            .tempdir()
            .map_err(|e| format!("temporary directory: {e}"))?;
        let root = dir.path();
        // Dovecot's processes run as `mail`, `dovecot` and `dovenull` and
        // must reach into the directory.
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| format!("chmod {}: {e}", root.display()))?;
        let (mail_uid, mail_gid) = mail_user();
        let mail = root.join("mail");
        std::fs::create_dir(&mail).map_err(|e| format!("mkdir {}: {e}", mail.display()))?;
        std::os::unix::fs::chown(&mail, Some(mail_uid), Some(mail_gid))
            .map_err(|e| format!("chown mail {}: {e}", mail.display()))?;
        let users = root.join("users");
        std::fs::write(&users, format!("{USER}:{{PLAIN}}{PASSWORD}\n"))
            .map_err(|e| format!("{}: {e}", users.display()))?;

        let port = free_port()?;
        let tls = match setup.tls {
            true => Some(Tls {
                imaps_port: free_port()?,
                ca_file: make_certificates(root)?,
            }),
            false => None,
        };
        let config = root.join("dovecot.conf");
        std::fs::write(&config, configuration(root, port, tls.as_ref(), setup.idle))
            .map_err(|e| format!("{}: {e}", config.display()))?;
        let stderr =
            std::fs::File::create(root.join("stderr")).map_err(|e| format!("stderr file: {e}"))?;
        let master = Command::new(binary)
            .arg("-F")
            .arg("-c")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        let mut dovecot = Dovecot {
            dir,
            master: Some(master),
            port,
            tls,
        };
        match dovecot.wait_until_ready() {
            Ok(()) => Ok(dovecot),
            Err(why) => Err(format!("{why}\n{}", dovecot.log())),
        }
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(master) = self.master.as_mut()
                && let Ok(Some(status)) = master.try_wait()
            {
                return Err(format!("dovecot exited with {status}"));
            }
            if let Ok(stream) = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)) {
                stream
                    .set_read_timeout(Some(PATIENCE))
                    .map_err(|e| e.to_string())?;
                let mut greeting = String::new();
                BufReader::new(stream)
                    .read_line(&mut greeting)
                    .map_err(|e| format!("reading the greeting: {e}"))?;
                if greeting.starts_with("* OK") {
                    return Ok(());
                }
                return Err(format!("unexpected greeting {greeting:?}"));
            }
            if started.elapsed() > PATIENCE {
                return Err(format!("nothing listened on port {} in time", self.port));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The plain IMAP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The implicit-TLS port; only with [`Dovecot::start_with_tls`].
    pub fn imaps_port(&self) -> u16 {
        self.tls().imaps_port
    }

    /// The URL psirt would be configured with for `mailbox` on this
    /// server, plain IMAP on loopback: `imap://…@127.0.0.1:PORT/MAILBOX?tls=none`.
    pub fn url(&self, mailbox: &str) -> String {
        format!(
            "{}?tls=none",
            self.url_with(PASSWORD, "imap", self.port, mailbox)
        )
    }

    /// The same with a wrong password, for tests of a refused login.
    pub fn url_with_password(&self, password: &str, mailbox: &str) -> String {
        format!(
            "{}?tls=none",
            self.url_with(password, "imap", self.port, mailbox)
        )
    }

    /// The URL for STARTTLS on the IMAP port (psirt's default for imap://);
    /// only with [`Dovecot::start_with_tls`]. Trust [`Dovecot::ca_file`].
    pub fn starttls_url(&self, mailbox: &str) -> String {
        self.tls();
        self.url_with(PASSWORD, "imap", self.port, mailbox)
    }

    /// The `imaps://` URL of the implicit-TLS port; only with
    /// [`Dovecot::start_with_tls`]. Trust [`Dovecot::ca_file`].
    pub fn imaps_url(&self, mailbox: &str) -> String {
        self.url_with(PASSWORD, "imaps", self.tls().imaps_port, mailbox)
    }

    fn url_with(&self, password: &str, scheme: &str, port: u16, mailbox: &str) -> String {
        let user = utf8_percent_encode(USER, NON_ALPHANUMERIC);
        let password = utf8_percent_encode(password, NON_ALPHANUMERIC);
        let mailbox = utf8_percent_encode(mailbox, NON_ALPHANUMERIC);
        format!("{scheme}://{user}:{password}@127.0.0.1:{port}/{mailbox}")
    }

    /// The PEM certificate of the CA that signed the server's certificate;
    /// only with [`Dovecot::start_with_tls`].
    pub fn ca_file(&self) -> &Path {
        &self.tls().ca_file
    }

    fn tls(&self) -> &Tls {
        self.tls
            .as_ref()
            .expect("this Dovecot has no TLS: start it with Dovecot::start_with_tls()")
    }

    /// Delivers a message into INBOX (IMAP APPEND, as a second client
    /// would) and returns its UID.
    pub fn append(&self, raw: &[u8]) -> u32 {
        self.append_to("INBOX", raw)
    }

    /// Delivers a message into `mailbox` and returns its UID.
    pub fn append_to(&self, mailbox: &str, raw: &[u8]) -> u32 {
        let mut imap = self.raw_client();
        let done = imap.command_with_literal(&format!("APPEND {}", quoted(mailbox)), raw);
        let uid = done
            .split_once("[APPENDUID ")
            .and_then(|(_, rest)| rest.split([' ', ']']).nth(1))
            .and_then(|uid| uid.parse().ok());
        imap.logout();
        uid.unwrap_or_else(|| panic!("no APPENDUID in Dovecot's answer {done:?}"))
    }

    /// The flags of the INBOX message with this UID, as Dovecot lists them
    /// (`\Seen \Recent`, say).
    pub fn flags(&self, uid: u32) -> String {
        let mut imap = self.raw_client();
        imap.command("SELECT INBOX");
        let tag = imap.next_tag();
        imap.send(format!("{tag} UID FETCH {uid} (FLAGS)\r\n").as_bytes());
        let mut flags = None;
        loop {
            let line = imap.line();
            if let Some((_, rest)) = line.split_once("FLAGS (") {
                flags = rest.split_once(')').map(|(list, _)| list.to_owned());
            }
            if line.starts_with(&format!("{tag} ")) {
                break;
            }
        }
        imap.logout();
        flags.unwrap_or_else(|| panic!("Dovecot has no message with UID {uid} in INBOX"))
    }

    /// Creates a mailbox besides INBOX.
    pub fn create_mailbox(&self, name: &str) {
        let mut imap = self.raw_client();
        imap.command(&format!("CREATE {}", quoted(name)));
        imap.logout();
    }

    /// Dovecot's log so far, for failure messages.
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.path().join(name));
        format!(
            "Dovecot's log:\n{}\nDovecot's stderr:\n{}",
            read("dovecot.log").unwrap_or_default(),
            read("stderr").unwrap_or_default()
        )
    }

    /// Stops the server (SIGTERM to the master, which ends its children)
    /// and waits for it. Dropping does the same.
    pub fn stop(&mut self) {
        let Some(mut master) = self.master.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(master.id().to_string())
            .status();
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = master.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = master.kill();
        let _ = master.wait();
    }

    fn raw_client(&self) -> RawImap {
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .unwrap_or_else(|e| panic!("connecting to Dovecot: {e}\n{}", self.log()));
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut imap = RawImap {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            tag: 0,
        };
        let greeting = imap.line();
        assert!(greeting.starts_with("* OK"), "Dovecot greeted {greeting:?}");
        imap.command(&format!("LOGIN {} {}", quoted(USER), quoted(PASSWORD)));
        imap
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Just enough IMAP to log in, APPEND and CREATE, independent of the client
/// under test.
struct RawImap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl RawImap {
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .expect("reading from Dovecot");
        assert!(!line.is_empty(), "Dovecot closed the connection");
        line
    }

    fn send(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).expect("writing to Dovecot");
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("t{}", self.tag)
    }

    /// Sends a command and returns its tagged answer, which must be OK.
    fn command(&mut self, command: &str) -> String {
        let tag = self.next_tag();
        self.send(format!("{tag} {command}\r\n").as_bytes());
        self.tagged(&tag, command)
    }

    /// Sends a command ending in a synchronizing literal (RFC 3501 §4.3).
    fn command_with_literal(&mut self, command: &str, literal: &[u8]) -> String {
        let tag = self.next_tag();
        self.send(format!("{tag} {command} {{{}}}\r\n", literal.len()).as_bytes());
        let go_ahead = self.line();
        assert!(
            go_ahead.starts_with('+'),
            "Dovecot refused the literal of {command}: {go_ahead:?}"
        );
        self.send(literal);
        self.send(b"\r\n");
        self.tagged(&tag, command)
    }

    fn tagged(&mut self, tag: &str, command: &str) -> String {
        let prefix = format!("{tag} ");
        loop {
            let line = self.line();
            if let Some(answer) = line.strip_prefix(&prefix) {
                assert!(
                    answer.starts_with("OK"),
                    "Dovecot answered {command}: {line:?}"
                );
                return line;
            }
        }
    }

    fn logout(mut self) {
        let tag = self.next_tag();
        self.send(format!("{tag} LOGOUT\r\n").as_bytes());
        // The BYE and tagged OK need not be read; the server closes.
        let mut rest = Vec::new();
        let _ = self.reader.read_to_end(&mut rest);
    }
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dovecot_binary() -> PathBuf {
    let debian = PathBuf::from("/usr/sbin/dovecot");
    if debian.exists() {
        return debian;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("dovecot"))
        .find(|candidate| candidate.exists());
    on_path.unwrap_or_else(|| {
        panic!(
            "Dovecot is not installed; the IMAP tests need Debian's: \
             DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd"
        )
    })
}

/// The uid and gid of the `mail` user (8 and 8 on Debian).
fn mail_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .filter_map(|line| line.strip_prefix("mail:"))
        .find_map(|rest| {
            let mut fields = rest.split(':').skip(1);
            Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
        })
        .unwrap_or((8, 8))
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

/// Makes a CA and a server certificate signed by it (P-256 keys, valid two
/// days), the way an administrator would with `openssl`, and returns the
/// CA certificate's path. rustls refuses a self-signed certificate that is
/// its own CA as a server certificate, hence the two.
fn make_certificates(root: &Path) -> Result<PathBuf, String> {
    let openssl = |args: &[&str]| -> Result<(), String> {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(root)
            .output()
            .map_err(|e| format!("openssl (apt-get install openssl): {e}"))?;
        match output.status.success() {
            true => Ok(()),
            false => Err(format!(
                "openssl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            )),
        }
    };
    // `openssl req -x509` with a new P-256 key, valid two days.
    let certificate = |subject: &str, rest: &[&str]| {
        let new = ["req", "-x509", "-nodes", "-days", "2", "-subj", subject];
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        openssl(&[&new[..], &key, rest].concat())
    };
    certificate(
        "/CN=psirt test CA",
        &["-keyout", "ca.key", "-out", "ca.pem"],
    )?;
    certificate(
        "/CN=localhost",
        &[
            &["-CA", "ca.pem", "-CAkey", "ca.key"][..],
            &["-keyout", "server.key", "-out", "server.pem"],
            &["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
            &["-addext", "basicConstraints=critical,CA:FALSE"],
            &["-addext", "extendedKeyUsage=serverAuth"],
        ]
        .concat(),
    )?;
    Ok(root.join("ca.pem"))
}

fn configuration(root: &Path, port: u16, tls: Option<&Tls>, idle: bool) -> String {
    let dir = root.display();
    let mut config = format!(
        "\
# A private Dovecot for psirt's tests; see psirt_mail::testing::dovecot.
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
disable_plaintext_auth = no
auth_mechanisms = plain login
# A refused login should answer at once, not after the usual 2 s.
auth_failure_delay = 0
first_valid_uid = 8
mail_location = maildir:{dir}/mail/%u
# Notice new mail within a second while idling, even without inotify.
mailbox_idle_check_interval = 1 secs
mail_max_userip_connections = 50
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={dir}/mail/%u
}}
"
    );
    if !idle {
        // Dovecot's own list less IDLE and the extensions psirt never uses.
        config.push_str(
            "imap_capability = IMAP4rev1 LITERAL+ SASL-IR LOGIN-REFERRALS ID ENABLE \
             UNSELECT CHILDREN NAMESPACE UIDPLUS MOVE\n",
        );
    }
    match tls {
        None => {
            let _ = write!(
                config,
                "\
ssl = no
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"
            );
        }
        Some(tls) => {
            let _ = write!(
                config,
                "\
ssl = yes
ssl_cert = <{dir}/server.pem
ssl_key = <{dir}/server.key
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
",
                imaps_port = tls.imaps_port
            );
        }
    }
    config
}
