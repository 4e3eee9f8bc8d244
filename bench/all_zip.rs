//! The size of `/advisories/osv/all.zip` for 1,000 published cases, and
//! the time to build it (render every OSV entry and deflate the archive),
//! as the handler does once the cases are loaded.
//!
//! `cargo bench -p psirt-server --bench all_zip [-- CASES]`: prints one
//! line per run and the median. Not a test: nothing here passes or fails.

use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use psirt_core::{
    ActorRef, AffectedProduct, Case, CaseRef, Change, Credit, CreditKind, Event, Policy, RangeKind,
    Record, RecordEdit, Reference, ReferenceKind, Secret, UserId, VersionRange, Weakness,
    check_edit,
};
use psirt_server::advisories::{Publication, osv_archive};

fn case(n: u32) -> Case {
    let edit = |e| Change::RecordEdited(check_edit(&Record::default(), e).unwrap());
    let minor = n % 20;
    let changes = vec![
        Change::Reported {
            reference: CaseRef::new(2026, n).unwrap(),
            project: "coredns".into(),
            summary: format!("vulnerability number {n}"),
            details: Secret::new("embargoed".into()),
            reporter: None,
            public_link: None,
            already_public: false,
            ai_assisted: false,
            policy: Box::new(Policy::default()),
        },
        Change::Acknowledged,
        Change::CvssFinalized {
            vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
                .parse()
                .unwrap(),
        },
        Change::FixCommitAdded {
            commit: format!("{n:07x}").parse().unwrap(),
            author: "Dev <dev@example.org>".into(),
            author_user: None,
            url: Some(format!("https://github.com/coredns/coredns/commit/{n:07x}")),
        },
        Change::MitigationRecorded {
            steps: "Disable the affected plugin until you can upgrade.".into(),
        },
        edit(RecordEdit::SetProduct(AffectedProduct {
            package: "github.com/coredns/coredns".into(),
            ecosystem: "Go".into(),
            purl: Some("pkg:golang/github.com/coredns/coredns".parse().unwrap()),
            ranges: vec![
                VersionRange::parse(
                    RangeKind::Semver,
                    None,
                    &format!("1.{minor}.0..1.{minor}.7"),
                )
                .unwrap(),
            ],
            branches: vec![format!("release-1.{minor}")],
        })),
        edit(RecordEdit::Describe {
            title: Some(format!("Denial of service number {n} in the cache plugin")),
            description: Some(format!(
                "A crafted query makes the cache plugin of CoreDNS allocate without bound \
                 (case {n}). Servers exposed to untrusted clients can be made to run out of memory."
            )),
            impact: Some("Remote denial of service.".into()),
        }),
        edit(RecordEdit::AddWeakness(Weakness {
            cwe: "CWE-400".parse().unwrap(),
            name: "Uncontrolled Resource Consumption".into(),
        })),
        edit(RecordEdit::AddReference(Reference {
            kind: ReferenceKind::PullRequest,
            url: format!("https://github.com/coredns/coredns/pull/{}", 7000 + n),
        })),
        Change::CveRecorded {
            cve: format!("CVE-2026-{:05}", 10000 + n).parse().unwrap(),
        },
        Change::CreditRecorded(Credit {
            name: Some(format!("Finder {n}")),
            kind: CreditKind::Finder,
        }),
        Change::Released {
            version: format!("1.{minor}.7"),
            base_release: format!("v1.{minor}.6"),
            cherry_picks: vec![format!("{n:07x}").parse().unwrap()],
            public_at: None,
        },
    ];
    let start: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let events: Vec<Event> = changes
        .into_iter()
        .enumerate()
        .map(|(i, change)| Event {
            seq: i as u64 + 1,
            at: start
                + SignedDuration::from_hours(i64::from(n))
                + SignedDuration::from_mins(i as i64),
            actor: ActorRef::User(UserId::new(1)),
            change,
        })
        .collect();
    Case::from_events(&events).unwrap()
}

fn main() {
    let count: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1000);
    let cases: Vec<Case> = (1..=count).map(case).collect();
    let publication = Publication {
        public_url: "https://security.coredns.example".into(),
        cna_org_id: None,
    };
    let now: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
    let mut times = Vec::new();
    let mut size = 0;
    for run in 1..=5 {
        let started = Instant::now();
        let zip = osv_archive(&cases, &publication, now).expect("the archive");
        let took = started.elapsed();
        size = zip.len();
        println!("run {run}: {count} cases, all.zip {size} bytes, built in {took:?}");
        times.push(took);
    }
    times.sort();
    println!(
        "median: {count} cases, all.zip {size} bytes ({:.1} KiB), built in {:?}",
        size as f64 / 1024.0,
        times[times.len() / 2]
    );
}
