//! `psirt user github-login`: the binary on a temporary SQLite database
//! sets an account's GitHub login (kept in lower case), refuses a login
//! another account has and one that is not a GitHub login, naming it, and
//! clears it.

use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn psirt(dir: &tempfile::TempDir, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .current_dir(dir.path())
        .env_clear()
        .env(
            "PSIRT_DATABASE_URL",
            format!("sqlite://{}", dir.path().join("psirt.db").display()),
        )
        .env("PSIRT_NOW", "2026-11-02T09:00:00Z")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn an_administrator_sets_and_clears_a_github_login() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["alice", "bob"] {
        let email = format!("{name}@example.org");
        let run = psirt(
            &dir,
            &[
                "user", "add", "--email", &email, "--name", name, "--role", "member",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let set = psirt(
        &dir,
        &[
            "user",
            "github-login",
            "--email",
            "alice@example.org",
            "Alice-H",
        ],
    );
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(
        set.stdout,
        "GitHub login of alice@example.org set to alice-h\n"
    );
    let taken = psirt(
        &dir,
        &[
            "user",
            "github-login",
            "--email",
            "bob@example.org",
            "alice-h",
        ],
    );
    assert_ne!(taken.code, 0);
    assert!(taken.stderr.contains("alice-h"), "{}", taken.stderr);
    let bad = psirt(
        &dir,
        &[
            "user",
            "github-login",
            "--email",
            "bob@example.org",
            "bob--x",
        ],
    );
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr
            .contains("GitHub login: \"bob--x\" is not a GitHub login"),
        "{}",
        bad.stderr
    );
    let cleared = psirt(
        &dir,
        &["user", "github-login", "--email", "alice@example.org"],
    );
    assert_eq!(
        cleared.stdout,
        "GitHub login of alice@example.org cleared\n"
    );
    let now_free = psirt(
        &dir,
        &[
            "user",
            "github-login",
            "--email",
            "bob@example.org",
            "alice-h",
        ],
    );
    assert_eq!(now_free.code, 0, "{}", now_free.stderr);
}
