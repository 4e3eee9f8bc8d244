//! Replicas (issue 15): three `psirt serve` on one PostgreSQL, with nothing
//! in front of them but the test's round-robin. Reports and Fix Lead
//! assignments go to any replica; one replica is killed with SIGKILL in
//! the middle of the load. Afterwards every acknowledged report is there,
//! every acknowledgement reached the (real) SMTP server exactly once, the
//! audit chain verifies, and the Fix Lead rotation stayed fair.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use psirt_mail::testing::smtp_sink::{SinkOptions, SmtpSink};
use serde_json::Value;

mod support;
use support::PgDatabase;

const REPORTS: usize = 45;
const PST: [&str; 3] = ["alice", "bob", "carol"];

struct Replicas(Vec<Option<Child>>);

impl Drop for Replicas {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn psirt(dir: &std::path::Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_psirt"));
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PSIRT_DATABASE_URL", url)
        .env("PSIRT_KEY_FILE", dir.join("instance.kek"))
        .env("PSIRT_MAIL_FROM", "security@example.org")
        .args(args);
    cmd
}

fn ok(dir: &std::path::Path, url: &str, args: &[&str]) -> String {
    let out = psirt(dir, url, args).output().unwrap();
    assert!(
        out.status.success(),
        "psirt {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// One HTTP/1.1 request; `None` when the replica does not answer.
fn call(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &Value,
) -> Option<(u16, Value)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let body = body.to_string();
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let status: u16 = text.split(' ').nth(1)?.parse().ok()?;
    let (_, body) = text.split_once("\r\n\r\n")?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn free_addr() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
}

fn wait_healthy(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut s) = TcpStream::connect(addr) {
            let _ = s.write_all(
                format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            if out.starts_with("HTTP/1.1 200") {
                return;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("replica at {addr} never became healthy");
}

#[test]
fn three_replicas_lose_nothing_when_one_is_killed_mid_load() {
    let db = PgDatabase::create();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(SinkOptions::default());

    let mut tokens = BTreeMap::new();
    for name in PST {
        let email = format!("{name}@example.org");
        let out = ok(
            dir.path(),
            &url,
            &[
                "user", "add", "--email", &email, "--name", name, "--role", "pst",
            ],
        );
        tokens.insert(name, out.trim().lines().last().unwrap().to_string());
    }
    // The instance key, made once before the replicas share it.
    ok(dir.path(), &url, &["key", "instance"]);

    let addrs: Vec<String> = (0..3).map(|_| free_addr()).collect();
    let mut replicas = Replicas(Vec::new());
    for (i, addr) in addrs.iter().enumerate() {
        let log = std::fs::File::create(dir.path().join(format!("replica{i}.log"))).unwrap();
        let child = psirt(dir.path(), &url, &["serve"])
            .env("PSIRT_LISTEN", addr)
            .env("PSIRT_SMTP_URL", sink.url())
            .env("PSIRT_OUTBOX_RETRY", "1s")
            .env("PSIRT_OUTBOX_LEASE", "3s")
            .env("PSIRT_INTAKE_PER_MINUTE", "1000")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        replicas.0.push(Some(child));
    }
    for addr in &addrs {
        wait_healthy(addr);
    }

    // Three clients, each starting on its own replica and moving round
    // the ring when one does not answer. A report the killed replica took
    // but never answered is sent again under a new address, as a reporter
    // without an answer would.
    let acked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let alice = tokens["alice"].clone();
    let clients: Vec<_> = (0..3)
        .map(|client| {
            let (addrs, acked, alice) = (addrs.clone(), acked.clone(), alice.clone());
            std::thread::spawn(move || {
                let mut next = client;
                for n in (client..REPORTS).step_by(3) {
                    let mut attempt = 0;
                    loop {
                        let addr = &addrs[next % 3];
                        next += 1;
                        let email = format!("r{n}-{attempt}@example.net");
                        let body = serde_json::json!({
                            "summary": format!("Report {n}"),
                            "details": "Send a crafted packet.",
                            "reporter_email": email,
                        });
                        attempt += 1;
                        let Some((201, answer)) =
                            call(addr, "POST", "/api/v1/reports", None, &body)
                        else {
                            continue;
                        };
                        let reference = answer["reference"].as_str().unwrap().to_string();
                        // The Fix Lead, by rotation, through the next replica up.
                        let assign = serde_json::json!({"command": {"type": "assign_fix_lead"}});
                        loop {
                            let addr = &addrs[next % 3];
                            next += 1;
                            match call(
                                addr,
                                "POST",
                                &format!("/api/v1/cases/{reference}/commands"),
                                Some(&alice),
                                &assign,
                            ) {
                                Some((200, _)) => break,
                                Some((409 | 422, _)) => break, // assigned by a request the killed replica took
                                _ => continue,
                            }
                        }
                        acked.lock().unwrap().push((reference, email));
                        break;
                    }
                }
            })
        })
        .collect();

    // SIGKILL the first replica once a third of the load is in.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.lock().unwrap().len() < REPORTS / 3 {
        assert!(Instant::now() < deadline, "the load did not get going");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut killed = replicas.0[0].take().unwrap();
    killed.kill().unwrap();
    killed.wait().unwrap();
    for client in clients {
        client.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), REPORTS);

    // Every acknowledged report is there, on a surviving replica.
    for (reference, _) in &acked {
        let (status, case) = call(
            &addrs[1],
            "GET",
            &format!("/api/v1/cases/{reference}"),
            Some(&tokens["bob"]),
            &Value::Null,
        )
        .unwrap();
        assert_eq!(status, 200, "{reference} lost: {case}");
    }

    // Every acknowledgement arrives exactly once: wait for one per
    // acknowledged reporter, then a little longer for any duplicate.
    let want: BTreeSet<&str> = acked.iter().map(|(_, e)| e.as_str()).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let got: BTreeSet<String> = sink
            .messages()
            .iter()
            .flat_map(|m| m.rcpt_to.clone())
            .collect();
        if want.iter().all(|e| got.contains(*e)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "acknowledgements missing: {:?}",
            want.iter()
                .filter(|e| !got.contains(**e))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(4)); // past a lease: a stale claim would resend now
    let messages = sink.messages();
    let mut per_recipient: BTreeMap<String, usize> = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for m in &messages {
        for r in &m.rcpt_to {
            *per_recipient.entry(r.clone()).or_default() += 1;
        }
        let text = String::from_utf8_lossy(&m.bytes);
        let id = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .unwrap_or_default()
            .to_string();
        *ids.entry((id, m.rcpt_to.clone())).or_insert(0usize) += 1;
    }
    for email in &want {
        assert_eq!(
            per_recipient[*email], 1,
            "{email} got {} acknowledgements",
            per_recipient[*email]
        );
    }
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");

    // The audit chain verifies.
    let verify = ok(dir.path(), &url, &["audit", "verify"]);
    assert!(verify.starts_with("ok: "), "{verify}");

    // The rotation stayed fair: each PST member led a third of the cases.
    let mut leads: BTreeMap<String, usize> = BTreeMap::new();
    for (reference, _) in &acked {
        let (_, case) = call(
            &addrs[2],
            "GET",
            &format!("/api/v1/cases/{reference}"),
            Some(&tokens["carol"]),
            &Value::Null,
        )
        .unwrap();
        *leads.entry(case["fix_lead"].to_string()).or_default() += 1;
    }
    let counts: Vec<usize> = leads.values().copied().collect();
    assert_eq!(counts.len(), 3, "{leads:?}");
    assert!(
        counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
        "unfair rotation: {leads:?}"
    );
}
