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

/// What the audit log says of a case's reads, without the instants:
/// `(actor, action, origin, detail)`.
async fn reads_of(store: &Store, reference: psirt_core::CaseRef) -> Vec<[String; 4]> {
    store
        .audit_show(reference)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action.starts_with("case.view"))
        .map(|e| [e.actor, e.action, e.origin, e.detail])
        .collect()
}

/// A read by an API token's bearer (`Store::case_for_token`, which
/// authenticates with the case's row) is the read of the same person
/// authenticated first (`Store::case`): the same record or refusal, the
/// same audit entry; and a token that is unknown or revoked reads and
/// records nothing.
async fn check_a_token_read_is_the_callers_read(db: common::TestDb) {
    let store = db.store.clone();
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), t0())
        .await
        .unwrap();
    let (alice, alice_token) = store
        .add_user(&"alice@example.org".parse().unwrap(), "Alice", false, t0())
        .await
        .unwrap();
    store
        .add_pst_member("coredns", alice.id, t0())
        .await
        .unwrap();
    let (dev, dev_token) = store
        .add_user(&"dev@example.org".parse().unwrap(), "Dev", false, t0())
        .await
        .unwrap();
    let reference = store
        .report(report(), "cli", t0())
        .await
        .unwrap()
        .record
        .case
        .reference;
    let by_token = |token: &psirt_store::ApiToken| {
        let (store, token) = (store.clone(), token.reveal().to_string());
        async move { store.case_for_token(&token, "192.0.2.7", reference).await }
    };

    // The PST member: the record, as they read it signed in.
    let (caller, record) = by_token(&alice_token).await.unwrap().expect("a live token");
    assert!(matches!(&caller.principal, Principal::User(u) if u.id == alice.id));
    assert_eq!(caller.origin, "192.0.2.7");
    let signed_in = Caller::new(Principal::User(alice.clone()), "192.0.2.7");
    assert_eq!(
        shown(&record),
        shown(&store.case(&signed_in, reference).await.unwrap())
    );

    // A person with no standing: the same refusal, both recorded.
    let refused = by_token(&dev_token).await.unwrap_err().to_string();
    let dev_caller = Caller::new(Principal::User(dev.clone()), "192.0.2.7");
    assert_eq!(
        refused,
        store
            .case(&dev_caller, reference)
            .await
            .unwrap_err()
            .to_string()
    );
    let reads = reads_of(&store, reference).await;
    assert_eq!(reads.len(), 4, "{reads:?}");
    assert_eq!(reads[0], reads[1]);
    assert_eq!(reads[2], reads[3]);
    assert_eq!(reads[0][1], "case.view");
    assert_eq!(reads[2][1], "case.view.denied");

    // Off the PST, the seat is gone from the same query.
    store
        .raw_execute("UPDATE pst_members SET removed_at = 1 WHERE project = 'coredns'")
        .await;
    let refused = by_token(&alice_token).await.unwrap_err().to_string();
    assert!(refused.contains("may view the case"), "{refused}");
    assert_eq!(reads_of(&store, reference).await[4][1], "case.view.denied");

    // A missing case is not found, for a live token.
    let missing = store
        .case_for_token(
            dev_token.reveal(),
            "192.0.2.7",
            "PSIRT-2026-9999".parse().unwrap(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(missing, psirt_store::StoreError::NotFound(_)),
        "{missing}"
    );

    // Unknown and revoked tokens: nothing read, nothing recorded.
    let (_, before) = store.audit_all_for_tests().await;
    assert!(
        store
            .case_for_token("not-a-token", "192.0.2.7", reference)
            .await
            .unwrap()
            .is_none()
    );
    store.revoke_tokens(dev.id, t0()).await.unwrap();
    let (_, revoked) = store.audit_all_for_tests().await;
    assert_eq!(revoked, before + 1, "the revocation's own entry");
    assert!(by_token(&dev_token).await.unwrap().is_none());
    assert_eq!(store.audit_all_for_tests().await.1, revoked);
    assert_eq!(reads_of(&store, reference).await.len(), 5);
    db.drop_db().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_is_the_callers_read_sqlite() {
    check_a_token_read_is_the_callers_read(common::TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_read_is_the_callers_read_postgres() {
    check_a_token_read_is_the_callers_read(common::TestDb::postgres().await).await;
}
