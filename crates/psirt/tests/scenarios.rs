//! Scenario tests: real cases walked through the `psirt` binary against a
//! temporary SQLite database, the way the seed describes them. Time is
//! given to each command with `PSIRT_NOW`, so due times are exact.

use std::process::{Command, Output};

use serde_json::Value;

struct Psirt {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", self.stdout, self.stderr))
    }
}

const T0: &str = "2026-11-02T09:00:00Z";

impl Psirt {
    fn new() -> Psirt {
        let p = Psirt {
            dir: tempfile::Builder::new()
                .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
                .tempdir()
                .unwrap(),
        };
        for (email, role) in [
            ("alice@example.org", "pst"),
            ("bob@example.org", "pst"),
            ("carol@example.org", "pst"),
            ("dev@example.org", "member"),
            ("eve@example.org", "member"),
        ] {
            let name = email.split('@').next().unwrap();
            p.ok(
                None,
                T0,
                &[
                    "user", "add", "--email", email, "--name", name, "--role", role,
                ],
            );
        }
        p
    }

    /// Runs `psirt ARGS` as `actor` at instant `now`.
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
            cmd.env("PSIRT_AS", format!("{a}@example.org"));
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

    fn ok(&self, actor: Option<&str>, now: &str, args: &[&str]) -> Run {
        let run = self.run(actor, now, args);
        assert_eq!(run.code, 0, "psirt {args:?} failed: {}", run.stderr);
        run
    }

    /// Runs a command that a rule must refuse, and returns the reason.
    fn refused(&self, actor: Option<&str>, now: &str, args: &[&str]) -> String {
        let run = self.run(actor, now, args);
        assert_eq!(
            run.code, 1,
            "psirt {args:?} should be refused, got: {}{}",
            run.stdout, run.stderr
        );
        run.stderr.trim().trim_start_matches("error: ").to_string()
    }

    fn show(&self, actor: &str, now: &str, reference: &str) -> Value {
        self.ok(Some(actor), now, &["case", "show", reference, "--json"])
            .json()
    }

    fn report(&self, now: &str, extra: &[&str]) -> String {
        let mut args = vec![
            "case",
            "report",
            "--summary",
            "Cache poisoning via crafted EDNS",
            "--json",
        ];
        args.extend_from_slice(&[
            "--details",
            "Send the attached packet to port 53.",
            "--reporter-name",
            "Rita",
        ]);
        args.extend_from_slice(extra);
        self.ok(None, now, &args).json()["reference"]
            .as_str()
            .unwrap()
            .to_string()
    }
}

/// "milestone status when" lines, times relative to T0 in hours.
fn milestones(case: &Value) -> String {
    let t0: jiff::Timestamp = T0.parse().unwrap();
    let rel = |v: &Value| {
        let t: jiff::Timestamp = v.as_str().unwrap().parse().unwrap();
        let h = t0.duration_until(t).as_secs() / 3600;
        format!("{h:+}h")
    };
    case["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let when = match (&m["done_at"], &m["due_at"]) {
                (d, _) if !d.is_null() => format!("at {}", rel(d)),
                (_, d) if !d.is_null() => format!(
                    "due {}{}",
                    rel(d),
                    if m["asap"] == true { " ASAP" } else { "" }
                ),
                _ => String::new(),
            };
            format!(
                "{} {} {when}",
                m["milestone"].as_str().unwrap(),
                m["status"].as_str().unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const LOW: &str = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";

#[test]
fn the_seeds_private_path_from_report_to_close() {
    let p = Psirt::new();
    let c = p.report(T0, &["--reporter-email", "rita@example.net"]);
    assert_eq!(c, "PSIRT-2026-0001");
    let case = p.show("alice", T0, &c);
    assert_eq!(
        milestones(&case),
        "acknowledged done at +0h
first_response not_applicable 
fix_lead_assigned pending due +24h
fix_team_formed pending due +24h
cvss_scored pending due +168h
fix_ready pending due +168h
notice_published pending due +168h
distributors_notified pending due +336h
distributors_final_notice not_applicable 
released pending due +504h
retrospective not_applicable 
closed pending "
    );

    // Fix Team Organization, within the first 24 hours.
    let t = "2026-11-02T12:00:00Z";
    let lead = p
        .ok(Some("bob"), t, &["case", "assign", &c, "--json"])
        .json()["fix_lead"]
        .clone();
    assert_eq!(lead, 1, "alice is first in the rotation");
    assert_eq!(
        p.refused(
            Some("bob"),
            t,
            &["case", "team", &c, "--member", "dev@example.org"]
        ),
        "only the Fix Lead may form or change the Fix Team"
    );
    p.ok(
        Some("alice"),
        t,
        &["case", "team", &c, "--member", "dev@example.org"],
    );

    // Fix Development: CVSS proposed by the team, the Fix Lead's call is final.
    let t = "2026-11-03T09:00:00Z";
    p.ok(Some("dev"), t, &["case", "cvss-propose", &c, CRITICAL]);
    assert_eq!(
        p.refused(Some("dev"), t, &["case", "cvss-finalize", &c, CRITICAL]),
        "only the Fix Lead may make the CVSS vector final"
    );
    assert_eq!(
        p.refused(
            Some("alice"),
            t,
            &["case", "cvss-finalize", &c, "CVSS:3.1/AV:Q"]
        ),
        p.refused(
            Some("alice"),
            t,
            &["case", "cvss-finalize", &c, "CVSS:3.1/AV:Q"]
        ),
        "invalid vectors are refused the same way every time"
    );
    p.ok(Some("alice"), t, &["case", "cvss-finalize", &c, CRITICAL]);
    assert_eq!(
        p.refused(
            Some("alice"),
            t,
            &[
                "case",
                "notice",
                &c,
                "--release-date",
                "+14d",
                "--mitigation",
                "Disable the cache plugin."
            ]
        ),
        "the forthcoming-fix notice needs a fix or a mitigation first"
    );

    // Every fix commit needs an LGTM from a maintainer other than its author.
    p.ok(
        Some("dev"),
        t,
        &[
            "case",
            "commit",
            &c,
            "a1b2c3d4",
            "--author",
            "Dev <dev@example.org>",
        ],
    );
    p.ok(
        Some("dev"),
        t,
        &[
            "case",
            "commit",
            &c,
            "e5f6a7b8",
            "--author",
            "dev@example.org",
        ],
    );
    assert_eq!(
        p.refused(Some("dev"), t, &["case", "lgtm", &c, "a1b2c3d4"]),
        "an LGTM must come from a maintainer other than the commit's author"
    );
    p.ok(Some("bob"), t, &["case", "lgtm", &c, "a1b2c3d4"]);
    assert_eq!(
        p.refused(Some("dev"), t, &["case", "fix-ready", &c]),
        "the fix is ready only when every fix commit has an LGTM from a maintainer; still waiting: e5f6a7b8"
    );
    p.ok(Some("carol"), t, &["case", "lgtm", &c, "e5f6a7b8"]);
    p.ok(Some("dev"), t, &["case", "fix-ready", &c]);

    // Disclosure of the forthcoming fix, with a release date and mitigation.
    let t = "2026-11-05T09:00:00Z";
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "notice",
            &c,
            "--release-date",
            "2026-11-16T16:00:00Z",
            "--mitigation",
            "Disable the cache plugin.",
        ],
    );

    // Optional distributor pre-notification: a recorded decision, an embargo, the patches.
    let patch = p.dir.path().join("fix.patch");
    std::fs::write(&patch, "diff --git a/cache.go b/cache.go\n").unwrap();
    assert_eq!(
        p.refused(
            Some("alice"),
            t,
            &[
                "case",
                "notify-distributors",
                &c,
                "--patch",
                patch.to_str().unwrap()
            ]
        ),
        "distributors are notified only after the Fix Lead has decided to notify them"
    );
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "distributors",
            &c,
            "--notify",
            "--rationale",
            "Remotely exploitable cache poisoning",
            "--embargo-end",
            "2026-11-16T16:00:00Z",
        ],
    );
    let case = p
        .ok(
            Some("alice"),
            t,
            &[
                "case",
                "notify-distributors",
                &c,
                "--patch",
                patch.to_str().unwrap(),
                "--json",
            ],
        )
        .json();
    assert_eq!(case["distributors"]["patches"], 1);
    assert_eq!(case["distributors"]["suggested"], true);

    // Fix Release Day: only with every precondition, and not before the embargo.
    let t = "2026-11-10T09:00:00Z";
    let release = [
        "case",
        "release",
        &c,
        "--version",
        "1.12.1",
        "--base",
        "v1.12.0",
        "--pick",
        "a1b2c3d4",
        "--pick",
        "e5f6a7b8",
    ];
    assert_eq!(
        p.refused(Some("alice"), t, &release),
        "the release needs a CVE id (or a waiver with a reason), an announcement draft"
    );
    p.ok(Some("alice"), t, &["case", "cve", &c, "CVE-2026-41234"]);
    p.ok(
        Some("dev"),
        t,
        &[
            "case",
            "announce",
            &c,
            "--text",
            "CoreDNS 1.12.1 fixes CVE-2026-41234.",
        ],
    );
    // Published before the agreed instant? Not while the embargo holds.
    let now_public: Vec<&str> = release.iter().copied().chain(["--public-at", t]).collect();
    assert_eq!(
        p.refused(Some("alice"), t, &now_public),
        "the embargo holds until 2026-11-16T16:00:00Z; publishing earlier needs an embargo-break assessment to release early"
    );
    let t = "2026-11-16T16:00:00Z";
    p.ok(Some("alice"), t, &release);
    assert_eq!(
        p.refused(Some("alice"), t, &["case", "close", &c]),
        "closing the case needs an exported advisory, the reporter's credit (a name or anonymous)"
    );
    p.ok(
        Some("alice"),
        t,
        &["case", "credit", &c, "--name", "Rita", "--type", "finder"],
    );
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "advisory",
            &c,
            "--format",
            "osv",
            "--location",
            "https://example.org/osv.json",
        ],
    );
    p.ok(Some("alice"), t, &["case", "close", &c]);
    let case = p.show("alice", t, &c);
    assert_eq!(case["open"], false);
    assert_eq!(
        milestones(&case),
        "acknowledged done at +0h
first_response not_applicable 
fix_lead_assigned done at +3h
fix_team_formed done at +3h
cvss_scored done at +24h
fix_ready done at +24h
notice_published done at +72h
distributors_notified done at +72h
distributors_final_notice not_applicable 
released done at +343h
retrospective not_applicable 
closed done at +343h"
    );
    assert_eq!(
        p.refused(
            Some("alice"),
            t,
            &["case", "mitigation", &c, "--steps", "x"]
        ),
        "the case is closed: nothing on it can change any more"
    );
    // The timeline has every step, with actor and time.
    let kinds: Vec<&str> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), case["version"].as_u64().unwrap() as usize);
    assert_eq!(kinds.first(), Some(&"reported"));
    // No publication job ran (no `psirt serve` here): the close ends the
    // notified distributors' access that publication would have ended.
    assert!(
        kinds.ends_with(&["closed", "distributor_access_ended"]),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&"published"));
}

#[test]
fn a_public_disclosure_makes_every_due_time_asap() {
    let p = Psirt::new();
    let c = p.report(
        T0,
        &[
            "--already-public",
            "--public-link",
            "https://github.com/coredns/coredns/issues/1",
        ],
    );
    let case = p.show("alice", T0, &c);
    assert_eq!(case["urgent"], true);
    assert_eq!(
        milestones(&case),
        "acknowledged done at +0h
first_response not_applicable 
fix_lead_assigned pending due +0h ASAP
fix_team_formed pending due +0h ASAP
cvss_scored pending due +0h ASAP
fix_ready pending due +0h ASAP
notice_published pending due +0h ASAP
distributors_notified pending due +0h ASAP
distributors_final_notice not_applicable 
released pending due +0h ASAP
retrospective not_applicable 
closed pending "
    );
    // The PST asks the reporter to handle it privately; a "no" keeps ASAP.
    let t = "2026-11-02T10:00:00Z";
    assert_eq!(
        p.refused(Some("dev"), t, &["case", "ask-private", &c]),
        "only the Product Security Team may ask the reporter for private handling"
    );
    p.ok(Some("bob"), t, &["case", "ask-private", &c]);
    p.ok(Some("bob"), t, &["case", "private-answer", &c, "--refused"]);
    let dues = p.ok(Some("bob"), t, &["case", "dues", "--json"]).json();
    let overdue: Vec<&str> = dues["cases"][0]["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["milestone"].as_str().unwrap())
        .collect();
    assert_eq!(
        overdue.len(),
        7,
        "every pending milestone is overdue an hour later: {overdue:?}"
    );
    assert_eq!(dues["cases"][0]["urgent"], true);
    assert_eq!(
        p.refused(
            Some("bob"),
            t,
            &[
                "case",
                "slow-down",
                &c,
                "--reason",
                "holidays",
                "--discussion",
                "https://lists.example.org/1"
            ]
        ),
        "a publicly disclosed case cannot be slowed down: every due time is as soon as possible"
    );
}

#[test]
fn a_private_case_that_goes_public_becomes_asap_from_that_moment() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let t = "2026-11-04T09:00:00Z";
    let case = p
        .ok(
            Some("carol"),
            t,
            &[
                "case",
                "public",
                &c,
                "--link",
                "https://example.com/blog",
                "--json",
            ],
        )
        .json();
    assert_eq!(case["urgent"], true);
    assert!(
        milestones(&case).contains("released pending due +48h ASAP"),
        "{}",
        milestones(&case)
    );
    // Asked, the reporter agrees: back to the normal timeline.
    p.ok(Some("carol"), t, &["case", "ask-private", &c]);
    let case = p
        .ok(
            Some("carol"),
            t,
            &["case", "private-answer", &c, "--agreed", "--json"],
        )
        .json();
    assert_eq!(case["urgent"], false);
    assert!(
        milestones(&case).contains("released pending due +504h\n"),
        "{}",
        milestones(&case)
    );
}

#[test]
fn a_low_severity_case_may_be_slowed_down_with_a_recorded_decision() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let t = "2026-11-03T09:00:00Z";
    p.ok(Some("alice"), t, &["case", "assign", &c]);
    let slow = [
        "case",
        "slow-down",
        &c,
        "--reason",
        "Maintainers on holiday",
        "--discussion",
        "https://lists.example.org/t/42",
    ];
    assert_eq!(
        p.refused(Some("alice"), t, &slow),
        "slowing a case down needs a final CVSS score below 4.0 first"
    );
    p.ok(Some("alice"), t, &["case", "cvss-finalize", &c, CRITICAL]);
    assert_eq!(
        p.refused(Some("alice"), t, &slow),
        "only a low-severity case (CVSS base score below 4.0) may be slowed down; this one scores 9.8"
    );
    let low = p
        .ok(
            Some("alice"),
            t,
            &["case", "cvss-finalize", &c, LOW, "--json"],
        )
        .json();
    assert!(low["cvss"]["final"]["base_score"].as_f64().unwrap() < 4.0);
    assert_eq!(
        p.refused(
            Some("alice"),
            t,
            &[
                "case",
                "slow-down",
                &c,
                "--reason",
                "holidays",
                "--discussion",
                "see the list"
            ]
        ),
        "discussion: \"see the list\" is not an http(s) URL, a mailto: URL or a <Message-ID>"
    );
    let usage = p.run(
        Some("alice"),
        t,
        &["case", "slow-down", &c, "--reason", "holidays"],
    );
    assert_eq!(usage.code, 2, "a missing required option is a usage error");
    assert!(usage.stderr.contains("--discussion"), "{}", usage.stderr);
    let case = p
        .ok(Some("alice"), t, &[&slow[..], &["--json"]].concat())
        .json();
    assert_eq!(
        case["slow_downs"][0]["discussion"],
        "https://lists.example.org/t/42"
    );
    assert!(
        milestones(&case).contains("released pending due +840h"),
        "21d + 14d: {}",
        milestones(&case)
    );
    let timeline = case["timeline"].as_array().unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last["type"], "slowed_down");
    assert_eq!(last["actor"], "user:1");
}

#[test]
fn an_embargo_break_pulls_the_release_forward() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let t = "2026-11-03T09:00:00Z";
    p.ok(Some("alice"), t, &["case", "assign", &c]);
    p.ok(Some("alice"), t, &["case", "cvss-finalize", &c, CRITICAL]);
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "commit",
            &c,
            "a1b2c3d4",
            "--author",
            "alice@example.org",
        ],
    );
    p.ok(Some("bob"), t, &["case", "lgtm", &c, "a1b2c3d4"]);
    p.ok(Some("alice"), t, &["case", "fix-ready", &c]);
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "distributors",
            &c,
            "--notify",
            "--rationale",
            "Remote",
            "--embargo-end",
            "+10d",
        ],
    );
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "notify-distributors",
            &c,
            "--patch",
            "diff --git a/x b/x",
        ],
    );
    p.ok(Some("alice"), t, &["case", "cve", &c, "CVE-2026-41235"]);
    p.ok(
        Some("alice"),
        t,
        &["case", "announce", &c, "--text", "Fixed."],
    );

    // A distributor leaked it.
    let t = "2026-11-05T09:00:00Z";
    assert_eq!(
        p.refused(
            Some("alice"),
            t,
            &[
                "case",
                "embargo-break",
                &c,
                "--what",
                "the patch",
                "--to-whom",
                "a blog",
                "--when",
                "+1h"
            ]
        ),
        "an embargo break cannot be dated in the future"
    );
    p.ok(
        Some("carol"),
        t,
        &[
            "case",
            "embargo-break",
            &c,
            "--what",
            "the patch",
            "--to-whom",
            "a public blog",
            "--when=-3h",
        ],
    );
    let release = [
        "case",
        "release",
        &c,
        "--version",
        "1.12.1",
        "--base",
        "v1.12.0",
        "--pick",
        "a1b2c3d4",
    ];
    let now_public: Vec<&str> = release.iter().copied().chain(["--public-at", t]).collect();
    assert_eq!(
        p.refused(Some("alice"), t, &now_public),
        "the embargo holds until 2026-11-13T09:00:00Z; publishing earlier needs an embargo-break assessment to release early"
    );
    let t = "2026-11-05T10:00:00Z";
    assert_eq!(
        p.refused(
            Some("dev"),
            t,
            &[
                "case",
                "assess-break",
                &c,
                "--release-early",
                "--reason",
                "The patch is out"
            ]
        ),
        "only the Product Security Team may assess an embargo break"
    );
    // The choice is explicit: neither --release-early nor --keep-plan is
    // a usage error.
    let run = p.run(
        Some("bob"),
        t,
        &["case", "assess-break", &c, "--reason", "The patch is out"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--release-early"), "{}", run.stderr);
    // "When in doubt push forward and go public ASAP."
    let case = p
        .ok(
            Some("bob"),
            t,
            &[
                "case",
                "assess-break",
                &c,
                "--release-early",
                "--reason",
                "The patch is out",
                "--json",
            ],
        )
        .json();
    assert_eq!(case["urgent"], true);
    assert_eq!(case["embargo_breaks"][0]["assessment"], "release_early");
    assert!(
        milestones(&case).contains("released pending due +73h ASAP"),
        "{}",
        milestones(&case)
    );
    assert!(
        milestones(&case).contains("notice_published pending due +73h ASAP"),
        "{}",
        milestones(&case)
    );
    p.ok(Some("alice"), t, &release);
}

#[test]
fn keeping_the_plan_after_a_break_changes_no_due_time() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let t = "2026-11-03T09:00:00Z";
    p.ok(Some("alice"), t, &["case", "assign", &c]);
    p.ok(
        Some("alice"),
        t,
        &[
            "case",
            "embargo-break",
            &c,
            "--what",
            "a hint",
            "--to-whom",
            "one vendor",
            "--when",
            t,
        ],
    );
    let before = milestones(&p.show("alice", t, &c));
    assert!(
        before.starts_with("embargo_break_assessed pending due +24h ASAP\n"),
        "{before}"
    );
    let case = p
        .ok(
            Some("bob"),
            t,
            &[
                "case",
                "assess-break",
                &c,
                "--keep-plan",
                "--reason",
                "Only a hint",
                "--json",
            ],
        )
        .json();
    assert_eq!(case["embargo_breaks"][0]["assessment"], "keep_plan");
    // Only the assessment itself is done: no other due time moves.
    assert_eq!(
        milestones(&case).replacen(
            "embargo_break_assessed done at +24h",
            "embargo_break_assessed pending due +24h ASAP",
            1
        ),
        before
    );
    assert_eq!(
        p.refused(
            Some("bob"),
            t,
            &[
                "case",
                "assess-break",
                &c,
                "--keep-plan",
                "--reason",
                "again"
            ]
        ),
        "there is no reported embargo break waiting for an assessment"
    );
}

#[test]
fn an_upstream_embargo_sets_the_release_due_time() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let t = "2026-11-03T09:00:00Z";
    p.ok(Some("alice"), t, &["case", "assign", &c]);
    let case = p
        .ok(
            Some("alice"),
            t,
            &[
                "case",
                "upstream-embargo",
                &c,
                "--upstream",
                "golang.org/x/net",
                "--until",
                "2026-12-01T16:00:00Z",
                "--json",
            ],
        )
        .json();
    assert!(
        milestones(&case).contains("released pending due +703h\n"),
        "{}",
        milestones(&case)
    );
    assert_eq!(case["upstream_embargo"]["upstream"], "golang.org/x/net");
}

#[test]
fn usage_errors_exit_2_and_refusals_exit_1() {
    let p = Psirt::new();
    let usage = p.run(Some("alice"), T0, &["case", "frobnicate"]);
    assert_eq!(usage.code, 2);
    let usage = p.run(Some("alice"), T0, &["case", "assign"]);
    assert_eq!(
        usage.code, 2,
        "a missing argument is a usage error: {}",
        usage.stderr
    );
    assert_eq!(
        p.refused(Some("alice"), T0, &["case", "show", "PSIRT-2026-0099"]),
        "case PSIRT-2026-0099 not found"
    );
    assert_eq!(
        p.refused(Some("alice"), T0, &["case", "show", "2026-1"]),
        "case reference: \"2026-1\" is not of the form PSIRT-2026-0007"
    );
    assert_eq!(
        p.refused(None, T0, &["case", "list"]),
        "say who you are: --as EMAIL (or PSIRT_AS)"
    );
    assert_eq!(
        p.refused(Some("nobody"), T0, &["case", "list"]),
        "user nobody@example.org not found"
    );
    assert_eq!(
        p.refused(
            None,
            T0,
            &["case", "report", "--summary", " ", "--details", "x"]
        ),
        "summary: must not be empty"
    );
    let dup = p.refused(
        None,
        T0,
        &[
            "user",
            "add",
            "--email",
            "alice@example.org",
            "--name",
            "A",
            "--role",
            "pst",
        ],
    );
    assert_eq!(dup, "a user with e-mail alice@example.org already exists");
    // Nothing half-written: the refused report left no case behind.
    assert_eq!(
        p.ok(Some("alice"), T0, &["case", "list", "--all"]).stdout,
        ""
    );
}

#[test]
fn fix_team_members_cannot_open_other_teams_cases() {
    let p = Psirt::new();
    let mine = p.report(T0, &[]);
    let other = p.report(T0, &[]);
    p.ok(Some("alice"), T0, &["case", "assign", &mine]);
    p.ok(
        Some("alice"),
        T0,
        &["case", "team", &mine, "--member", "dev@example.org"],
    );
    p.ok(Some("dev"), T0, &["case", "show", &mine]);
    assert_eq!(
        p.refused(Some("dev"), T0, &["case", "show", &other]),
        "only the Product Security Team, the Fix Lead or the Fix Team may view the case"
    );
    assert_eq!(
        p.refused(Some("eve"), T0, &["case", "show", &mine]),
        p.refused(Some("eve"), T0, &["case", "show", &other])
    );
    let listed = p.ok(Some("dev"), T0, &["case", "list"]).stdout;
    assert!(
        listed.starts_with(&mine) && !listed.contains(&other),
        "{listed}"
    );
}

/// `PSIRT_NOW` far in the future would freeze a case for everyone (nothing
/// may be recorded before its last event): it is refused beyond a small
/// skew from the clock unless the command says it is an import.
#[test]
fn a_command_far_in_the_future_is_refused_unless_it_is_an_import() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let future = "2031-01-01T00:00:00Z";
    let reason = p.refused(Some("alice"), future, &["case", "assign", &c]);
    assert!(reason.contains("ahead of the clock"), "{reason}");
    assert!(reason.contains("--import"), "{reason}");
    // Nothing was recorded: a command now still goes through.
    let shown = p.show("alice", T0, &c);
    assert_eq!(
        shown["version"], 2,
        "reported and acknowledged only: {shown}"
    );
    p.ok(Some("alice"), future, &["case", "--import", "show", &c]);
}

/// `psirt case show` reads like the case page: people by name and address,
/// on the Fix Team line and in the timeline, never `user:2`.
#[test]
fn case_show_names_people_as_the_pages_do() {
    let p = Psirt::new();
    let c = p.report(T0, &[]);
    let t = "2026-11-02T12:00:00Z";
    p.ok(Some("bob"), t, &["case", "assign", &c]);
    p.ok(
        Some("alice"),
        t,
        &["case", "team", &c, "--member", "dev@example.org"],
    );
    let shown = p.ok(Some("alice"), t, &["case", "show", &c]).stdout;
    assert!(
        shown.contains("Fix Lead: alice <alice@example.org>  Fix Team: alice <alice@example.org>, dev <dev@example.org>"),
        "{shown}"
    );
    assert!(
        shown.contains("bob <bob@example.org> fix_lead_assigned"),
        "{shown}"
    );
    assert!(!shown.contains("user:"), "{shown}");
}

/// A reader that stops early (`psirt case dues | head`) ends the command
/// quietly: no panic, no backtrace.
#[test]
fn a_closed_pipe_ends_a_command_quietly() {
    let p = Psirt::new();
    p.report(T0, &[]);
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_psirt"))
        .current_dir(p.dir.path())
        .env_clear()
        .env(
            "PSIRT_DATABASE_URL",
            format!("sqlite://{}/psirt.db", p.dir.path().display()),
        )
        .env("PSIRT_AS", "alice@example.org")
        .args(["case", "dues"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    use std::os::unix::process::ExitStatusExt;
    const SIGPIPE: i32 = 13;
    assert_eq!(
        out.status.signal(),
        Some(SIGPIPE),
        "{:?} {stderr}",
        out.status
    );
}
