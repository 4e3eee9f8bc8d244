//! What a client can make the server hold, and what every answer tells a
//! browser, over real sockets on 127.0.0.1 against `psirt_server::serve`
//! (the connection loop `psirt serve` runs) on a SQLite file:
//!
//! - an over-quota client is refused before its upload is read, and one
//!   the in-flight body budget has no room for is answered 503, unread;
//! - a client that never finishes its headers, or whose body stalls or
//!   trickles, is cut off;
//! - every API answer (and problem document) carries `nosniff` and
//!   `Cache-Control: no-store`;
//! - writes through a status link are limited per case and per address.
//!
//! Raw requests are written by hand where a client library would send the
//! whole body before reading the answer.

mod support;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use psirt_server::Settings;
use psirt_server::api::ROUTES;
use psirt_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Role, Team};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long a test waits for an answer that must come before it sends
/// anything more; only a guard against hanging, far above any timeout the
/// tests configure.
const GUARD: Duration = Duration::from_secs(30);

struct Server {
    addr: SocketAddr,
    store: Store,
    _dir: tempfile::TempDir,
    http: reqwest::Client,
    /// A PST member's API token, and an administrator's.
    alice: String,
    admin: String,
}

impl Server {
    async fn start(settings: Settings) -> Server {
        let (store, dir) = support::sqlite().await;
        let [alice, admin] = Team::on("default", "Default")
            .named("alice@example.org", "Alice", Role::Pst)
            .named("root@example.org", "Root", Role::Admin)
            .add(&store, psirt_server::now())
            .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(psirt_server::serve(
            store.clone(),
            settings,
            listener,
            std::future::pending(),
        ));
        Server {
            addr,
            store,
            _dir: dir,
            http: client(None),
            alice: alice.token,
            admin: admin.token,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A report through the API: its reference and status token.
    async fn report(&self, summary: &str) -> (String, String) {
        let response = self
            .http
            .post(self.url("/api/v1/reports"))
            .json(&json!({"summary": summary, "details": "Send a crafted packet."}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        let token = body["status_url"]
            .as_str()
            .unwrap()
            .rsplit_once('/')
            .unwrap()
            .1
            .to_string();
        (body["reference"].as_str().unwrap().to_string(), token)
    }

    async fn stop(self) {
        self.store.close().await;
    }
}

/// A client that does not follow redirects, from `from` (another loopback
/// address: Linux answers on all of 127.0.0.0/8) or 127.0.0.1.
fn client(from: Option<IpAddr>) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(from)
        .build()
        .unwrap()
}

/// Opens a connection and writes `head` (the request line and headers, up
/// to the blank line) and `body`, which may be a part of what the headers
/// announce.
async fn send_raw(addr: SocketAddr, head: &str, body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream.flush().await.unwrap();
    stream
}

/// Reads an answer's head (status line and headers), or what came before
/// the server closed the connection; panics if nothing comes within
/// [`GUARD`].
async fn read_head(stream: &mut TcpStream, what: &str) -> String {
    let read = async {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                seen.truncate(end);
                break;
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    };
    tokio::time::timeout(GUARD, read)
        .await
        .unwrap_or_else(|_| panic!("no answer to {what}"))
}

/// Whether the server closes the connection (EOF, or a reset) before
/// [`GUARD`], reading and discarding what it sends first.
async fn closed(stream: &mut TcpStream) -> bool {
    let drain = async {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    };
    tokio::time::timeout(GUARD, drain).await.is_ok()
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

const MIB: usize = 1024 * 1024;

/// The head of a 50 MiB report form upload (the multipart body itself is
/// never sent in full).
fn upload_head(path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: psirt.test\r\nContent-Type: multipart/form-data; boundary=psirt-boundary\r\nContent-Length: {length}\r\n\r\n"
    )
}

fn upload_start() -> Vec<u8> {
    let mut part = b"--psirt-boundary\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"capture.pcap\"\r\nContent-Type: application/octet-stream\r\n\r\n".to_vec();
    part.extend(std::iter::repeat_n(b'x', 64 * 1024));
    part
}

fn settings() -> Settings {
    Settings {
        // Long enough that only the test's own choice cuts a body off.
        body_idle_timeout: Duration::from_secs(120),
        ..Settings::default()
    }
}

/// The intake's rule "so many reports a minute from one address" is
/// checked on the request's head: an over-quota client's 50 MiB upload is
/// answered 429 (with `Retry-After`) after 64 KiB of it, on the web form
/// and on the API, and the server does not wait for the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_quota_upload_is_refused_before_its_body_is_read() {
    let s = Server::start(Settings {
        intake_per_minute: NonZeroU32::new(1).unwrap(),
        ..settings()
    })
    .await;
    s.report("The one report this minute").await;
    for path in ["/report", "/api/v1/reports"] {
        let mut stream = send_raw(s.addr, &upload_head(path, 50 * MIB), &upload_start()).await;
        let head = read_head(&mut stream, path).await;
        assert!(head.starts_with("HTTP/1.1 429"), "{path}: {head}");
        let wait: u64 = header(&head, "retry-after").unwrap().parse().unwrap();
        assert!(wait >= 1, "{path}: {head}");
        // Nothing more is read: the server ends the connection.
        assert!(closed(&mut stream).await, "{path}");
    }
    // The distributors' application (anonymous, rate-limited with the
    // intake) is refused the same way.
    let head = "POST /api/v1/distributors/applications HTTP/1.1\r\nHost: psirt.test\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
    let mut stream = send_raw(s.addr, head, b"{\"organisation\": ").await;
    let head = read_head(&mut stream, "the application").await;
    assert!(head.starts_with("HTTP/1.1 429"), "{head}");
    s.stop().await;
}

/// The bytes of bodies in flight are bounded (`body_memory`): while one
/// upload holds the budget, another that does not fit is answered 503 with
/// `Retry-After` before it is read (a page for the form, a problem document
/// for the API); requests without a body still pass, and once the first
/// upload ends its room is free again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_beyond_the_body_budget_is_refused_unread() {
    let s = Server::start(Settings {
        body_memory: 3 * MIB,
        ..settings()
    })
    .await;
    let holding = send_raw(s.addr, &upload_head("/report", 2 * MIB), &upload_start()).await;
    // The first upload is being read (it has reserved its 2 MiB) once the
    // server waits on its body; a later one then finds no room. A later
    // one that came first is cut short (its sender stops), so it is
    // answered either way.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut refused = None;
    for _ in 0..100 {
        let mut stream = send_raw(s.addr, &upload_head("/report", 2 * MIB), &upload_start()).await;
        stream.shutdown().await.unwrap();
        let head = read_head(&mut stream, "the second upload").await;
        if head.starts_with("HTTP/1.1 503") {
            refused = Some(head);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let head = refused.expect("the second upload was refused");
    assert_eq!(header(&head, "retry-after"), Some("10"), "{head}");
    assert!(
        header(&head, "content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let head = "POST /api/v1/reports HTTP/1.1\r\nHost: psirt.test\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n";
    let mut stream = send_raw(s.addr, head, b"{\"summary\": ").await;
    let head = read_head(&mut stream, "the API upload").await;
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    assert_eq!(
        header(&head, "content-type"),
        Some("application/problem+json")
    );
    assert!(header(&head, "retry-after").is_some(), "{head}");
    let health = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    // A small report fits beside the held upload.
    s.report("Small beside a large one").await;
    drop(holding);
    let mut admitted = false;
    for _ in 0..100 {
        let mut stream = send_raw(s.addr, &upload_head("/report", 2 * MIB), b"").await;
        // Its body ends at once: it is answered 400 when admitted.
        stream.shutdown().await.unwrap();
        let head = read_head(&mut stream, "the upload after").await;
        if !head.starts_with("HTTP/1.1 503") {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(admitted, "the budget was not given back");
    s.stop().await;
}

/// A client that opens a connection and sends its headers slowly, or
/// never finishes them, is disconnected after `header_timeout`; so is a
/// kept-alive connection that stays silent after its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let s = Server::start(Settings {
        header_timeout: Duration::from_secs(1),
        ..settings()
    })
    .await;
    let mut stream = send_raw(
        s.addr,
        "POST /api/v1/reports HTTP/1.1\r\nHost: psirt.test\r\n",
        b"",
    )
    .await;
    assert!(closed(&mut stream).await, "the half-sent headers were kept");
    // Idle after an answer: the same timeout applies to the next request.
    let mut stream = send_raw(
        s.addr,
        "GET /healthz HTTP/1.1\r\nHost: psirt.test\r\n\r\n",
        b"",
    )
    .await;
    let head = read_head(&mut stream, "the health check").await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(closed(&mut stream).await, "the idle connection was kept");
    s.stop().await;
}

/// A body that stops arriving is cut off after `body_idle_timeout`, and one
/// that trickles in is cut off after `body_timeout`: 408, a problem
/// document, `Connection: close`, and nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_stalls_or_trickles_is_cut_off() {
    let s = Server::start(Settings {
        body_idle_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(3),
        ..settings()
    })
    .await;
    let head = "POST /api/v1/reports HTTP/1.1\r\nHost: psirt.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let mut stream = send_raw(s.addr, head, b"{\"summary\": \"Stalled").await;
    let answer = read_head(&mut stream, "the stalled body").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(
        header(&answer, "content-type"),
        Some("application/problem+json")
    );
    assert_eq!(header(&answer, "connection"), Some("close"));
    assert!(closed(&mut stream).await);
    // A byte every half second never pauses for the idle timeout, but
    // the whole body has a deadline.
    let mut stream = send_raw(s.addr, head, b"{").await;
    let (mut reader, mut writer) = stream.split();
    let trickle = async {
        for _ in 0..999 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if writer.write_all(b" ").await.is_err() {
                break;
            }
        }
    };
    let answer = async {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 || seen.len() > 64 * 1024 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    };
    let answer = tokio::time::timeout(GUARD, async {
        tokio::select! {
            answer = answer => answer,
            () = trickle => String::from("(the server read every byte)"),
        }
    })
    .await
    .expect("an answer to the trickling body");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (status, cases) = {
        let r = s
            .http
            .get(s.url("/api/v1/cases"))
            .bearer_auth(&s.alice)
            .send()
            .await
            .unwrap();
        (r.status(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cases["cases"].as_array().map(Vec::len), Some(0), "{cases}");
    s.stop().await;
}

/// Every answer of the JSON API, whoever asks and whatever the outcome
/// (200, 4xx problem documents, the 404 and 405 of unknown routes), tells
/// the browser not to store it and not to sniff its type: the API carries
/// embargoed cases and status links as the pages do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_answer_forbids_storing_and_sniffing() {
    let s = Server::start(settings()).await;
    let (reference, token) = s.report("Cached by a proxy?").await;
    let fill = |path: &str| {
        path.replace("{reference}", &reference)
            .replace("{token}", &token)
            .replace("{email}", "alice@example.org")
            .replace("{kind}", "pre_notification")
            .replace("{org}", "Distro")
            .replace("{id}", "1")
            .replace("{slug}", "default")
    };
    let mut routes: Vec<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), fill(r.path)))
        .collect();
    routes.push(("get".into(), "/api/v1/no-such-route".into()));
    routes.push(("patch".into(), "/api/v1/cases".into()));
    routes.push(("get".into(), format!("/api/v1/cases/{reference}")));
    // The administrator last: a revocation must not hide the others.
    for who in [None, Some(&s.alice), Some(&s.admin)] {
        for (method, path) in &routes {
            let mut request = s
                .http
                .request(method.to_uppercase().parse().unwrap(), s.url(path));
            if let Some(token) = who {
                request = request.bearer_auth(token);
            }
            if !matches!(method.as_str(), "get" | "delete") {
                request = request.json(&json!({}));
            }
            let response = request.send().await.unwrap();
            let status = response.status();
            let h = response.headers();
            let get = |name: &str| h.get(name).map(|v| v.to_str().unwrap().to_string());
            assert_eq!(
                get("x-content-type-options").as_deref(),
                Some("nosniff"),
                "{method} {path} ({status})"
            );
            assert_eq!(
                get("cache-control").as_deref(),
                Some("no-store"),
                "{method} {path} ({status})"
            );
        }
    }
    s.stop().await;
}

/// Writes through a status link (replies and credit choices, on the API
/// and the status page) are limited per case and per client address
/// (`status_writes_per_hour`), with 429 and `Retry-After`, before the body
/// is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_through_a_status_link_are_limited_per_case_and_per_address() {
    let s = Server::start(Settings {
        status_writes_per_hour: NonZeroU32::new(2).unwrap(),
        ..settings()
    })
    .await;
    let (_, a) = s.report("Case A").await;
    let (_, b) = s.report("Case B").await;
    let here = client(Some("127.0.0.1".parse().unwrap()));
    let there = client(Some("127.0.0.2".parse().unwrap()));
    let reply = |client: &reqwest::Client, token: &str, text: &str| {
        client
            .post(s.url(&format!("/api/v1/status/{token}/replies")))
            .json(&json!({ "text": text }))
            .send()
    };
    // Two writes through A's link from here: a reply and a credit choice.
    let r = reply(&here, &a, "Here is a second proof of concept.")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = here
        .post(s.url(&format!("/api/v1/status/{a}/credit")))
        .json(&json!({ "name": "Ann" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A third through A's link is refused, from another address too.
    let r = reply(&there, &a, "Spam").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // B's link takes a write from there, but not from here: this address
    // has spent its writes.
    let r = reply(&there, &b, "A question about B.").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = reply(&here, &b, "Spam").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The refusal comes before the body: a reply whose body never comes.
    let head = format!(
        "POST /api/v1/status/{b}/replies HTTP/1.1\r\nHost: psirt.test\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
    );
    let mut stream = send_raw(s.addr, &head, b"{\"text\": ").await;
    let answer = read_head(&mut stream, "the unfinished reply").await;
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    // The status page's form is limited the same way, with a page.
    let r = there
        .post(s.url(&format!("/status/{b}")))
        .form(&[("action", "reply"), ("text", "Spam")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    // What was refused was not recorded: A has the one reply.
    let status: Value = here
        .get(s.url(&format!("/api/v1/status/{a}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let replies = status["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"] == "reporter")
        .count();
    assert_eq!(replies, 1, "{status}");
    s.stop().await;
}

/// What connections hold is bounded: beyond `max_connections`, a
/// connection waits to be accepted until one being served ends, and a
/// request whose headers are larger than a connection's buffer is answered
/// 431.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_wait_and_large_headers_are_refused() {
    let s = Server::start(Settings {
        max_connections: 1,
        ..settings()
    })
    .await;
    // The only slot, held by a body that is still coming.
    let head = "POST /api/v1/reports HTTP/1.1\r\nHost: psirt.test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    let first = send_raw(s.addr, head, b"{\"summary\": ").await;
    let mut second = send_raw(
        s.addr,
        "GET /healthz HTTP/1.1\r\nHost: psirt.test\r\nConnection: close\r\n\r\n",
        b"",
    )
    .await;
    // Not answered while the first holds the slot (a short look: a
    // server that served it would answer a health check at once) ...
    let mut byte = [0u8; 1];
    let early = tokio::time::timeout(Duration::from_millis(500), second.peek(&mut byte)).await;
    assert!(
        early.is_err(),
        "the second connection was served beside the first"
    );
    // ... and answered once the first ends.
    drop(first);
    let answer = read_head(&mut second, "the second connection").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: psirt.test\r\nX-Padding: {}\r\n\r\n",
        "a".repeat(32 * 1024)
    );
    let mut stream = send_raw(s.addr, &big, b"").await;
    let answer = read_head(&mut stream, "the large headers").await;
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    s.stop().await;
}
