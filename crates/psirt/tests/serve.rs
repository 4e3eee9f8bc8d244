//! `psirt serve` on its embedded default: a fresh directory, no
//! configuration, SQLite created on first run, `/healthz` answering 200.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
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
fn serve_creates_its_sqlite_database_and_answers_healthz() {
    let dir = tempfile::tempdir().unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_psirt"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("PSIRT_LISTEN", &addr)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let response = loop {
        match get(&addr, "/healthz") {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("psirt serve never answered on {addr}: {e}"),
        }
    };
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
