//! The advisory record and its exports from the shell: each fact set once
//! with `psirt case product|cwe|describe|reference|alias`, bad values
//! refused naming the field with nothing written, and `psirt case export`
//! checked by the official validator (scripts/test installs it).

use std::path::PathBuf;
use std::process::Command;

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
        p.ok(
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
            &[],
        );
        p
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_psirt"));
        cmd.current_dir(self.dir.path())
            .env_clear()
            .env(
                "PSIRT_DATABASE_URL",
                format!("sqlite://{}/psirt.db", self.dir.path().display()),
            )
            .env("PSIRT_NOW", T0)
            .env("PSIRT_AS", "alice@example.org")
            .envs(env.iter().copied())
            .args(args);
        let out = cmd.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    fn ok(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let run = self.run(args, env);
        assert_eq!(run.code, 0, "psirt {args:?} failed: {}", run.stderr);
        run
    }

    fn refused(&self, args: &[&str]) -> String {
        let run = self.run(args, &[]);
        assert_ne!(
            run.code, 0,
            "psirt {args:?} should be refused: {}",
            run.stdout
        );
        run.stderr
    }

    fn version(&self, reference: &str) -> u64 {
        let run = self.ok(&["case", "show", reference, "--json"], &[]);
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        v["version"].as_u64().unwrap()
    }
}

#[test]
fn the_record_is_set_once_and_exported_valid() {
    let p = Psirt::new();
    let run = p.ok(
        &[
            "case",
            "report",
            "--summary",
            "Cache poisoning",
            "--details",
            "secret",
            "--json",
        ],
        &[],
    );
    let case: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let r = case["reference"].as_str().unwrap().to_string();
    let r = r.as_str();
    p.ok(
        &[
            "case",
            "assign",
            r,
            "--lead",
            "alice@example.org",
            "--reason",
            "on call",
        ],
        &[],
    );
    p.ok(
        &[
            "case",
            "cvss-finalize",
            r,
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
        ],
        &[],
    );
    p.ok(
        &[
            "case",
            "product",
            r,
            "--package",
            "github.com/coredns/coredns",
            "--ecosystem",
            "Go",
            "--purl",
            "pkg:golang/github.com/coredns/coredns",
            "--range",
            "semver:1.9.0..1.11.2",
            "--branch",
            "release-1.11",
        ],
        &[],
    );
    p.ok(
        &[
            "case",
            "cwe",
            r,
            "CWE-345",
            "--name",
            "Insufficient Verification of Data Authenticity",
        ],
        &[],
    );
    p.ok(
        &[
            "case",
            "describe",
            r,
            "--description",
            "A crafted chain of CNAME records poisons the cache.",
        ],
        &[],
    );
    p.ok(
        &[
            "case",
            "reference",
            r,
            "--type",
            "pull_request",
            "https://github.com/coredns/coredns/pull/7001",
        ],
        &[],
    );
    p.ok(&["case", "alias", r, "GHSA-abcd-1234-wxyz"], &[]);

    let before = p.version(r);
    let purl = p.refused(&[
        "case",
        "product",
        r,
        "--package",
        "x",
        "--ecosystem",
        "Go",
        "--purl",
        "npm/x",
        "--range",
        "semver:0..1.0.0",
    ]);
    assert!(
        purl.contains("--purl") && purl.contains("must start with pkg:"),
        "{purl}"
    );
    let range = p.refused(&[
        "case",
        "product",
        r,
        "--package",
        "x",
        "--ecosystem",
        "Go",
        "--range",
        "semver:v1..1.0.0",
    ]);
    assert!(range.contains("ranges.introduced"), "{range}");
    let url = p.refused(&["case", "reference", r, "--type", "web", "example.org"]);
    assert!(url.contains("url:"), "{url}");
    assert_eq!(p.version(r), before, "nothing written by a refused edit");

    // A control character other than a newline or a tab is refused,
    // naming the field, and nothing is written.
    let before = p.version(r);
    let escape = p.refused(&[
        "case",
        "describe",
        r,
        "--impact",
        "Clients are redirected\u{1b}]0;owned\u{7}.",
    ]);
    assert!(
        escape.contains("impact: must not contain the control character U+001B"),
        "{escape}"
    );
    assert_eq!(p.version(r), before, "nothing written by a refused edit");
    // `psirt case show` prints the record as it stands.
    p.ok(
        &["case", "describe", r, "--impact", "Clients are redirected."],
        &[],
    );
    let shown = p.ok(&["case", "show", r], &[]).stdout;
    for line in [
        "advisory record (modified 2026-11-02T09:00:00Z):",
        "  description: A crafted chain of CNAME records poisons the cache.",
        "  impact: Clients are redirected.",
        "  product github.com/coredns/coredns (Go) pkg:golang/github.com/coredns/coredns",
        "    semver 1.9.0..1.11.2",
        "    branches: release-1.11",
        "  weakness CWE-345: Insufficient Verification of Data Authenticity",
        "  reference pull_request: https://github.com/coredns/coredns/pull/7001",
        "  aliases: GHSA-abcd-1234-wxyz",
    ] {
        assert!(shown.contains(line), "{line:?} missing from:\n{shown}");
    }
    assert!(!shown.contains('\u{1b}'), "{shown}");

    // OSV: the id is the GHSA alias until a CVE is recorded.
    let osv = p.ok(&["case", "export", r, "--format", "osv"], &[]).stdout;
    assert!(osv.contains("\"id\": \"GHSA-abcd-1234-wxyz\""), "{osv}");
    let file = p.dir.path().join("osv.json");
    std::fs::write(&file, &osv).unwrap();
    let validators = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/validators");
    let out = Command::new("python3")
        .arg(validators.join("validate.py"))
        .arg("osv")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let cve = p.refused(&["case", "export", r, "--format", "cve5"]);
    assert!(cve.contains("PSIRT_CNA_ORG_ID"), "{cve}");
    let cve = p.ok(
        &["case", "export", r, "--format", "cve5"],
        &[("PSIRT_CNA_ORG_ID", "f8d3a5b2-1c4e-4d6f-9a7b-2e5c8d1f0a93")],
    );
    assert!(
        cve.stdout.contains("\"cweId\": \"CWE-345\""),
        "{}",
        cve.stdout
    );
    let md = p
        .ok(&["case", "export", r, "--format", "markdown"], &[])
        .stdout;
    assert!(md.contains("> **EMBARGOED**"), "{md}");
}
