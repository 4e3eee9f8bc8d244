//! Reading a case on both backends: a read folds the case's events, or
//! reuses the fold an earlier read made at the same version, and either way
//! answers what the events say now, also when another replica (another
//! `Store` on the same database) appended in between.

use jiff::Timestamp;
use psirt_core::{Command, NewReport, Policy};
use psirt_store::{Caller, CaseRecord, Principal, Store};

// Two stores on one database: `both!` hands a test only one.
#[allow(unused_macros)]
mod common;

fn t0() -> Timestamp {
    "2026-11-02T09:00:00Z".parse().unwrap()
}

fn report() -> NewReport {
    common::report("coredns", "Cache poisoning via EDNS")
}

/// What a read shows of a case: its version and its timeline's kinds.
fn shown(record: &CaseRecord) -> (u64, Vec<&'static str>) {
    (
        record.case.version,
        record.events.iter().map(|e| e.change.name()).collect(),
    )
}

async fn check_replicas_see_each_others_appends(db: common::TestDb) {
    let one = db.store.clone();
    let two = Store::open(&db.url).await.unwrap();
    one.add_project("coredns", "CoreDNS", &Policy::default(), t0())
        .await
        .unwrap();
    let (alice, _) = one
        .add_user(&"alice@example.org".parse().unwrap(), "Alice", false, t0())
        .await
        .unwrap();
    one.add_pst_member("coredns", alice.id, t0()).await.unwrap();
    let alice = Caller::cli(Principal::User(alice));
    let reference = one
        .report(report(), "cli", t0())
        .await
        .unwrap()
        .record
        .case
        .reference;

    // Both replicas read (and keep) the case at its first version.
    let first = shown(&one.case(&alice, reference).await.unwrap());
    assert_eq!(first, shown(&two.case(&alice, reference).await.unwrap()));
    assert_eq!(first.0, 2, "{first:?}");

    // The second appends; the first's next read shows it, twice over (the
    // second time from the fold it kept), as the second does.
    let assigned = two
        .execute(
            &alice,
            reference,
            Command::AssignFixLead {
                lead: None,
                override_reason: None,
            },
            Some(2),
            t0(),
        )
        .await
        .unwrap();
    for _ in 0..2 {
        let read = one.case(&alice, reference).await.unwrap();
        assert_eq!(shown(&read), shown(&assigned));
        assert_eq!(read.case.fix_lead(), assigned.case.fix_lead());
        assert_eq!(
            shown(&two.case(&alice, reference).await.unwrap()),
            shown(&assigned)
        );
    }
    assert!(shown(&assigned).0 > first.0, "{assigned:?}");

    // Every read was audited, from either replica.
    let (entries, _) = one.audit_all_for_tests().await;
    let views = entries.iter().filter(|(_, a, _)| a == "case.view").count();
    assert_eq!(views, 6, "{entries:?}");
    two.close().await;
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_see_each_others_appends_sqlite() {
    check_replicas_see_each_others_appends(common::TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_see_each_others_appends_postgres() {
    check_replicas_see_each_others_appends(common::TestDb::postgres().await).await;
}
