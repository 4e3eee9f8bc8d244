//! Data at rest (issue 12, item 5): whatever the umask, the data directory
//! psirt makes is 0700 and its files (the SQLite database with `-wal` and
//! `-shm`, the instance key's key-encryption key) are 0600; the instance's
//! OpenPGP secret key is stored locked with that key-encryption key; a
//! missing or wrong one is a clear error; a clear key an older psirt
//! stored is locked in place on the next start.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use psirt_mail::InstanceKey;
use sqlx::Connection;

/// `psirt ARGS` in `dir` with the umask most systems default to (022),
/// no configuration but `env`.
fn psirt(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_psirt"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `psirt ingest` of a small report: a command that needs the unlocked
/// instance key (to decrypt what arrives) and exits.
fn ingest(dir: &Path, env: &[(&str, &str)]) -> Output {
    let mut child = psirt(dir, env, &["ingest"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"From: Rita <rita@example.net>\r\nTo: security@example.org\r\nSubject: Overflow\r\nMessage-ID: <r1@example.net>\r\n\r\nThe EDNS buffer overflows.\r\n")
        .unwrap();
    child.wait_with_output().unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("psirt-data/psirt.db").display())
}

/// The stored armored secret key, read with a connection of its own.
fn stored_key(dir: &Path) -> String {
    block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&db_url(dir)).await.unwrap();
        let key: String =
            sqlx::query_scalar("SELECT armored_secret FROM instance_key WHERE id = 1")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        conn.close().await.unwrap();
        key
    })
}

fn sql(dir: &Path, statement: &str, bind: &str) -> Vec<String> {
    block_on(async {
        let mut conn = sqlx::SqliteConnection::connect(&db_url(dir)).await.unwrap();
        let rows: Vec<String> = if bind.is_empty() {
            sqlx::query_scalar(sqlx::AssertSqlSafe(statement.to_string()))
                .fetch_all(&mut conn)
                .await
                .unwrap()
        } else {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .bind(bind)
                .execute(&mut conn)
                .await
                .unwrap();
            Vec::new()
        };
        conn.close().await.unwrap();
        rows
    })
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> (Server, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let server = Server(
        psirt(dir, &[("PSIRT_LISTEN", &addr)], &["serve"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(key) = get(&addr, "/openpgp-key.asc")
            && key.starts_with("HTTP/1.1 200")
        {
            return (server, addr);
        }
        assert!(Instant::now() < deadline, "psirt serve never answered");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get(addr: &str, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn a_fresh_instance_keeps_its_files_private_and_its_key_locked() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr) = serve(dir.path());
    let data = dir.path().join("psirt-data");
    assert_eq!(mode(&data), 0o700, "the data directory");
    for file in ["psirt.db", "psirt.db-wal", "psirt.db-shm", "instance.kek"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let published = get(&addr, "/openpgp-key.asc").unwrap();
    drop(server);

    let kek = std::fs::read_to_string(data.join("instance.kek")).unwrap();
    let kek = kek.trim();
    assert!(
        kek.len() == 64 && kek.bytes().all(|b| b.is_ascii_hexdigit()),
        "32 random bytes in hexadecimal"
    );
    let stored = stored_key(dir.path());
    assert!(InstanceKey::is_protected(&stored).unwrap());
    let clear = InstanceKey::from_armored_secret(&stored).unwrap_err();
    assert_eq!(
        clear.to_string(),
        "key: the secret key is protected with a passphrase"
    );
    let wrong = InstanceKey::from_armored_protected(&stored, b"not the kek").unwrap_err();
    assert!(matches!(wrong, psirt_mail::Error::Passphrase), "{wrong}");
    let key = InstanceKey::from_armored_protected(&stored, kek.as_bytes()).unwrap();
    assert!(
        published.contains(&key.public_key_armored().unwrap()),
        "the published key is the stored one"
    );

    // GnuPG, independently: every secret key packet is S2K-protected.
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("secret.asc");
    std::fs::write(&file, &stored).unwrap();
    let packets = Command::new("gpg")
        .args(["--batch", "--list-packets"])
        .arg(&file)
        .env("GNUPGHOME", home.path())
        .output()
        .expect("gpg must be installed (apt-get install gnupg)");
    let packets = String::from_utf8_lossy(&packets.stdout).into_owned();
    let secret_packets = packets
        .lines()
        .filter(|l| {
            l.starts_with(":secret key packet:") || l.starts_with(":secret sub key packet:")
        })
        .count();
    assert_eq!(secret_packets, 2, "{packets}");
    assert_eq!(
        packets.matches("iter+salt S2K").count(),
        2,
        "both secret packets are locked:\n{packets}"
    );
    let secret_values: Vec<&str> = packets
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("skey["))
        .collect();
    assert_eq!(secret_values.len(), 2, "{packets}");
    assert!(
        secret_values.iter().all(|l| l.ends_with("[v4 protected]")),
        "no secret value in clear:\n{packets}"
    );
}

#[test]
fn a_missing_or_wrong_key_encryption_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let first = ingest(dir.path(), &[]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let kek = dir.path().join("psirt-data/instance.kek");
    let saved = dir.path().join("kek.backup");
    std::fs::rename(&kek, &saved).unwrap();

    let missing = ingest(dir.path(), &[]);
    assert_eq!(missing.status.code(), Some(75));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("the instance key in the database is locked, and the key file psirt-data/instance.kek (the default; or set key_file, PSIRT_KEY_FILE, or PSIRT_INSTANCE_KEY_PASSPHRASE) does not exist: restore it from your backup"),
        "{stderr}"
    );
    assert!(
        !kek.exists(),
        "no new key-encryption key is made for a locked key"
    );

    std::fs::write(
        &kek,
        "0000000000000000000000000000000000000000000000000000000000000000\n",
    )
    .unwrap();
    set_mode(&kek, 0o644);
    let wrong = ingest(dir.path(), &[]);
    assert_eq!(wrong.status.code(), Some(75));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("the instance key in the database cannot be unlocked with the key file psirt-data/instance.kek (the default; or set key_file, PSIRT_KEY_FILE, or PSIRT_INSTANCE_KEY_PASSPHRASE): it is not the key-encryption key that locked it"),
        "{stderr}"
    );
    assert_eq!(
        mode(&kek),
        0o600,
        "a loose key file psirt reads is tightened"
    );

    let by_env = ingest(
        dir.path(),
        &[(
            "PSIRT_INSTANCE_KEY_PASSPHRASE",
            "a wrong passphrase, long enough",
        )],
    );
    assert_eq!(by_env.status.code(), Some(75));
    let stderr = String::from_utf8_lossy(&by_env.stderr);
    assert!(
        stderr.contains("cannot be unlocked with PSIRT_INSTANCE_KEY_PASSPHRASE: it is not the key-encryption key that locked it"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("a wrong passphrase"),
        "the passphrase is never printed: {stderr}"
    );

    // A configured key file: the backup, restored elsewhere.
    let restored = ingest(dir.path(), &[("PSIRT_KEY_FILE", saved.to_str().unwrap())]);
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
}

#[test]
fn a_clear_key_stored_by_an_older_psirt_is_locked_in_place() {
    let dir = tempfile::tempdir().unwrap();
    // An older psirt: the schema, a clear key, files open to everyone.
    let migrated = psirt(dir.path(), &[], &["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        migrated.status.success(),
        "{}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    let old = InstanceKey::generate("psirt (instance key)").unwrap();
    sql(
        dir.path(),
        &format!(
            "INSERT INTO instance_key (id, armored_secret, fingerprint, created_at) VALUES (1, $1, '{}', 0)",
            old.fingerprint()
        ),
        &old.to_armored_secret().unwrap(),
    );
    let data = dir.path().join("psirt-data");
    set_mode(&data, 0o755);
    set_mode(&data.join("psirt.db"), 0o644);
    assert!(!data.join("instance.kek").exists());

    let upgraded = ingest(dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&upgraded.stderr).into_owned();
    assert!(upgraded.status.success(), "{stderr}");
    assert!(
        stderr.contains("the instance key was stored in clear by an older psirt; it is now locked with the key-encryption key"),
        "{stderr}"
    );
    assert!(
        stderr.contains("psirt's data directory is open to other local users"),
        "an open directory is warned about: {stderr}"
    );
    assert!(stderr.contains("made it 0600"), "{stderr}");
    assert_eq!(mode(&data.join("psirt.db")), 0o600);
    assert_eq!(
        mode(&data),
        0o755,
        "the directory is the operator's to change"
    );
    assert_eq!(mode(&data.join("instance.kek")), 0o600);

    let stored = stored_key(dir.path());
    let kek = std::fs::read_to_string(data.join("instance.kek")).unwrap();
    let key = InstanceKey::from_armored_protected(&stored, kek.trim().as_bytes()).unwrap();
    assert_eq!(
        key.fingerprint(),
        old.fingerprint(),
        "the same key, now locked"
    );
    let actions = sql(
        dir.path(),
        "SELECT action || ' ' || detail FROM audit_log WHERE action LIKE 'instance_key.%' ORDER BY seq",
        "",
    );
    assert_eq!(
        actions,
        [format!(
            "instance_key.protect fingerprint {}: the secret key is now locked with the key-encryption key",
            old.fingerprint()
        )]
    );
    let verified = psirt(dir.path(), &[], &["audit", "verify"])
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "the upgrade kept the chain intact"
    );

    // Once is enough: the next start finds it locked.
    let again = ingest(dir.path(), &[]);
    assert!(again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("stored in clear"));
}

#[test]
fn a_configuration_with_mail_passwords_readable_by_others_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("psirt.toml");
    std::fs::write(
        &config,
        "mail_from = \"security@example.org\"\nsmtp_url = \"smtp://psirt:s3cret@127.0.0.1:2525\"\n",
    )
    .unwrap();
    set_mode(&config, 0o644);
    let open = psirt(dir.path(), &[], &["audit", "head"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&open.stderr).into_owned();
    assert!(open.status.success(), "{stderr}");
    assert!(
        stderr.contains("the configuration holds mail passwords (smtp_url, imap_url) and other local users may read it: make it 0600"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    set_mode(&config, 0o600);
    let private = psirt(dir.path(), &[], &["audit", "head"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&private.stderr).contains("mail passwords"));
}

#[test]
fn a_projects_service_token_is_sealed_at_rest_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = psirt(dir.path(), &[], args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let token = dir.path().join("token");
    std::fs::write(&token, "ghp_TheTokenItself42\n").unwrap();
    let token = token.to_str().unwrap();
    let (code, out) = run(&[
        "project",
        "service",
        "github",
        "--slug",
        "default",
        "--repository",
        "coredns/coredns",
        "--secret-file",
        token,
    ]);
    assert_eq!(
        (code, out.as_str()),
        (
            Some(0),
            "default is connected to github coredns/coredns at https://api.github.com\n"
        )
    );
    let (code, out) = run(&["project", "service", "list", "--slug", "default"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.starts_with("github coredns/coredns at https://api.github.com\t"),
        "{out}"
    );
    assert!(!out.contains("ghp_"), "{out}");

    // Not in the database file, its journal or the audit log, in clear or
    // in hex.
    let clear_hex: String = b"TheTokenItself"
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    for file in ["psirt.db", "psirt.db-wal"] {
        let path = dir.path().join("psirt-data").join(file);
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("TheTokenItself") && !text.contains(&clear_hex),
            "{file}"
        );
    }
    assert_eq!(
        sql(
            dir.path(),
            "SELECT action FROM audit_log WHERE action LIKE 'project.service%'",
            ""
        ),
        ["project.service.set"]
    );

    // A plain-http API URL to another host is refused, naming the field;
    // nothing is written.
    let (code, out) = run(&[
        "project",
        "service",
        "cve",
        "--slug",
        "default",
        "--org",
        "coredns",
        "--user",
        "psirt@coredns.io",
        "--api-url",
        "http://cve.example/api",
        "--secret-file",
        token,
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("api_url: \"http://cve.example/api\" must use https://"),
        "{out}"
    );
    let (_, out) = run(&["project", "service", "list", "--slug", "default"]);
    assert_eq!(out.lines().count(), 1, "{out}");
}
