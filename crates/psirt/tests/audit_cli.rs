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

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
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

    /// Runs statements on the database file with a connection of its own,
    /// whatever they change.
    fn sql(&self, statements: &[&str]) {
        let url = format!("sqlite://{}", self.db().display());
        let statements: Vec<String> = statements.iter().map(|s| s.to_string()).collect();
        block_on(async move {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            for sql in statements {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
            conn.close().await.unwrap();
        });
    }

    /// What someone with write access to the file and psirt's source can
    /// do: change entry `from`'s actor, then recompute every hash from
    /// there on (the encoding documented in psirt-store's `audit.rs`) and
    /// move the head, so the chain is consistent with itself again.
    fn rewrite_from(&self, from: i64, actor: &str) {
        use sha2::Digest;
        use sqlx::Row;
        let url = format!("sqlite://{}", self.db().display());
        let actor = actor.to_string();
        block_on(async move {
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::query("UPDATE audit_log SET actor = $1 WHERE seq = $2")
                .bind(&actor)
                .bind(from)
                .execute(&mut conn)
                .await
                .unwrap();
            let mut prev: String =
                sqlx::query_scalar("SELECT prev_hash FROM audit_log WHERE seq = $1")
                    .bind(from)
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
            let rows = sqlx::query(
                "SELECT seq, at, actor, action, case_ref, origin, detail FROM audit_log WHERE seq >= $1 ORDER BY seq",
            )
            .bind(from)
            .fetch_all(&mut conn)
            .await
            .unwrap();
            let mut last = 0i64;
            for row in rows {
                let seq: i64 = row.get("seq");
                let at: i64 = row.get("at");
                let case: Option<String> = row.get("case_ref");
                let mut bytes = Vec::new();
                let str = |out: &mut Vec<u8>, s: &str| {
                    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                    out.extend_from_slice(s.as_bytes());
                };
                str(&mut bytes, "psirt-audit-v1");
                bytes.extend_from_slice(&(seq as u64).to_be_bytes());
                bytes.extend_from_slice(&at.to_be_bytes());
                str(&mut bytes, row.get("actor"));
                str(&mut bytes, row.get("action"));
                match &case {
                    None => bytes.push(0),
                    Some(c) => {
                        bytes.push(1);
                        str(&mut bytes, c);
                    }
                }
                str(&mut bytes, row.get("origin"));
                str(&mut bytes, row.get("detail"));
                let mut h = sha2::Sha256::new();
                h.update(hex::decode(&prev).unwrap());
                h.update(&bytes);
                let hash = hex::encode(h.finalize());
                sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
                    .bind(&prev)
                    .bind(&hash)
                    .bind(seq)
                    .execute(&mut conn)
                    .await
                    .unwrap();
                prev = hash;
                last = seq;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, hash = $2")
                .bind(last)
                .bind(&prev)
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        });
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
        dir: tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap(),
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

/// Two people, a case, a view and a refused view: seven entries.
fn seven_entries() -> (Psirt, String) {
    let p = Psirt {
        dir: tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap(),
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
    let reported: serde_json::Value = serde_json::from_str(&reported.stdout).unwrap();
    let reference = reported["reference"].as_str().unwrap().to_string();
    p.ok(Some("alice"), &["case", "show", &reference]);
    assert_eq!(p.run(Some("dev"), &["case", "show", &reference]).code, 1);
    (p, reference)
}

fn head(p: &Psirt) -> String {
    let head = p.ok(None, &["audit", "head"]).stdout.trim().to_string();
    let (seq, hash) = head.split_once(':').unwrap_or_else(|| panic!("{head}"));
    seq.parse::<u64>().unwrap();
    assert_eq!(hash.len(), 64, "{head}");
    head
}

#[test]
fn removing_the_last_entries_fails_verify_against_an_earlier_head() {
    let (p, reference) = seven_entries();
    let earlier = head(&p);
    assert!(earlier.starts_with("7:"), "{earlier}");
    p.ok(Some("alice"), &["case", "show", &reference]);
    p.ok(Some("alice"), &["case", "show", &reference]);
    let kept = head(&p);
    assert!(kept.starts_with("9:"), "{kept}");
    let ok = p.ok(None, &["audit", "verify", "--expect-head", &kept]);
    assert!(
        ok.stdout.ends_with(&format!(
            "ok: the log still holds the witnessed entry {kept}\n"
        )),
        "{}",
        ok.stdout
    );

    // Hide alice's two views: delete them and move the head back.
    p.sql(&[
        "DELETE FROM audit_log WHERE seq > 7",
        "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_log WHERE seq = 7)",
    ]);
    let alone = p.ok(None, &["audit", "verify"]);
    assert!(
        alone.stdout.starts_with("ok: 7 entries"),
        "the chain alone cannot tell: {}",
        alone.stdout
    );
    p.ok(None, &["audit", "verify", "--expect-head", &earlier]);
    let truncated = p.run(None, &["audit", "verify", "--expect-head", &kept]);
    assert_eq!(truncated.code, 1);
    assert!(
        truncated.stderr.ends_with(
            "error: the audit log is broken: the log ends before entry 9, which the witness saw: its last entries were removed\n"
        ),
        "{}",
        truncated.stderr
    );
    let hash_only = kept.split_once(':').unwrap().1;
    let by_hash = p.run(None, &["audit", "verify", "--expect-head", hash_only]);
    assert_eq!(by_hash.code, 1);
    assert!(
        by_hash
            .stderr
            .ends_with("error: the audit log is broken: no entry has the witnessed hash: the log was truncated or rewritten\n"),
        "{}",
        by_hash.stderr
    );
    let bad = p.run(None, &["audit", "verify", "--expect-head", "9:nothex"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("is not an audit hash"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_full_rewrite_fails_against_an_earlier_checkpoint_and_forgeries_are_refused() {
    let (p, reference) = seven_entries();
    let public = p.ok(None, &["key", "instance"]).stdout;
    let checkpoint = p.ok(None, &["audit", "checkpoint"]).stdout;
    assert!(
        checkpoint.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"),
        "{checkpoint}"
    );
    assert!(!checkpoint.contains(DETAILS) && !checkpoint.contains(&reference));
    let statement: Vec<&str> = checkpoint.lines().skip(3).take(5).collect();
    assert_eq!(statement[0], "psirt audit checkpoint v1", "{checkpoint}");
    let fingerprint = statement[1].strip_prefix("instance: ").unwrap();
    assert_eq!(fingerprint.len(), 40);
    let seq = statement[2].strip_prefix("sequence: ").unwrap();
    let hash = statement[3].strip_prefix("hash: ").unwrap();
    assert_eq!(
        format!("{seq}:{hash}"),
        head(&p),
        "the checkpoint states the head"
    );
    statement[4]
        .strip_prefix("time: ")
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    let file = p.dir.path().join("checkpoint.asc");
    std::fs::write(&file, &checkpoint).unwrap();
    let file = file.to_str().unwrap();
    p.ok(None, &["audit", "verify", "--checkpoint", file]);
    let key_file = p.dir.path().join("instance.asc");
    std::fs::write(&key_file, &public).unwrap();
    p.ok(
        None,
        &[
            "audit",
            "verify",
            "--checkpoint",
            file,
            "--key",
            key_file.to_str().unwrap(),
        ],
    );

    // GnuPG checks the same signature with the published key.
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .args(["--batch", "--quiet"])
            .args(args)
            .env("GNUPGHOME", home.path())
            .output()
            .expect("gpg must be installed (apt-get install gnupg)")
    };
    assert!(
        gpg(&["--import", key_file.to_str().unwrap()])
            .status
            .success()
    );
    let verified = gpg(&["--verify", file]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );

    // Hide that dev tried to look, and recompute the chain from there on.
    p.rewrite_from(7, "user:1 alice@example.org");
    let alone = p.ok(None, &["audit", "verify"]);
    assert!(
        alone.stdout.starts_with("ok: "),
        "the chain alone cannot tell: {}",
        alone.stdout
    );
    let rewritten = p.run(None, &["audit", "verify", "--checkpoint", file]);
    assert_eq!(rewritten.code, 1);
    assert!(
        rewritten.stderr.ends_with(&format!(
            "error: the audit log is broken: entry {seq} is not the one the witness saw: the log was rewritten\n"
        )),
        "{}",
        rewritten.stderr
    );

    // A checkpoint edited to state the rewritten head is refused: the
    // signature no longer covers it.
    let new_head = head(&p);
    let (new_seq, new_hash) = new_head.split_once(':').unwrap();
    let edited = checkpoint
        .replace(
            &format!("sequence: {seq}\n"),
            &format!("sequence: {new_seq}\n"),
        )
        .replace(hash, new_hash);
    let forged = p.dir.path().join("forged.asc");
    std::fs::write(&forged, &edited).unwrap();
    let refused = p.run(
        None,
        &["audit", "verify", "--checkpoint", forged.to_str().unwrap()],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains(&format!(
            "is not signed by the instance key {fingerprint}: refused"
        )),
        "{}",
        refused.stderr
    );

    // So is one signed with another key, even naming the instance's.
    let other = psirt_mail::InstanceKey::generate("mallory").unwrap();
    let statement = format!(
        "psirt audit checkpoint v1\ninstance: {fingerprint}\nsequence: {new_seq}\nhash: {new_hash}\ntime: 2026-11-02T09:00:00Z\n"
    );
    std::fs::write(
        &forged,
        psirt_mail::sign_cleartext(&statement, &other).unwrap(),
    )
    .unwrap();
    let refused = p.run(
        None,
        &["audit", "verify", "--checkpoint", forged.to_str().unwrap()],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("is not signed by the instance key"),
        "{}",
        refused.stderr
    );
}

/// `psirt reindex` rebuilds the case summaries the lists read from the
/// events: a summary damaged behind psirt's back hides its case from the
/// list until the rebuild.
#[test]
fn reindex_rebuilds_the_summaries_the_lists_read() {
    let p = Psirt {
        dir: tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap(),
    };
    p.ok(
        None,
        &[
            "user",
            "add",
            "--email",
            "alice@example.org",
            "--name",
            "alice",
            "--role",
            "pst",
        ],
    );
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
    let listed = p.ok(Some("alice"), &["case", "list"]).stdout;
    assert!(listed.contains(&reference), "{listed}");
    p.sql(&["UPDATE case_summaries SET is_open = 0"]);
    let hidden = p.ok(Some("alice"), &["case", "list"]).stdout;
    assert!(!hidden.contains(&reference), "{hidden}");
    let rebuilt = p.ok(None, &["reindex"]).stdout;
    assert!(rebuilt.contains("1 cases"), "{rebuilt}");
    let listed = p.ok(Some("alice"), &["case", "list"]).stdout;
    assert!(listed.contains(&reference), "{listed}");
}

/// `psirt case list` and `psirt case dues` page like the API: `--limit`
/// cases a page, the next page's cursor on stderr, every case once across
/// the pages; a bad page size or state is refused naming it.
#[test]
fn case_list_and_dues_are_paged() {
    let p = Psirt {
        dir: tempfile::Builder::new()
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .unwrap(),
    };
    p.ok(
        None,
        &[
            "user",
            "add",
            "--email",
            "alice@example.org",
            "--name",
            "alice",
            "--role",
            "pst",
        ],
    );
    let mut made = Vec::new();
    for summary in ["One", "Two", "Three"] {
        let run = p.ok(
            None,
            &[
                "case",
                "report",
                "--summary",
                summary,
                "--details",
                DETAILS,
                "--json",
            ],
        );
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        made.push(v["reference"].as_str().unwrap().to_string());
    }
    for verb in ["list", "dues"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut args = vec!["case", verb, "--limit", "2"];
            if let Some(c) = &cursor {
                args.extend(["--cursor", c.as_str()]);
            }
            let run = p.ok(Some("alice"), &args);
            let found: Vec<String> = made
                .iter()
                .filter(|r| run.stdout.contains(r.as_str()))
                .cloned()
                .collect();
            assert!(found.len() <= 2, "{verb}: {}", run.stdout);
            seen.extend(found);
            cursor = run
                .stderr
                .lines()
                .find_map(|l| l.strip_prefix("more: --cursor "))
                .map(str::to_string);
            if cursor.is_none() {
                break;
            }
        }
        seen.sort();
        let mut all = made.clone();
        all.sort();
        assert_eq!(seen, all, "{verb}");
    }
    for (args, field) in [
        (&["case", "list", "--limit", "0"][..], "limit"),
        (&["case", "list", "--state", "pending"][..], "state"),
        (&["case", "dues", "--limit", "201"][..], "limit"),
    ] {
        let run = p.run(Some("alice"), args);
        assert_ne!(run.code, 0, "{args:?}");
        assert!(run.stderr.contains(field), "{args:?}: {}", run.stderr);
    }
}
