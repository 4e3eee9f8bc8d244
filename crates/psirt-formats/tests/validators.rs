//! Every export of the scenario cases validates against the official
//! validators, run as subprocesses on a file: the OSV schema (PyPI `osv`),
//! the CVE JSON 5.1.1 CNA published-container schema (PyPI `cvelib`) and
//! the BSI/Secvisogram CSAF validator (npm `@secvisogram/csaf-validator-lib`,
//! schema and mandatory tests). `scripts/test` installs them. A record
//! broken past the core's checks is shown to fail each validator, so the
//! check can fail.

use std::path::PathBuf;
use std::process::Command as Process;

use jiff::Timestamp;
use psirt_core::{
    ActorRef, AffectedProduct, Case, CaseRef, Change, Credit, CreditKind, CweId, Event, Policy,
    RangeKind, Record, RecordEdit, Reference, ReferenceKind, Reporter, Secret, VersionRange,
    Weakness, check_edit,
};
use psirt_formats::{Format, Publisher, export};

const PUBLISHER: Publisher<'static> = Publisher {
    name: "CoreDNS",
    namespace: "https://security.coredns.example",
    cna_org_id: Some("f8d3a5b2-1c4e-4d6f-9a7b-2e5c8d1f0a93"),
};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Builds a case from its changes, one event a minute from `start`.
fn case(start: &str, changes: Vec<Change>) -> Case {
    let start = at(start);
    let events: Vec<Event> = changes
        .into_iter()
        .enumerate()
        .map(|(i, change)| Event {
            seq: i as u64 + 1,
            at: start + jiff::SignedDuration::from_mins(i as i64),
            actor: ActorRef::User(psirt_core::UserId::new(1)),
            change,
        })
        .collect();
    Case::from_events(&events).unwrap()
}

fn reported(number: u32, summary: &str) -> Change {
    Change::Reported {
        reference: CaseRef::new(2026, number).unwrap(),
        project: "coredns".into(),
        summary: summary.into(),
        details: Secret::new("embargoed details, never exported".into()),
        reporter: Some(Reporter {
            name: Some("Alice".into()),
            email: None,
        }),
        public_link: None,
        already_public: false,
        ai_assisted: false,
        policy: Box::new(Policy::default()),
    }
}

/// A record edit as `decide` would store it: through `check_edit`.
fn edit(e: RecordEdit) -> Change {
    Change::RecordEdited(check_edit(&Record::default(), e).unwrap())
}

fn product(
    package: &str,
    ecosystem: &str,
    purl: Option<&str>,
    ranges: Vec<VersionRange>,
) -> Change {
    edit(RecordEdit::SetProduct(AffectedProduct {
        package: package.into(),
        ecosystem: ecosystem.into(),
        purl: purl.map(|p| p.parse().unwrap()),
        ranges,
        branches: vec!["release-1.11".into()],
    }))
}

fn range(kind: RangeKind, s: &str) -> VersionRange {
    let repo = (kind == RangeKind::Git).then(|| "https://github.com/coredns/coredns".to_string());
    VersionRange::parse(kind, repo, s).unwrap()
}

fn describe(description: &str, impact: Option<&str>) -> Change {
    edit(RecordEdit::Describe {
        title: Some("Cache poisoning through crafted CNAME chains".into()),
        description: Some(description.into()),
        impact: impact.map(Into::into),
    })
}

fn weakness(cwe: &str, name: &str) -> Change {
    edit(RecordEdit::AddWeakness(Weakness {
        cwe: cwe.parse().unwrap(),
        name: name.into(),
    }))
}

fn reference(kind: ReferenceKind, url: &str) -> Change {
    edit(RecordEdit::AddReference(Reference {
        kind,
        url: url.into(),
    }))
}

fn released(version: &str) -> Change {
    Change::Released {
        version: version.into(),
        base_release: "v1.11.1".into(),
        cherry_picks: vec!["abc1234".parse().unwrap()],
        public_at: None,
    }
}

/// The seed's private path, released: CVSS 3.1, a CVE, a fix commit and
/// pull request, the reporter's credit and an anonymous one.
fn seed_private_path() -> Case {
    case(
        "2026-03-01T09:00:00Z",
        vec![
            reported(1, "cache poisoning"),
            Change::Acknowledged,
            Change::CvssFinalized {
                vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
                    .parse()
                    .unwrap(),
            },
            Change::FixCommitAdded {
                commit: "abc1234".parse().unwrap(),
                author: "Bob <bob@example.org>".into(),
                author_user: None,
                url: Some("https://github.com/coredns/coredns/commit/abc1234".into()),
            },
            Change::MitigationRecorded {
                steps: "Disable the cache plugin.".into(),
            },
            product(
                "github.com/coredns/coredns",
                "Go",
                Some("pkg:golang/github.com/coredns/coredns"),
                vec![range(RangeKind::Semver, "1.9.0..1.11.2")],
            ),
            describe(
                "A crafted chain of CNAME records poisons the cache.",
                Some("Remote attackers can redirect clients."),
            ),
            weakness("CWE-345", "Insufficient Verification of Data Authenticity"),
            reference(
                ReferenceKind::PullRequest,
                "https://github.com/coredns/coredns/pull/7001",
            ),
            reference(
                ReferenceKind::Announcement,
                "https://coredns.io/2026/03/16/security-release/",
            ),
            edit(RecordEdit::AddAlias {
                alias: "GHSA-abcd-1234-wxyz".into(),
            }),
            Change::CveRecorded {
                cve: "CVE-2026-12345".parse().unwrap(),
            },
            Change::CreditRecorded(Credit {
                name: Some("Alice".into()),
                kind: CreditKind::Reporter,
            }),
            Change::CreditRecorded(Credit {
                name: None,
                kind: CreditKind::RemediationReviewer,
            }),
            Change::AnnouncementDrafted {
                text: "CoreDNS 1.11.2 fixes a cache poisoning.".into(),
            },
            released("1.11.2"),
        ],
    )
}

/// Embargoed (the distributors' copy): CVSS 4.0, an npm package with a
/// purl, a last-affected range, no CVE.
fn embargoed_v4() -> Case {
    case(
        "2026-04-01T09:00:00Z",
        vec![
            reported(2, "prototype pollution"),
            Change::Acknowledged,
            Change::CvssFinalized {
                vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N"
                    .parse()
                    .unwrap(),
            },
            product(
                "@coredns/ui",
                "npm",
                Some("pkg:npm/%40coredns/ui"),
                vec![range(RangeKind::Semver, "0..=2.3.4")],
            ),
            describe("Prototype pollution in the dashboard's query parser.", None),
            weakness(
                "CWE-1321",
                "Improperly Controlled Modification of Object Prototype Attributes ('Prototype Pollution')",
            ),
            edit(RecordEdit::AddAlias {
                alias: "GHSA-pq7r-2c5x-9mfh".into(),
            }),
            Change::CreditRecorded(Credit {
                name: None,
                kind: CreditKind::Finder,
            }),
        ],
    )
}

/// Two CVEs, a git range and an ecosystem range of a PyPI package.
fn git_and_ecosystem() -> Case {
    case(
        "2026-05-01T09:00:00Z",
        vec![
            reported(3, "two bugs"),
            Change::Acknowledged,
            Change::CvssFinalized {
                vector: "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N"
                    .parse()
                    .unwrap(),
            },
            product(
                "coredns-tools",
                "PyPI",
                Some("pkg:pypi/coredns-tools"),
                vec![
                    range(RangeKind::Ecosystem, "1.0..1.4.post1"),
                    range(
                        RangeKind::Git,
                        "0..0123456789abcdef0123456789abcdef01234567",
                    ),
                ],
            ),
            describe("Two local information leaks.", None),
            reference(
                ReferenceKind::Issue,
                "https://github.com/coredns/tools/issues/9",
            ),
            Change::CveRecorded {
                cve: "CVE-2026-20001".parse().unwrap(),
            },
            Change::CveRecorded {
                cve: "CVE-2026-20002".parse().unwrap(),
            },
            released("1.4.post1"),
        ],
    )
}

fn scenario_cases() -> Vec<(&'static str, Case)> {
    vec![
        ("seed_private_path", seed_private_path()),
        ("embargoed_v4", embargoed_v4()),
        ("git_and_ecosystem", git_and_ecosystem()),
    ]
}

const NOW: &str = "2026-06-01T00:00:00Z";

fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("psirt-formats-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn validators() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/validators")
}

/// Runs the official validator of `format` on the files: (passed, output).
fn validate(format: Format, files: &[PathBuf]) -> (bool, String) {
    let mut cmd = match format {
        Format::Osv | Format::Cve5 => {
            let mut c = Process::new("python3");
            c.arg(validators().join("validate.py")).arg(format.as_str());
            c
        }
        Format::Csaf => {
            let mut c = Process::new("node");
            c.arg("csaf.mjs").current_dir(validators());
            c
        }
        Format::Markdown => unreachable!("Markdown has no schema"),
    };
    let out = cmd
        .args(files)
        .output()
        .expect("run the validator (scripts/test installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn write(dir: &std::path::Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn every_export_of_every_scenario_case_validates() {
    let dir = dir("valid");
    let mut count = 0;
    for format in [Format::Osv, Format::Cve5, Format::Csaf] {
        let mut files = Vec::new();
        for (name, case) in scenario_cases() {
            let body = export(&case, format, &PUBLISHER, at(NOW)).unwrap();
            files.push(write(
                &dir,
                &format!("{name}.{}.json", format.as_str()),
                &body,
            ));
        }
        let (ok, output) = validate(format, &files);
        assert!(ok, "{} exports are invalid:\n{output}", format.as_str());
        count += files.len();
    }
    assert_eq!(count, 9);
}

#[test]
fn the_distributors_copy_is_amber_until_the_instant_and_white_after() {
    let case = seed_private_path();
    let public = psirt_core::public_at(&case).unwrap();
    let label = |now: Timestamp| {
        let doc: serde_json::Value =
            serde_json::from_str(&export(&case, Format::Csaf, &PUBLISHER, now).unwrap()).unwrap();
        format!(
            "{} {}",
            doc["document"]["distribution"]["tlp"]["label"], doc["document"]["tracking"]["status"]
        )
    };
    assert_eq!(
        label(public - jiff::SignedDuration::from_secs(1)),
        r#""AMBER" "interim""#
    );
    assert_eq!(label(public), r#""WHITE" "final""#);
    // The embargoed case's copy validates too, as the distributors get it.
    let dir = dir("amber");
    let body = export(&embargoed_v4(), Format::Csaf, &PUBLISHER, at(NOW)).unwrap();
    assert!(body.contains(r#""label": "AMBER""#));
    let (ok, output) = validate(Format::Csaf, &[write(&dir, "amber.json", &body)]);
    assert!(ok, "{output}");
    // Why the public copy says WHITE where the issue says CLEAR: CSAF 2.0
    // knows only the TLP 1.0 labels, and its validator refuses TLP 2.0's.
    let mut clear: serde_json::Value =
        serde_json::from_str(&export(&case, Format::Csaf, &PUBLISHER, public).unwrap()).unwrap();
    clear["document"]["distribution"]["tlp"]["label"] = "CLEAR".into();
    let (ok, output) = validate(
        Format::Csaf,
        &[write(&dir, "clear.json", &clear.to_string())],
    );
    assert!(
        !ok && output.contains("/document/distribution/tlp/label"),
        "{output}"
    );
}

/// A record broken past the core's checks (a stored event with a bad
/// ecosystem, a CWE with the wrong name, a CVSS score that does not match
/// its vector) fails each official validator: the checks can fail.
#[test]
fn a_broken_record_fails_validation() {
    let dir = dir("broken");
    let mut case = seed_private_path();
    case.record.products[0].ecosystem = "golang".into();
    let osv = export(&case, Format::Osv, &PUBLISHER, at(NOW)).unwrap();
    let (ok, output) = validate(Format::Osv, &[write(&dir, "osv.json", &osv)]);
    assert!(!ok && output.contains("golang"), "{output}");

    let mut case = seed_private_path();
    case.record.weaknesses[0].cwe = "CWE-345".parse::<CweId>().unwrap();
    case.record.weaknesses[0].name = "Not the name MITRE gives it".into();
    let csaf = export(&case, Format::Csaf, &PUBLISHER, at(NOW)).unwrap();
    let (ok, output) = validate(Format::Csaf, &[write(&dir, "csaf.json", &csaf)]);
    assert!(!ok && output.contains("mandatoryTest_6_1_11"), "{output}");

    let case = seed_private_path();
    let mut cve: serde_json::Value =
        serde_json::from_str(&export(&case, Format::Cve5, &PUBLISHER, at(NOW)).unwrap()).unwrap();
    cve["problemTypes"][0]["descriptions"][0]["cweId"] = "CWE-x".into();
    let (ok, output) = validate(Format::Cve5, &[write(&dir, "cve.json", &cve.to_string())]);
    assert!(!ok && output.contains("cweId"), "{output}");
}

#[test]
fn an_export_that_would_be_invalid_is_refused_naming_what_is_missing() {
    let case = case(
        "2026-03-01T09:00:00Z",
        vec![reported(9, "nothing yet"), Change::Acknowledged],
    );
    let refusals: Vec<String> = Format::ALL
        .into_iter()
        .map(|f| {
            export(&case, f, &PUBLISHER, at(NOW))
                .unwrap_err()
                .to_string()
        })
        .collect();
    expect_test::expect![[r#"
        the OSV export needs an affected product, a final CVSS vector, a description, a CVE id or a GHSA alias (the OSV id)
        the CVE JSON 5.1 export needs an affected product, a final CVSS vector, a description
        the CSAF 2.0 export needs an affected product, a final CVSS vector, a description
        the Markdown export needs an affected product, a final CVSS vector, a description"#]]
    .assert_eq(&refusals.join("\n"));
    let no_org = Publisher {
        cna_org_id: None,
        ..PUBLISHER
    };
    expect_test::expect![
        "the CVE JSON 5.1 export needs the CNA's orgId (a UUID, PSIRT_CNA_ORG_ID)"
    ]
    .assert_eq(
        &export(&seed_private_path(), Format::Cve5, &no_org, at(NOW))
            .unwrap_err()
            .to_string(),
    );
}

#[test]
fn the_markdown_advisory_and_the_announcement_come_from_the_record() {
    let case = seed_private_path();
    expect_test::expect![[r#"
        # Cache poisoning through crafted CNAME chains

        - **Advisory:** PSIRT-2026-0001
        - **CVE:** CVE-2026-12345
        - **Also known as:** GHSA-abcd-1234-wxyz
        - **Severity:** Critical 9.8 (`CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H`)
        - **Weakness:** CWE-345 Insufficient Verification of Data Authenticity
        - **Published:** 2026-03-01 09:15 UTC
        - **Last updated:** 2026-03-01 09:15 UTC

        ## Affected

        | Package | Ecosystem | Affected | Fixed |
        |---|---|---|---|
        | github.com/coredns/coredns | Go | >= 1.9.0, < 1.11.2 | 1.11.2 |

        ## Description

        A crafted chain of CNAME records poisons the cache.

        ## Impact

        Remote attackers can redirect clients.

        ## How to fix

        Upgrade to 1.11.2.

        ## Mitigation

        Disable the cache plugin.

        ## References

        - Fix commit abc1234: <https://github.com/coredns/coredns/commit/abc1234>
        - pull request: <https://github.com/coredns/coredns/pull/7001>
        - announcement: <https://coredns.io/2026/03/16/security-release/>

        ## Credits

        - Reported by Alice
        - Fix reviewed by someone who asked to stay anonymous

        ---
        Published by CoreDNS at <https://security.coredns.example/advisories/PSIRT-2026-0001>.
    "#]]
    .assert_eq(&export(&case, Format::Markdown, &PUBLISHER, at(NOW)).unwrap());
    expect_test::expect![[r#"
        CoreDNS 1.11.2 fixes a cache poisoning.

        Release: coredns 1.11.2
        CVE: CVE-2026-12345
        Also known as: GHSA-abcd-1234-wxyz
        CVSS: 9.8 Critical (CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H)

        Affected:
        - github.com/coredns/coredns (Go): >= 1.9.0, fixed in 1.11.2

        How to apply the fix: upgrade to coredns 1.11.2.
        If you cannot upgrade at once:

        Disable the cache plugin.

        Fix commits:
        - abc1234 https://github.com/coredns/coredns/commit/abc1234

        Fix pull requests:
        - https://github.com/coredns/coredns/pull/7001

        We thank:
        - Reported by Alice
        - Fix reviewed by someone who asked to stay anonymous
    "#]]
    .assert_eq(&psirt_formats::announcement::release_announcement_text(
        &case, "1.11.2",
    ));
}
