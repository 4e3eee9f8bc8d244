//! `psirt serve` runs the CVE Services steps with the project's own CNA
//! account: the operator connects the project (`psirt project service
//! cve`, the API key from a file), the Fix Lead asks for a CVE through the
//! API, and the server's job reserves one id at the CVE Services stand-in
//! with that account and records it on the case.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use psirt_cve::testing::{KEY, ORG, StandIn, USER};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn psirt(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_psirt"));
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    cmd
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = psirt(dir, args).output().unwrap();
    assert!(
        out.status.success(),
        "psirt {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 request; the status and the body.
fn call(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = if token.is_empty() {
        String::new()
    } else {
        format!("Authorization: Bearer {token}\r\n")
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    // Bodies come chunked or with a length; the JSON is the part in braces.
    let json = match (body.find('{'), body.rfind('}')) {
        (Some(a), Some(b)) => body[a..=b].to_string(),
        _ => body.to_string(),
    };
    (status, json)
}

#[test]
fn serve_reserves_a_cve_with_the_projects_own_account() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let stand_in = runtime.block_on(StandIn::start(10));
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("cve.key");
    std::fs::write(&key, format!("{KEY}\n")).unwrap();
    ok(
        dir.path(),
        &[
            "project",
            "service",
            "cve",
            "--slug",
            "default",
            "--api-url",
            &stand_in.url,
            "--org",
            ORG,
            "--user",
            USER,
            "--secret-file",
            key.to_str().unwrap(),
        ],
    );
    let token = ok(
        dir.path(),
        &[
            "user",
            "add",
            "--email",
            "alice@example.org",
            "--name",
            "Alice",
            "--role",
            "pst",
        ],
    )
    .trim()
    .to_string();

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _server = Server(
        psirt(dir.path(), &["serve"])
            .env("PSIRT_LISTEN", &addr)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "psirt serve never listened");
        std::thread::sleep(Duration::from_millis(50));
    }

    let (status, report) = call(
        &addr,
        "POST",
        "/api/v1/reports",
        "",
        r#"{"summary": "Cache poisoning", "details": "dig @127.0.0.1 evil.example"}"#,
    );
    assert_eq!(status, 201, "{report}");
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    let reference = report["reference"].as_str().unwrap().to_string();
    let commands = format!("/api/v1/cases/{reference}/commands");
    for command in [
        r#"{"command": {"type": "assign_fix_lead", "lead": "alice@example.org", "reason": "on call"}}"#,
        r#"{"command": {"type": "request_cve_reservation"}}"#,
    ] {
        let (status, body) = call(&addr, "POST", &commands, &token, command);
        assert_eq!(status, 200, "{command}: {body}");
    }

    // The job runs every 15 s; it reserves once and records the id.
    let deadline = Instant::now() + Duration::from_secs(60);
    let cves = loop {
        let (status, case) = call(
            &addr,
            "GET",
            &format!("/api/v1/cases/{reference}"),
            &token,
            "",
        );
        assert_eq!(status, 200, "{case}");
        let case: serde_json::Value = serde_json::from_str(&case).unwrap();
        let cves = case["cves"].as_array().cloned().unwrap_or_default();
        if !cves.is_empty() {
            break cves;
        }
        assert!(Instant::now() < deadline, "no CVE reserved: {case}");
        std::thread::sleep(Duration::from_millis(250));
    };
    // The stand-in reserves only for its ORG, USER and KEY (anything else
    // is a 401), so the id shows the project's account was the one used.
    let reserved = stand_in.reserved();
    assert_eq!(reserved.len(), 1, "one id");
    assert_eq!(cves, [serde_json::Value::String(reserved[0].clone())]);
}
