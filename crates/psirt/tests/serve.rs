//! `psirt serve` on its embedded default: a fresh directory, no
//! configuration, SQLite created on first run, `/healthz` answering 200.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::PgDatabase;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    /// Starts `psirt serve` in `dir` on a free loopback port, with no
    /// configuration but the address (and, with `log`, debug logging to
    /// that file), and waits until `/healthz` answers. Returns the address.
    fn start(dir: &std::path::Path, log: Option<&std::path::Path>) -> (Server, String) {
        Server::start_with(dir, log, &[])
    }

    /// As `start`, with `env` added.
    fn start_with(
        dir: &std::path::Path,
        log: Option<&std::path::Path>,
        env: &[(&str, &str)],
    ) -> (Server, String) {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let mut command = Command::new(env!("CARGO_BIN_EXE_psirt"));
        command
            .arg("serve")
            .current_dir(dir)
            .env_clear()
            .env("PSIRT_LISTEN", &addr)
            .envs(env.iter().copied())
            .stdout(Stdio::null());
        match log {
            Some(path) => command
                .env("PSIRT_LOG", "debug")
                .stderr(std::fs::File::create(path).unwrap()),
            None => command.stderr(Stdio::null()),
        };
        let server = Server(command.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Err(e) = get(&addr, "/healthz") {
            assert!(
                Instant::now() < deadline,
                "psirt serve never answered on {addr}: {e}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        (server, addr)
    }
}

fn send(addr: &str, request: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(request.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

fn post_json(addr: &str, path: &str, body: &str) -> String {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    send(addr, &request).unwrap()
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
fn serve_creates_its_sqlite_database_and_answers_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = Server::start(dir.path(), None);
    let response = get(&addr, "/healthz").unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\nok\n"), "{response}");
    assert!(
        dir.path().join("psirt-data/psirt.db").exists(),
        "the default SQLite file is created on first run"
    );
    let wal = std::fs::read(dir.path().join("psirt-data/psirt.db")).unwrap();
    // SQLite's header records WAL mode as file format versions 2 at bytes 18 and 19.
    assert_eq!(&wal[18..20], &[2, 2], "the database is in WAL mode");
    let missing = get(&addr, "/nope").unwrap();
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}

#[test]
fn the_server_log_never_shows_report_bodies_or_tokens() {
    log_never_shows_report_bodies_or_tokens("text");
}

/// `PSIRT_LOG_FORMAT=json`: one JSON object per line, and the same
/// absences.
#[test]
fn the_json_server_log_never_shows_report_bodies_or_tokens() {
    let text = log_never_shows_report_bodies_or_tokens("json");
    for line in text.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry["level"].is_string() && entry["fields"].is_object(),
            "{line}"
        );
    }
}

fn log_never_shows_report_bodies_or_tokens(format: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("serve.log");
    let (mut server, addr) =
        Server::start_with(dir.path(), Some(&log), &[("PSIRT_LOG_FORMAT", format)]);
    let secret = "SECRET-REPRODUCER-0xdeadbeef";
    let response = post_json(
        &addr,
        "/api/v1/reports",
        &format!(
            r#"{{"summary": "Overflow", "details": "{secret}", "reporter_email": "rita@example.net"}}"#
        ),
    );
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    let token = response
        .split("/api/v1/status/")
        .nth(1)
        .unwrap()
        .split(['"', '\r'])
        .next()
        .unwrap()
        .to_string();
    let status = get(&addr, &format!("/api/v1/status/{token}")).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let _ = server.0.kill();
    let _ = server.0.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("request"),
        "the request log is written: {text}"
    );
    assert!(text.contains("/api/v1/status/<redacted>"), "{text}");
    assert!(
        !text.contains(secret),
        "the report body leaked into the log"
    );
    assert!(
        !text.contains(&token),
        "the status token leaked into the log"
    );
    assert!(
        !text.contains("rita@example.net"),
        "the reporter's address leaked into the log"
    );
    text
}

/// DESIGN §6: a report that was acknowledged is never lost, even when the
/// server dies (SIGKILL, no shutdown) in the middle of concurrent intake,
/// whose reports are committed in groups (`psirt-store`'s `group.rs`):
/// every report answered 201 before the kill is there afterwards.
#[test]
fn an_acknowledged_report_survives_a_crash_right_after_the_201() {
    acknowledged_reports_survive_sigkill(&[]);
}

/// The same on PostgreSQL.
#[test]
fn an_acknowledged_report_survives_a_crash_on_postgres() {
    let db = PgDatabase::create();
    acknowledged_reports_survive_sigkill(&[("PSIRT_DATABASE_URL", &db.url())]);
}

fn acknowledged_reports_survive_sigkill(env: &[(&str, &str)]) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let mut server_env = env.to_vec();
    server_env.push(("PSIRT_INTAKE_PER_MINUTE", "100000"));
    let (mut server, addr) = Server::start_with(dir.path(), None, &server_env);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    // Eight clients post reports as fast as they are answered.
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (addr, acknowledged, stop) = (addr.clone(), acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let body = format!(r#"{{"summary": "Crash {c}.{i}", "details": "x"}}"#);
                    let request = format!(
                        "POST /api/v1/reports HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    // After the kill: refused, reset or cut short.
                    let Ok(response) = send(&addr, &request) else {
                        return;
                    };
                    if !response.starts_with("HTTP/1.1 201") {
                        return;
                    }
                    let reference = response.split(r#""reference":""#).nth(1).unwrap();
                    let reference = reference.split('"').next().unwrap().to_string();
                    acknowledged.lock().unwrap().push(reference);
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.lock().unwrap().len() < 40 {
        assert!(Instant::now() < deadline, "intake too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SIGKILL while the clients are still posting: no graceful shutdown,
    // no chance to flush anything more.
    server.0.kill().unwrap();
    server.0.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    let psirt = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_psirt"))
            .args(args)
            .current_dir(dir.path())
            .env_clear()
            .envs(env.iter().copied())
            .output()
            .unwrap()
    };
    let add = psirt(&[
        "user",
        "add",
        "--email",
        "pst@example.org",
        "--name",
        "PST",
        "--role",
        "pst",
    ]);
    assert!(add.status.success(), "{add:?}");
    let listed = psirt(&["case", "list", "--as", "pst@example.org", "--limit", "200"]);
    let listed = String::from_utf8(listed.stdout).unwrap();
    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() >= 40);
    for reference in acknowledged.iter() {
        assert!(
            listed.contains(reference.as_str()),
            "{reference} lost after the crash:\n{listed}"
        );
    }
}

/// The instance makes its OpenPGP key on first run, publishes it at a
/// stable URL and on the policy page, and keeps it across restarts; GnuPG
/// reads it with the same fingerprint.
#[test]
fn the_instance_key_is_made_once_and_published() {
    let dir = tempfile::tempdir().unwrap();
    let fetch = || {
        let (mut server, addr) = Server::start(dir.path(), None);
        let key = get(&addr, "/openpgp-key.asc").unwrap();
        let policy = get(&addr, "/").unwrap();
        let _ = server.0.kill();
        let _ = server.0.wait();
        (key, policy)
    };
    let (first, policy) = fetch();
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(
        first
            .to_ascii_lowercase()
            .contains("content-type: application/pgp-keys"),
        "{first}"
    );
    let armored = first.split("\r\n\r\n").nth(1).unwrap().to_string();
    assert!(
        armored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"),
        "{armored}"
    );
    assert!(
        !armored.contains("PRIVATE"),
        "only the public key is published"
    );
    let (second, _) = fetch();
    assert_eq!(
        second.split("\r\n\r\n").nth(1).unwrap(),
        armored,
        "the same key after a restart"
    );

    // GnuPG reads it; the policy page names the same fingerprint.
    let home = tempfile::tempdir().unwrap();
    let key_file = home.path().join("key.asc");
    std::fs::write(&key_file, &armored).unwrap();
    let out = Command::new("gpg")
        .args(["--batch", "--with-colons", "--show-keys"])
        .arg(&key_file)
        .env("GNUPGHOME", home.path())
        .output()
        .expect("gpg must be installed (apt-get install gnupg)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8(out.stdout).unwrap();
    let fingerprint = listing
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .unwrap()
        .split(':')
        .nth(9)
        .unwrap()
        .to_string();
    assert_eq!(fingerprint.len(), 40, "{listing}");
    assert!(
        policy.contains(&fingerprint),
        "the policy page names the key's fingerprint {fingerprint}"
    );
    assert!(policy.contains("href=\"/openpgp-key.asc\""));
}

/// The server always uses the clock: `PSIRT_NOW`, meant for commands, is
/// not silently ignored there.
#[test]
fn serve_warns_that_psirt_now_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .env("PSIRT_NOW", "2026-11-02T09:00:00Z")
        // Not an address: the server stops right after the warning.
        .env("PSIRT_LISTEN", "nowhere")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("PSIRT_NOW is set"), "{stderr}");
}

/// `psirt serve` runs the jobs in its own process, and its `/metrics`
/// counts their rounds: the reminder, publication and checkpoint jobs run
/// once at start, without anything to do, and none of them failed.
#[test]
fn metrics_count_the_jobs_rounds_in_this_process() {
    let dir = tempfile::tempdir().unwrap();
    let token = "scrape-token-0123456789abcdef";
    let token_file = dir.path().join("scrape-token");
    std::fs::write(&token_file, token).unwrap();
    let (_server, addr) = Server::start_with(
        dir.path(),
        None,
        &[("PSIRT_METRICS_TOKEN_FILE", token_file.to_str().unwrap())],
    );
    let scrape = || {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        write!(
            s,
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    };
    let figure = |text: &str, name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().parse().unwrap())
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = scrape();
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        let ran = ["remind", "publish", "checkpoint"]
            .map(|job| figure(&text, &format!("psirt_job_runs_total{{job=\"{job}\"}}")));
        if ran.iter().all(|n| n.is_some_and(|n| n >= 1)) {
            for job in ["remind", "publish", "checkpoint"] {
                assert_eq!(
                    figure(&text, &format!("psirt_job_failures_total{{job=\"{job}\"}}")),
                    Some(0),
                    "{job}:\n{text}"
                );
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the jobs' rounds never showed:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
