//! `psirt project replies` and `psirt project reply` on both databases: a
//! member of the project's PST lists the canned replies, sets one from a
//! file and goes back to the default; someone outside the PST and a bad
//! name or file are refused and change nothing.

use std::process::Command;

mod support;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn psirt(dir: &tempfile::TempDir, url: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .current_dir(dir.path())
        .env_clear()
        .env("PSIRT_DATABASE_URL", url)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn walk(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| psirt(&dir, url, args);
    for (email, role) in [("alice@example.org", "pst"), ("dev@example.org", "member")] {
        let r = run(&[
            "user",
            "add",
            "--email",
            email,
            "--name",
            email,
            "--role",
            role,
            "--project",
            "default",
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let alice = ["--as", "alice@example.org"];
    let list = |who: &[&str]| {
        let mut args = vec!["project", "replies", "default"];
        args.extend_from_slice(who);
        run(&args)
    };

    let r = list(&alice);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("== duplicate (default)\nThank you for your report {reference}."),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.matches("== ").count(), 8, "{}", r.stdout);

    let file = dir.path().join("duplicate.txt");
    std::fs::write(&file, "{reference} is {duplicate_of} again.\n").unwrap();
    let file = file.to_str().unwrap();
    let set = |kind: &str, rest: &[&str]| {
        let mut args = vec!["project", "reply", "default", kind];
        args.extend_from_slice(rest);
        run(&args)
    };
    // Outside the PST, a name off the list, a missing file: refused.
    let r = set(
        "duplicate",
        &["--text-file", file, "--as", "dev@example.org"],
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = set("dupe", &["--text-file", file, "--as", "alice@example.org"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no canned reply \"dupe\""),
        "{}",
        r.stderr
    );
    let r = set(
        "duplicate",
        &["--text-file", "missing.txt", "--as", "alice@example.org"],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--text-file missing.txt"), "{}", r.stderr);
    assert!(list(&alice).stdout.contains("== duplicate (default)"));

    let r = set(
        "duplicate",
        &["--text-file", file, "--as", "alice@example.org"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "default's duplicate reply is set\n");
    let r = list(&alice);
    assert!(
        r.stdout
            .contains("== duplicate (edited)\n{reference} is {duplicate_of} again.\n"),
        "{}",
        r.stdout
    );
    let r = set("duplicate", &["--reset", "--as", "alice@example.org"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(list(&alice).stdout.contains("== duplicate (default)"));
}

#[test]
fn canned_replies_from_the_shell_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    walk(&format!(
        "sqlite://{}",
        dir.path().join("psirt.db").display()
    ));
}

#[test]
fn canned_replies_from_the_shell_on_postgres() {
    let db = support::PgDatabase::create();
    walk(&db.url());
}
