//! `psirt backup` and `psirt restore` (issue 15, operations) on both
//! databases: a copy taken while psirt has data, restored into a fresh
//! database, reads the same case and passes `psirt audit verify`; the copy
//! is 0600 and holds its own `instance.backup` entry; an existing file is
//! never overwritten, a restore never goes into a database that holds
//! anything, and a backup of one kind is refused for the other database.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// `psirt ARGS` in `dir` on the database `url`; (exit code, stdout, stderr).
fn psirt(dir: &Path, url: &str, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("PSIRT_DATABASE_URL", url)
        .env("PSIRT_KEY_FILE", dir.join("instance.kek"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let (code, out, err) = psirt(dir, url, args, b"");
    assert_eq!(code, 0, "psirt {args:?}: {err}");
    out
}

const REPORT: &[u8] = b"From: Rita <rita@example.net>\r\nTo: security@example.org\r\nSubject: Cache poisoning\r\nMessage-ID: <r1@example.net>\r\n\r\nThe cache accepts forged answers.\r\n";

/// Fills `url` with a case and a PST member, backs it up into `file`,
/// restores it into `restored`, and checks what the issue asks.
fn round_trip(dir: &Path, url: &str, file: &Path, restored: &str) {
    let (code, _, err) = psirt(dir, url, &["ingest"], REPORT);
    assert_eq!(code, 0, "{err}");
    ok(
        dir,
        url,
        &[
            "user",
            "add",
            "--email",
            "pia@example.org",
            "--name",
            "Pia",
            "--role",
            "pst",
        ],
    );
    let show = [
        "case",
        "--as",
        "pia@example.org",
        "--json",
        "show",
        "PSIRT-2026-0001",
    ];
    let before = ok(dir, url, &show);
    assert!(before.contains("Cache poisoning"), "{before}");

    let out = ok(dir, url, &["backup", file.to_str().unwrap()]);
    assert!(
        out.starts_with(&format!("backed up into {}", file.display())),
        "{out}"
    );
    let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the copy holds every report in clear");

    // Never over an existing file.
    let (code, _, err) = psirt(dir, url, &["backup", file.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        err.contains("exists: psirt backup never overwrites a file"),
        "{err}"
    );

    let out = ok(dir, restored, &["restore", file.to_str().unwrap()]);
    assert!(out.contains("audit log intact"), "{out}");
    let verify = ok(dir, restored, &["audit", "verify"]);
    assert!(verify.starts_with("ok: "), "{verify}");
    // The case reads the same (the timeline, the milestones, the details).
    let after = ok(dir, restored, &show);
    assert_eq!(strip_views(&before), strip_views(&after));
    // The restored database holds the entry of the backup that made it,
    // then the restore's, then the read above.
    let actions = sqlite_or_pg_actions(restored);
    let tail: Vec<&str> = actions
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(tail, ["instance.backup", "instance.restore", "case.view"]);

    // A second restore into the now-filled database is refused, and
    // changes nothing.
    let verify = ok(dir, restored, &["audit", "verify"]);
    let (code, _, err) = psirt(dir, restored, &["restore", file.to_str().unwrap()], b"");
    assert_eq!(code, 1);
    assert!(
        err.contains("is not empty: psirt restore only fills an empty one"),
        "{err}"
    );
    assert_eq!(ok(dir, restored, &["audit", "verify"]), verify);
}

/// The audit log's actions, oldest first, read with psql or sqlite.
fn sqlite_or_pg_actions(url: &str) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
        let rows: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        rows
    })
}

/// A case view without what differs between two reads by design (none
/// today; the JSON is compared whole otherwise).
fn strip_views(json: &str) -> serde_json::Value {
    serde_json::from_str(json).unwrap()
}

#[test]
fn a_sqlite_backup_restores_into_a_fresh_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("a/psirt.db").display());
    let restored = format!("sqlite://{}", dir.path().join("b/psirt.db").display());
    let file = dir.path().join("psirt.backup");
    round_trip(dir.path(), &url, &file, &restored);

    // A SQLite backup does not go into PostgreSQL, nor garbage anywhere.
    let (code, _, err) = psirt(
        dir.path(),
        "postgres://postgres@127.0.0.1:5432/none",
        &["restore", file.to_str().unwrap()],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("is a SQLite backup and database_url is PostgreSQL"),
        "{err}"
    );
    let junk = dir.path().join("junk");
    std::fs::write(&junk, "not a backup").unwrap();
    let fresh = format!("sqlite://{}", dir.path().join("c/psirt.db").display());
    let (code, _, err) = psirt(
        dir.path(),
        &fresh,
        &["restore", junk.to_str().unwrap()],
        b"",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("is neither a SQLite database nor a pg_dump archive"),
        "{err}"
    );
    assert!(
        !dir.path().join("c/psirt.db").exists(),
        "nothing half-written"
    );
}

#[test]
fn a_postgresql_backup_restores_into_a_fresh_database() {
    let a = PgDatabase::create();
    let b = PgDatabase::create();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("psirt.dump");
    round_trip(dir.path(), &a.url(), &file, &b.url());
}

/// A fresh database on the real PostgreSQL server, dropped afterwards.
struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    fn create() -> PgDatabase {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = std::env::var("PSIRT_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!(
            "psirt_backup_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let ok = Command::new("psql")
            .args([
                admin.as_str(),
                "-q",
                "-c",
                &format!("CREATE DATABASE {name}"),
            ])
            .status()
            .expect("psql runs (PostgreSQL's client)");
        assert!(ok.success(), "PostgreSQL must be running at {admin}");
        PgDatabase { admin, name }
    }

    fn url(&self) -> String {
        let (base, _) = self.admin.rsplit_once('/').unwrap();
        format!("{base}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin.as_str(),
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .status();
    }
}
