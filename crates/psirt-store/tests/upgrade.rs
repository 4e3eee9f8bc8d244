//! Upgrades (issue 15, operations): a database an earlier psirt wrote,
//! kept as an SQL dump per backend (`tests/fixtures/`, made by
//! `scripts/upgrade-fixture` through that release's command line), is
//! migrated by today's psirt and reads the same: its cases with their
//! Fix Lead, team, CVSS, commits, LGTMs and advisory record, its
//! distributors list, an intact audit chain; and it takes new commands.
//! Every release adds its fixture; none is ever regenerated.

use psirt_core::{CaseRef, Command};
use psirt_store::{Backend, Caller, Principal, Store};

#[macro_use]
mod common;
use common::TestDb;

const FIXTURES: &[(&str, &str, &str)] = &[(
    "v13",
    include_str!("fixtures/v13.sqlite.sql"),
    include_str!("fixtures/v13.postgres.sql"),
)];

async fn caller(store: &Store, email: &str) -> Caller {
    let user = store.user_by_email(&email.parse().unwrap()).await.unwrap();
    Caller::cli(Principal::User(user))
}

async fn reads_the_same(store: &Store, fixture: &str) {
    let lead = caller(store, "lead@coredns.io").await;
    let reference: CaseRef = "PSIRT-2026-0001".parse().unwrap();
    let record = store.case(&lead, reference).await.unwrap();
    let case = &record.case;
    assert_eq!(case.summary, "Cache poisoning via EDNS", "{fixture}");
    let lead_id = store
        .user_by_email(&"lead@coredns.io".parse().unwrap())
        .await
        .unwrap()
        .id;
    assert_eq!(case.fix_lead(), Some(lead_id), "{fixture}");
    assert_eq!(
        case.cvss_final.as_ref().map(|v| v.to_string()).as_deref(),
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N"),
        "{fixture}"
    );
    let debug = format!("{case:?}");
    for fact in [
        "1a2b3c4d5e6f",
        "CWE-345",
        "github.com/coredns/coredns",
        "Disable the cache plugin.",
    ] {
        assert!(debug.contains(fact), "{fixture}: {fact} lost in {debug}");
    }
    assert_eq!(record.events.len(), 12, "{fixture}: the timeline");

    let other = store
        .case(
            &caller(store, "pia@coredns.io").await,
            "PSIRT-2026-0002".parse().unwrap(),
        )
        .await
        .unwrap();
    assert!(
        format!("{:?}", other.case).contains("https://example.net/post"),
        "{fixture}"
    );

    let orgs = store.distributor_orgs(&lead, "default").await.unwrap();
    assert_eq!(
        orgs.iter()
            .map(|o| (o.name.as_str(), format!("{:?}", o.state)))
            .collect::<Vec<_>>(),
        [("distro.example", "Approved".to_string())],
        "{fixture}"
    );

    let psirt_store::AuditReport::Intact { entries, .. } = store.audit_verify().await.unwrap()
    else {
        panic!("{fixture}: the audit chain breaks after the upgrade");
    };
    assert!(entries > 20, "{fixture}: {entries}");

    // The upgraded database takes new commands.
    let pia = caller(store, "pia@coredns.io").await;
    let vector = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N"
        .parse()
        .unwrap();
    store
        .execute(
            &pia,
            reference,
            Command::ProposeCvss { vector },
            None,
            now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

async fn upgrade(backend: Backend) {
    for (name, sqlite, postgres) in FIXTURES {
        let dump = match backend {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        let db = TestDb::from_dump(backend, dump).await;
        reads_the_same(&db.store, name).await;
        db.drop_db().await;
    }
}

// The store `both!` hands over only says which backend; each fixture gets
// a database of its own.
both!(
    an_earlier_releases_database_reads_the_same,
    |store: Store| async move {
        upgrade(store.backend()).await;
    }
);
