//! `psirt audit`: the binary on a temporary SQLite database. A case is
//! reported, viewed and refused; `audit show` answers who saw it;
//! `audit verify` passes, and after someone edits the file behind psirt's
//! back it fails naming the entry. Every run logs at `trace`, and the
//! report's details never appear in a log line.

use std::path::PathBuf;
use std::process::Command;

use sqlx::Connection;

const DETAILS: &str = "Overflow the EDNS buffer with option 0xfeed";
const T0: &str = "2026-11-02T09:00:00Z";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

struct Psirt {
    dir: tempfile::TempDir,
}

impl Psirt {
    fn db(&self) -> PathBuf {
        self.dir.path().join("psirt.db")
    }

    fn run(&self, actor: Option<&str>, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_psirt"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env(
                "PSIRT_DATABASE_URL",
                format!("sqlite://{}", self.db().display()),
            )
            .env("PSIRT_NOW", T0)
            .env("PSIRT_LOG", "trace")
            .args(args);
        if let Some(a) = actor {
            cmd.env("PSIRT_AS", format!("{a}@example.org"));
        }
        let out = cmd.output().unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        };
        assert!(
            !run.stderr.contains(DETAILS),
            "psirt {args:?} logged the report's details:\n{}",
            run.stderr
        );
        run
    }

    fn ok(&self, actor: Option<&str>, args: &[&str]) -> Run {
        let run = self.run(actor, args);
        assert_eq!(run.code, 0, "psirt {args:?} failed: {}", run.stderr);
        run
    }

    /// Runs one statement on the database file with a connection of its own.
    fn tamper(&self, sql: &'static str) {
        let url = format!("sqlite://{}", self.db().display());
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(async {
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                let done = sqlx::query(sql).execute(&mut conn).await.unwrap();
                assert_eq!(done.rows_affected(), 1, "{sql}");
                conn.close().await.unwrap();
            });
    }
}

#[test]
fn audit_show_answers_who_saw_a_case_and_verify_finds_tampering() {
    let p = Psirt {
        dir: tempfile::tempdir().unwrap(),
    };
    for (email, role) in [("alice@example.org", "pst"), ("dev@example.org", "member")] {
        let name = email.split('@').next().unwrap();
        p.ok(
            None,
            &[
                "user", "add", "--email", email, "--name", name, "--role", role,
            ],
        );
    }
    let reported = p.ok(
        None,
        &[
            "case",
            "report",
            "--summary",
            "EDNS overflow",
            "--details",
            DETAILS,
            "--json",
        ],
    );
    let reference: serde_json::Value = serde_json::from_str(&reported.stdout).unwrap();
    let reference = reference["reference"].as_str().unwrap().to_string();
    p.ok(Some("alice"), &["case", "show", &reference]);
    let denied = p.run(Some("dev"), &["case", "show", &reference]);
    assert_eq!(denied.code, 1, "{}", denied.stderr);

    // Who saw the case, and when: the intake, alice's view, dev's attempt.
    let shown = p.ok(None, &["audit", "show", "--case", &reference]);
    let lines: Vec<String> = shown
        .stdout
        .lines()
        .map(|line| {
            // seq, at, actor, action, origin, detail; the instant is the clock's.
            let cols: Vec<&str> = line.split('\t').collect();
            assert_eq!(cols.len(), 6, "{line}");
            cols[1].parse::<jiff::Timestamp>().unwrap();
            format!("{} {} {} {}", cols[0], cols[2], cols[3], cols[4])
        })
        .collect();
    assert_eq!(
        lines,
        [
            "5 psirt case.report cli",
            "6 user:1 alice@example.org case.view cli",
            "7 user:2 dev@example.org case.view.denied cli",
        ]
    );
    let json = p.ok(None, &["audit", "show", "--case", &reference, "--json"]);
    let first: serde_json::Value =
        serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["action"], "case.report");
    assert_eq!(first["case"], reference.as_str());
    assert!(!shown.stdout.contains(DETAILS) && !json.stdout.contains(DETAILS));

    let verified = p.ok(None, &["audit", "verify"]);
    let head = verified
        .stdout
        .trim()
        .strip_prefix("ok: 7 entries, head ")
        .unwrap_or_else(|| panic!("{}", verified.stdout));
    assert_eq!(head.len(), 64);

    // Someone hides that dev tried to look.
    p.tamper("UPDATE audit_log SET actor = 'user:1 alice@example.org' WHERE seq = 7");
    let broken = p.run(None, &["audit", "verify"]);
    assert_eq!(broken.code, 1);
    assert_eq!(broken.stdout, "");
    assert!(
        broken
            .stderr
            .ends_with("error: the audit log is broken: entry 7 was altered\n"),
        "{}",
        broken.stderr
    );

    let usage = p.run(None, &["audit", "show", "--case", "PSIRT-26-1"]);
    assert_eq!(usage.code, 1, "{}", usage.stderr);
}
