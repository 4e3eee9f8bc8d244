//! A private SMTP server for tests: Python's aiosmtpd 1.4.6 running the
//! script next to this file on a free 127.0.0.1 port, keeping every message
//! it accepts (envelope and bytes) in a temporary directory.
//!
//! It owns its process and its directory: the server is killed and the
//! directory removed when the [`SmtpSink`] is dropped. It can require
//! `STARTTLS` with a self-signed certificate (made with Debian's `openssl`
//! command, so psirt needs no certificate crate) and `AUTH PLAIN`/`LOGIN`,
//! refuse chosen recipients with a chosen reply code, and go down and come
//! back on the same port, for the outbox's fault tests. It never listens on
//! anything but loopback and is never used by psirt itself.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::smtp::SmtpConfig;

const SCRIPT: &str = include_str!("smtp_sink.py");

/// How the sink behaves.
#[derive(Clone, Debug, Default)]
pub struct SinkOptions {
    /// Offer and require `STARTTLS` with a fresh self-signed certificate for
    /// 127.0.0.1 (see [`SmtpSink::ca_file`]).
    pub starttls: bool,
    /// Speak TLS from the first byte (`smtps://`, RFC 8314) with the same
    /// kind of certificate, instead of STARTTLS.
    pub implicit_tls: bool,
    /// Require `AUTH` with this user and password (over TLS when `starttls`).
    pub auth: Option<(String, String)>,
    /// Refuse `RCPT TO` of these addresses with these reply codes (a 4xx
    /// code for a temporary, a 5xx code for a permanent refusal).
    pub reject: Vec<(String, u16)>,
    /// Spend this long on each message's DATA before storing it, with a
    /// `receiving` marker meanwhile (see [`SmtpSink::wait_receiving`]); a
    /// client that disconnects during the delay leaves nothing stored.
    pub data_delay: Option<Duration>,
}

/// One message as the sink received it.
#[derive(Clone, PartialEq, Eq)]
pub struct Received {
    /// The `MAIL FROM` address (empty for the null reverse path).
    pub mail_from: String,
    /// The accepted `RCPT TO` addresses, in order.
    pub rcpt_to: Vec<String>,
    /// The message exactly as received (dot-stuffing undone).
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Received {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Received")
            .field("mail_from", &self.mail_from)
            .field("rcpt_to", &self.rcpt_to)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// A running (or stopped) test SMTP server.
pub struct SmtpSink {
    dir: tempfile::TempDir,
    options: SinkOptions,
    port: u16,
    child: Option<Child>,
}

impl fmt::Debug for SmtpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSink")
            .field("port", &self.port)
            .field("running", &self.child.is_some())
            .field("starttls", &self.options.starttls)
            .finish_non_exhaustive()
    }
}

impl SmtpSink {
    /// Starts the server on a free port and waits until it listens. Panics
    /// with what to install when Python's aiosmtpd or `openssl` is missing.
    pub fn start(options: SinkOptions) -> SmtpSink {
        let found = Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        assert!(
            found.is_ok_and(|s| s.success()),
            "the SMTP tests need Python's aiosmtpd: pip install aiosmtpd==1.4.6 (scripts/test does this)"
        );
        let dir = tempfile::tempdir().expect("a temporary directory for the SMTP sink");
        std::fs::create_dir(dir.path().join("messages")).expect("the sink's message directory");
        std::fs::write(dir.path().join("smtp_sink.py"), SCRIPT).expect("the sink's script");
        if options.starttls || options.implicit_tls {
            make_certificate(dir.path());
        }
        let mut sink = SmtpSink {
            dir,
            options,
            port: 0,
            child: None,
        };
        sink.spawn(Duration::from_secs(20));
        sink
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL psirt is configured with to deliver here: `STARTTLS` required
    /// when the sink offers it (trust [`SmtpSink::ca_file`]), `?tls=none`
    /// otherwise; with the user and password when the sink wants `AUTH`.
    pub fn url(&self) -> String {
        let userinfo = match &self.options.auth {
            Some((user, password)) => format!("{}:{}@", escape(user), escape(password)),
            None => String::new(),
        };
        if self.options.implicit_tls {
            return format!("smtps://{userinfo}127.0.0.1:{}", self.port);
        }
        let query = if self.options.starttls {
            ""
        } else {
            "?tls=none"
        };
        format!("smtp://{userinfo}127.0.0.1:{}{query}", self.port)
    }

    /// [`SmtpSink::url`] with the CA file, ready for [`crate::Smtp::new`],
    /// and a short timeout so that fault tests finish quickly.
    pub fn config(&self) -> SmtpConfig {
        let config = SmtpConfig::from_url(&self.url())
            .expect("the sink's URL is valid")
            .with_timeout(Duration::from_secs(10));
        match self.ca_file() {
            Some(path) => config.with_ca_file(path),
            None => config,
        }
    }

    /// The self-signed certificate (PEM) the sink presents, to trust.
    pub fn ca_file(&self) -> Option<PathBuf> {
        (self.options.starttls || self.options.implicit_tls)
            .then(|| self.dir.path().join("cert.pem"))
    }

    /// Takes the server down; the port then refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Brings the server back on the same port, keeping the messages
    /// received so far.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn(Duration::from_secs(20));
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        let dir = self.dir.path().join("messages");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("the sink's message directory")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|eml| {
                let bytes = std::fs::read(&eml).expect("a stored message");
                let envelope = std::fs::read_to_string(eml.with_extension("envelope"))
                    .expect("a stored envelope");
                let mut lines = envelope.lines().map(str::to_string);
                Received {
                    mail_from: lines.next().unwrap_or_default(),
                    rcpt_to: lines.collect(),
                    bytes,
                }
            })
            .collect()
    }

    /// Waits until a message is being received (its DATA is in progress
    /// under [`SinkOptions::data_delay`]); panics after `timeout`.
    pub fn wait_receiving(&self, timeout: Duration) {
        let marker = self.dir.path().join("messages").join("receiving");
        let deadline = Instant::now() + timeout;
        while !marker.exists() {
            assert!(
                Instant::now() < deadline,
                "no message was being received within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until at least `n` messages arrived and returns all of them;
    /// panics after `timeout`.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP sink received {} message(s) within {timeout:?}, expected {n}",
                messages.len()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn spawn(&mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        loop {
            match self.try_spawn() {
                Ok(()) => return,
                // The old socket on the same port may take a moment to go.
                Err(_) if Instant::now() < deadline && self.port != 0 => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(log) => panic!("the SMTP sink (aiosmtpd) did not start:\n{log}"),
            }
        }
    }

    fn try_spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path();
        let log_path = dir.join("smtp_sink.log");
        let log = std::fs::File::create(&log_path).expect("the sink's log file");
        let mut command = Command::new("python3");
        command
            .arg(dir.join("smtp_sink.py"))
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--dir")
            .arg(dir.join("messages"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        if self.options.implicit_tls {
            command.arg("--implicit-tls");
        }
        if self.options.starttls || self.options.implicit_tls {
            command
                .arg("--cert")
                .arg(dir.join("cert.pem"))
                .arg("--key")
                .arg(dir.join("key.pem"));
        }
        if let Some(delay) = self.options.data_delay {
            command.arg("--delay").arg(delay.as_secs_f64().to_string());
        }
        if let Some((user, password)) = &self.options.auth {
            command
                .arg("--user")
                .arg(user)
                .env("SMTP_SINK_PASSWORD", password);
        }
        for (address, code) in &self.options.reject {
            command.arg("--reject").arg(format!("{address}={code}"));
        }
        let mut child = command.spawn().map_err(|e| format!("python3: {e}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = BufReader::new(stdout);
        let _ = reader.read_line(&mut line);
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            let mut log = String::new();
            let _ = std::fs::File::open(&log_path).and_then(|mut f| f.read_to_string(&mut log));
            return Err(log);
        };
        self.port = port;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A self-signed certificate for 127.0.0.1 that is not a CA, so that rustls
/// accepts it as the server's own certificate and as the anchor trusted.
fn make_certificate(dir: &Path) {
    let config = "[req]\ndistinguished_name = dn\nx509_extensions = leaf\nprompt = no\n\
                  [dn]\nCN = 127.0.0.1\n\
                  [leaf]\nbasicConstraints = critical, CA:FALSE\n\
                  subjectAltName = IP:127.0.0.1, DNS:localhost\n\
                  keyUsage = critical, digitalSignature, keyEncipherment\n\
                  extendedKeyUsage = serverAuth\n";
    let config_path = dir.join("openssl.cnf");
    std::fs::write(&config_path, config).expect("the openssl configuration");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "2", "-config"])
        .arg(&config_path)
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .output();
    match out {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "openssl could not make the sink's certificate:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            panic!("the STARTTLS tests need the openssl command (apt-get install openssl): {e}")
        }
    }
}

fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
