//! The private distributors list through the `psirt` binary, on a
//! temporary SQLite database: a founding member, an application from a
//! TOML file with a real OpenPGP key, vouching, the embargo policy, the
//! PST's approval, the portal (cases, notice, feedback, leak) and removal.

use std::process::{Command, Output};

use psirt_mail::testing::gpg::Gpg;

const T0: &str = "2026-11-02T09:00:00Z";

struct Psirt {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Psirt {
    fn new() -> Psirt {
        let p = Psirt {
            dir: tempfile::Builder::new()
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .tempdir()
                .unwrap(),
        };
        for name in ["alice", "bob"] {
            let email = format!("{name}@example.org");
            p.ok(
                None,
                T0,
                &[
                    "user", "add", "--email", &email, "--name", name, "--role", "pst",
                ],
            );
        }
        p
    }

    /// Runs `psirt ARGS` as `actor` (an address) at instant `now`.
    fn run(&self, actor: Option<&str>, now: &str, args: &[&str]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_psirt"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env(
                "PSIRT_DATABASE_URL",
                format!("sqlite://{}/psirt.db", self.dir.path().display()),
            )
            .env("PSIRT_NOW", now)
            .args(args);
        if let Some(a) = actor {
            cmd.env("PSIRT_AS", a);
        }
        let Output {
            status,
            stdout,
            stderr,
        } = cmd.output().unwrap();
        Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8(stdout).unwrap(),
            stderr: String::from_utf8(stderr).unwrap(),
        }
    }

    fn ok(&self, actor: Option<&str>, now: &str, args: &[&str]) -> String {
        let run = self.run(actor, now, args);
        assert_eq!(run.code, 0, "psirt {args:?} failed: {}", run.stderr);
        run.stdout
    }

    fn refused(&self, actor: Option<&str>, now: &str, args: &[&str]) -> String {
        let run = self.run(actor, now, args);
        assert_eq!(
            run.code, 1,
            "psirt {args:?} should be refused, got: {}{}",
            run.stdout, run.stderr
        );
        run.stderr.trim().trim_start_matches("error: ").to_string()
    }
}

const ALICE: Option<&str> = Some("alice@example.org");
const BOB: Option<&str> = Some("bob@example.org");
const ANN: Option<&str> = Some("ann@distro.example");
const BEN: Option<&str> = Some("ben@distro.example");
const FOUNDER: Option<&str> = Some("founder@origin.example");

#[test]
fn a_distributor_applies_is_vouched_for_approved_notified_and_removed() {
    let p = Psirt::new();
    let gpg = Gpg::new();
    gpg.gen_key("ann@distro.example", "0");
    std::fs::write(
        p.dir.path().join("ann.asc"),
        gpg.export("ann@distro.example"),
    )
    .unwrap();
    p.ok(
        None,
        T0,
        &[
            "distributor",
            "found",
            "Origin",
            "--email",
            "founder@origin.example",
            "--name",
            "Founder",
        ],
    );
    let application = r#"
organisation = "Distro"
voucher = "founder@origin.example"
list_address = "security@distro.example"
answers = [
  "We ship CoreDNS in Distro Linux.",
  "Millions of users outside our company.",
  "https://distro.example/security",
  "We build from upstream sources.",
  "We review pull requests upstream.",
  "We accept the embargo policy.",
  "founder@origin.example vouches for us.",
]

[[people]]
name = "Ann"
email = "ann@distro.example"
key_file = "ann.asc"

[[people]]
name = "Ben"
email = "ben@distro.example"
"#;
    let file = p.dir.path().join("application.toml");
    std::fs::write(&file, application).unwrap();
    // A group alias is refused with the field named; nothing is written.
    let bad = p.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        application.replace("ben@distro.example", "security@distro.example"),
    )
    .unwrap();
    assert_eq!(
        p.refused(
            None,
            T0,
            &["distributor", "apply", "--file", bad.to_str().unwrap()]
        ),
        "person_email: security@distro.example looks like a group or role address; name each person with their own address"
    );
    let out = p.ok(
        None,
        T0,
        &["distributor", "apply", "--file", file.to_str().unwrap()],
    );
    assert!(
        out.contains("founder@origin.example is asked to vouch"),
        "{out}"
    );
    p.ok(FOUNDER, T0, &["distributor", "vouch", "Distro"]);
    p.ok(ANN, T0, &["distributor", "accept", "Distro"]);
    assert!(
        p.refused(ANN, T0, &["distributor", "approve", "Distro"])
            .contains("only the Product Security Team")
    );
    p.ok(ALICE, T0, &["distributor", "approve", "Distro"]);
    let shown = p.ok(BEN, T0, &["distributor", "show", "Distro"]);
    assert!(shown.starts_with("Distro (default): approved"), "{shown}");
    assert!(
        shown.contains(
            "person: Ben <ben@distro.example>: has not accepted the embargo policy, no key"
        ),
        "{shown}"
    );
    assert!(shown.contains("key on file"), "{shown}");

    // A case the Fix Lead pre-notifies distributors of.
    let report = p.ok(
        None,
        T0,
        &[
            "case",
            "report",
            "--summary",
            "Cache poisoning",
            "--details",
            "Send a crafted packet.",
        ],
    );
    let reference = report
        .split_whitespace()
        .find(|w| w.starts_with("PSIRT-"))
        .unwrap_or_else(|| panic!("{report}"))
        .trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
        .to_string();
    let r = reference.as_str();
    for (who, args) in [
        (
            BOB,
            vec![
                "case",
                "assign",
                r,
                "--lead",
                "alice@example.org",
                "--reason",
                "knows it",
            ],
        ),
        (
            ALICE,
            vec!["case", "commit", r, "a1b2c3d4", "--author", "alice"],
        ),
        (BOB, vec!["case", "lgtm", r, "a1b2c3d4"]),
        (ALICE, vec!["case", "fix-ready", r]),
        (
            ALICE,
            vec![
                "case",
                "distributors",
                r,
                "--notify",
                "--rationale",
                "remote",
                "--embargo-end",
                "+7d",
            ],
        ),
        (
            ALICE,
            vec![
                "case",
                "notify-distributors",
                r,
                "--patch",
                "diff --git a/x b/x",
                "--affected",
                ">= 1.9.0, < 1.12.1",
                "--fixed",
                "1.12.1",
            ],
        ),
        (ALICE, vec!["mail", "approve", r, "pre-notification"]),
    ] {
        p.ok(who, T0, &args);
    }
    let status = p.ok(ALICE, T0, &["distributor", "status", r]);
    assert_eq!(
        status, "Distro\tann@distro.example\tpending\nOrigin\tfounder@origin.example\tpending\n",
        "Ben has not accepted: he gets no copy"
    );

    // The portal: Ann sees the notified case and its notice; Ben nothing.
    let cases = p.ok(ANN, T0, &["distributor", "cases"]);
    assert!(
        cases.starts_with(&format!("{r}\tembargoed until 2026-11-09 09:00 UTC")),
        "{cases}"
    );
    let notice = p.ok(ANN, T0, &["distributor", "notice", r]);
    assert!(
        notice.contains("Affected versions: >= 1.9.0, < 1.12.1"),
        "{notice}"
    );
    assert!(notice.contains("Fixed versions: 1.12.1"), "{notice}");
    assert!(
        p.refused(BEN, T0, &["distributor", "notice", r])
            .starts_with("only ")
    );
    assert!(
        p.refused(ANN, T0, &["case", "show", r])
            .starts_with("only ")
    );

    p.ok(
        ANN,
        T0,
        &[
            "distributor",
            "feedback",
            r,
            "--outcome",
            "no-issues-found",
            "--text",
            "tested, no issues found",
        ],
    );
    p.ok(
        ANN,
        "2026-11-02T10:00:00Z",
        &[
            "distributor",
            "leak",
            r,
            "--what",
            "the patch",
            "--to-whom",
            "a public list",
            "--responsible",
            "Distro",
        ],
    );
    assert_eq!(
        p.ok(ALICE, "2026-11-02T10:00:00Z", &["distributor", "leaks"]),
        "Distro\tapproved\t1\nOrigin\tapproved\t0\n"
    );
    let status = p.ok(ALICE, "2026-11-02T10:00:00Z", &["distributor", "status", r]);
    assert!(
        status
            .contains("Distro\tann@distro.example\ttest\tno_issues_found\ttested, no issues found"),
        "{status}"
    );

    // Removal: at once, nothing more for Ann.
    p.ok(
        ALICE,
        "2026-11-02T11:00:00Z",
        &[
            "distributor",
            "remove",
            "Distro",
            "--reason",
            "leaked the patch",
        ],
    );
    assert!(
        p.refused(ANN, "2026-11-02T11:00:00Z", &["distributor", "notice", r])
            .starts_with("only ")
    );
    assert!(
        p.refused(ANN, "2026-11-02T11:00:00Z", &["distributor", "cases"])
            .starts_with("only ")
    );
    let status = p.ok(ALICE, "2026-11-02T11:00:00Z", &["distributor", "status", r]);
    assert!(
        status.contains("Distro\tann@distro.example\tnot notified: organisation removed"),
        "{status}"
    );
}
