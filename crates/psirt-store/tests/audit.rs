//! The audit log on both backends: what a realistic sequence records, that
//! the chain verifies, that each kind of tampering is found and named, that
//! concurrent writers never fork the chain, and that nothing secret is
//! ever in it.

use jiff::Timestamp;
use psirt_core::{CaseRef, Command, NewReport, Policy, Secret};
use psirt_store::{AuditReport, Caller, Principal, Store, User, Witnessed};

#[macro_use]
mod common;

use common::TestDb;

const DETAILS: &str = "Send a crafted DNS packet to port 53.";
const SUMMARY: &str = "cache poisoning via EDNS";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const T0: &str = "2026-11-02T09:00:00Z";

fn report() -> NewReport {
    // The details named here, not the harness's: the tests look for them
    // in the log, so they must be what was sent.
    NewReport {
        details: Secret::new(DETAILS.into()),
        ..common::report("coredns", SUMMARY)
    }
}

fn person(user: &User) -> Caller {
    Caller::cli(Principal::User(user.clone()))
}

/// A project with a three-person PST, and a developer on no team.
async fn setup(store: &Store) -> (Vec<User>, User) {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), t(T0))
        .await
        .unwrap();
    let mut pst = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let email = format!("{name}@example.org").parse().unwrap();
        let (user, _) = store.add_user(&email, name, false, t(T0)).await.unwrap();
        store
            .add_pst_member("coredns", user.id, t(T0))
            .await
            .unwrap();
        pst.push(user);
    }
    let (dev, _) = store
        .add_user(&"dev@example.org".parse().unwrap(), "Dev", false, t(T0))
        .await
        .unwrap();
    (pst, dev)
}

/// A report, its Fix Lead, views allowed and denied, a reporter's status
/// check, listings, account changes: every kind of entry. Returns the
/// first case.
async fn realistic(store: &Store) -> CaseRef {
    let (pst, dev) = setup(store).await;
    let alice = person(&pst[0]);
    let c = store
        .report(report(), "test", t(T0))
        .await
        .unwrap()
        .record
        .case
        .reference;
    store
        .execute(
            &alice,
            c,
            Command::AssignFixLead {
                lead: None,
                override_reason: None,
            },
            None,
            t(T0),
        )
        .await
        .unwrap();
    store.case(&alice, c).await.unwrap();
    store.case(&person(&dev), c).await.unwrap_err();
    store
        .case(&Caller::new(Principal::Reporter(c), "203.0.113.7"), c)
        .await
        .unwrap();
    store.cases(&person(&pst[1]), false).await.unwrap();
    store.report(report(), "test", t(T0)).await.unwrap();
    store.cases(&alice, false).await.unwrap();
    store
        .set_available("coredns", pst[2].id, false)
        .await
        .unwrap();
    store
        .set_password(dev.id, "correct horse battery")
        .await
        .unwrap();
    let session = store
        .create_session(&dev, t(T0), jiff::SignedDuration::from_hours(1))
        .await
        .unwrap();
    store.end_session(session.cookie.reveal()).await.unwrap();
    store.issue_token(dev.id, t(T0)).await.unwrap();
    store.revoke_tokens(dev.id, t(T0)).await.unwrap();
    c
}

/// One line per entry: `seq action actor origin | detail`.
async fn show(store: &Store, case: CaseRef) -> String {
    store
        .audit_show(case)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} [{}] {} | {}\n",
                r.seq, r.action, r.actor, r.origin, r.detail
            )
        })
        .collect()
}

async fn verify(store: &Store) -> String {
    match store.audit_verify().await.unwrap() {
        AuditReport::Intact { entries, head } => {
            assert_eq!(head.len(), 64);
            format!("ok: {entries} entries")
        }
        AuditReport::Broken(b) => b.to_string(),
    }
}

both!(
    a_realistic_sequence_is_recorded_and_verifies,
    |store: Store| async move {
        assert_eq!(verify(&store).await, "ok: 0 entries");
        let before = Timestamp::now();
        let c = realistic(&store).await;
        let after = Timestamp::now();
        assert_eq!(verify(&store).await, "ok: 22 entries");
        assert_eq!(
            show(&store, c).await,
            "\
9 case.report [psirt] test | project coredns, events 1-2: reported, acknowledged
10 case.command.fix_lead_assigned [user:1 alice@example.org] cli | event 3: fix_lead_assigned
11 case.view [user:1 alice@example.org] cli | version 3
12 case.view.denied [user:4 dev@example.org] cli | only the Product Security Team, the Fix Lead or the Fix Team may view the case
13 status.view [reporter] 203.0.113.7 | version 3
14 case.list [user:2 bob@example.org] cli | PSIRT-2026-0001
16 case.list [user:1 alice@example.org] cli | PSIRT-2026-0001 PSIRT-2026-0002
"
        );
        let other: CaseRef = "PSIRT-2026-0002".parse().unwrap();
        assert_eq!(
            show(&store, other).await,
            "\
15 case.report [psirt] test | project coredns, events 1-2: reported, acknowledged
16 case.list [user:1 alice@example.org] cli | PSIRT-2026-0001 PSIRT-2026-0002
"
        );
        // The instants are the clock's, not the instant commands are
        // recorded as (T0, in the past).
        for record in store.audit_show(c).await.unwrap() {
            assert!(before <= record.at && record.at <= after, "{record:?}");
        }
        // Account changes name the local administrator and the user.
        let local = store
            .raw_count(
                "SELECT COUNT(*) FROM audit_log WHERE actor = 'local' AND origin = 'cli' AND case_ref IS NULL",
            )
            .await;
        assert_eq!(local, 22 - 8);
    }
);

both!(
    refusals_leave_no_entry_and_reads_of_unknown_cases_none,
    |store: Store| async move {
        let (pst, _) = setup(&store).await;
        let c = store
            .report(report(), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let entries = store.raw_count("SELECT COUNT(*) FROM audit_log").await;
        // Not the Fix Lead: refused, rolled back, and the entry with it.
        store
            .execute(&person(&pst[0]), c, Command::MarkFixReady, None, t(T0))
            .await
            .unwrap_err();
        // Failed account changes change nothing either.
        store
            .add_project("coredns", "again", &Policy::default(), t(T0))
            .await
            .unwrap_err();
        store.set_password(pst[0].id, "short").await.unwrap_err();
        store.end_session("psirt_unknown").await.unwrap();
        store
            .case(&person(&pst[0]), "PSIRT-2026-0099".parse().unwrap())
            .await
            .unwrap_err();
        assert_eq!(
            store.raw_count("SELECT COUNT(*) FROM audit_log").await,
            entries
        );
        assert_eq!(verify(&store).await, format!("ok: {entries} entries"));
    }
);

/// Tampering with a verified log (22 entries, from [`realistic`]), and
/// what `verify` must say about it.
const TAMPERING: &[(&str, &[&str], &str)] = &[
    (
        "alter an entry's actor",
        &["UPDATE audit_log SET actor = 'user:9 mallory@example.org' WHERE seq = 13"],
        "entry 13 was altered",
    ),
    (
        "alter the action of the first entry",
        &["UPDATE audit_log SET action = 'case.list' WHERE seq = 1"],
        "entry 1 was altered",
    ),
    (
        "delete an entry",
        &["DELETE FROM audit_log WHERE seq = 13"],
        "entry 13 is missing",
    ),
    (
        "delete an entry and renumber the rest",
        &[
            "DELETE FROM audit_log WHERE seq = 13",
            "UPDATE audit_log SET seq = -seq WHERE seq > 13",
            "UPDATE audit_log SET seq = -seq - 1 WHERE seq < 0",
            "UPDATE audit_head SET seq = seq - 1",
        ],
        "entry 13 is missing",
    ),
    (
        "swap two entries' seq",
        &[
            "UPDATE audit_log SET seq = -12 WHERE seq = 12",
            "UPDATE audit_log SET seq = 12 WHERE seq = 14",
            "UPDATE audit_log SET seq = 14 WHERE seq = -12",
        ],
        "entries out of order at 12",
    ),
    (
        "swap two adjacent entries' seq",
        &[
            "UPDATE audit_log SET seq = -12 WHERE seq = 12",
            "UPDATE audit_log SET seq = 12 WHERE seq = 13",
            "UPDATE audit_log SET seq = 13 WHERE seq = -12",
        ],
        "entries out of order at 12",
    ),
    (
        "alter the last entry's hash",
        &[
            "UPDATE audit_log SET hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 22",
        ],
        "entry 22 was altered",
    ),
    (
        "alter the last entry and the head to match",
        &[
            "UPDATE audit_log SET hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE seq = 22",
            "UPDATE audit_head SET hash = '1111111111111111111111111111111111111111111111111111111111111111'",
        ],
        "entry 22 was altered",
    ),
    (
        "delete the last entry",
        &["DELETE FROM audit_log WHERE seq = 22"],
        "entry 22 is missing",
    ),
    (
        "point an intact entry at the wrong predecessor",
        &["UPDATE audit_log SET prev_hash = 'zz' WHERE seq = 20"],
        "entry 20 was altered",
    ),
    (
        "add an entry after the head",
        &[
            "INSERT INTO audit_log (seq, at, actor, action, case_ref, origin, detail, prev_hash, hash) \
             SELECT 23, at, actor, action, case_ref, origin, detail, hash, hash FROM audit_log WHERE seq = 22",
        ],
        "entry 23 was added outside psirt",
    ),
];

both!(tampering_is_found_and_named, |store: Store| async move {
    let mut results = String::new();
    for (what, statements, _) in TAMPERING {
        let db = TestDb::new(store.backend()).await;
        realistic(&db.store).await;
        assert_eq!(verify(&db.store).await, "ok: 22 entries", "{what}");
        for sql in *statements {
            db.store.raw_execute(sql).await;
        }
        results.push_str(&format!("{what}: {}\n", verify(&db.store).await));
        db.drop_db().await;
    }
    let expected: String = TAMPERING
        .iter()
        .map(|(what, _, said)| format!("{what}: {said}\n"))
        .collect();
    assert_eq!(results, expected);
});

both!(
    concurrent_writers_never_fork_the_chain,
    |store: Store| async move {
        let (pst, _) = setup(&store).await;
        let mut cases = Vec::new();
        for _ in 0..12 {
            cases.push(
                store
                    .report(report(), "test", t(T0))
                    .await
                    .unwrap()
                    .record
                    .case
                    .reference,
            );
        }
        let before = store.raw_count("SELECT COUNT(*) FROM audit_log").await;
        let vector: psirt_core::cvss::Vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
            .parse()
            .unwrap();
        // Twelve commands on twelve cases (no case lock in common) and
        // twelve reads, all at once: only the audit head orders them.
        let mut tasks = Vec::new();
        for (i, c) in cases.iter().copied().enumerate() {
            let (writer, p) = (store.clone(), person(&pst[i % 3]));
            tasks.push(tokio::spawn(async move {
                writer
                    .execute(&p, c, Command::ProposeCvss { vector }, None, t(T0))
                    .await
                    .map(|_| ())
            }));
            let (reader, p) = (store.clone(), person(&pst[(i + 1) % 3]));
            tasks.push(tokio::spawn(
                async move { reader.case(&p, c).await.map(|_| ()) },
            ));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let entries = before + 24;
        assert_eq!(verify(&store).await, format!("ok: {entries} entries"));
        for c in cases {
            let actions: Vec<String> = store
                .audit_show(c)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.action)
                .collect();
            let mut sorted = actions.clone();
            sorted.sort();
            assert_eq!(
                sorted,
                ["case.command.cvss_proposed", "case.report", "case.view"]
            );
        }
    }
);

both!(
    nothing_secret_is_in_the_log_or_its_debug,
    |store: Store| async move {
        let c = realistic(&store).await;
        let pst = store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        // The record read back does carry the secret…
        let record = store.case(&person(&pst), c).await.unwrap();
        assert_eq!(record.case.details.expose(), DETAILS);
        // …the log does not: not the details, not the summary, not the
        // reporter's e-mail address, not a password or token.
        assert_eq!(
            store
                .raw_count(
                    "SELECT COUNT(*) FROM audit_log WHERE \
                     (actor || action || COALESCE(case_ref, '') || origin || detail) LIKE '%crafted DNS%' \
                     OR (actor || action || COALESCE(case_ref, '') || origin || detail) LIKE '%cache poisoning%' \
                     OR (actor || action || COALESCE(case_ref, '') || origin || detail) LIKE '%rita@%' \
                     OR (actor || action || COALESCE(case_ref, '') || origin || detail) LIKE '%horse%' \
                     OR (actor || action || COALESCE(case_ref, '') || origin || detail) LIKE '%psirt!_%' ESCAPE '!'",
                )
                .await,
            0
        );
        let records = store.audit_show(c).await.unwrap();
        assert!(records.len() > 5);
        let debug = format!("{records:?} {:?}", store.audit_verify().await.unwrap());
        for secret in [DETAILS, SUMMARY, "rita@example.net"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
    }
);

async fn verify_against(store: &Store, witnessed: &str) -> String {
    let witnessed: Witnessed = witnessed.parse().unwrap();
    match store.audit_verify_against(&witnessed).await.unwrap() {
        AuditReport::Intact { entries, .. } => format!("ok: {entries} entries"),
        AuditReport::Broken(b) => b.to_string(),
    }
}

both!(
    a_removed_tail_fails_against_an_earlier_head,
    |store: Store| async move {
        realistic(&store).await;
        let head = store.audit_head().await.unwrap();
        assert_eq!(head.seq, 22);
        let witnessed = head.to_string();
        assert_eq!(verify_against(&store, &witnessed).await, "ok: 22 entries");
        assert_eq!(verify_against(&store, &head.hash).await, "ok: 22 entries");
        assert_eq!(
            verify_against(&store, &format!("0:{}", "0".repeat(64))).await,
            "ok: 22 entries",
            "the empty log is every chain's start"
        );

        // Remove the last two entries and move the head back: the chain
        // alone is consistent with itself.
        store
            .raw_execute("DELETE FROM audit_log WHERE seq > 20")
            .await;
        store
            .raw_execute(
                "UPDATE audit_head SET seq = 20, hash = (SELECT hash FROM audit_log WHERE seq = 20)",
            )
            .await;
        assert_eq!(verify(&store).await, "ok: 20 entries");
        assert_eq!(
            verify_against(&store, &witnessed).await,
            "the log ends before entry 22, which the witness saw: its last entries were removed"
        );
        assert_eq!(
            verify_against(&store, &head.hash.to_ascii_uppercase()).await,
            "no entry has the witnessed hash: the log was truncated or rewritten"
        );
        // Entries written after the truncation fill the place again, but
        // not with the entry the witness saw.
        let alice = store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        store.issue_token(alice.id, t(T0)).await.unwrap();
        store.issue_token(alice.id, t(T0)).await.unwrap();
        assert_eq!(verify(&store).await, "ok: 22 entries");
        assert_eq!(
            verify_against(&store, &witnessed).await,
            "entry 22 is not the one the witness saw: the log was rewritten"
        );
    }
);

#[test]
fn witnesses_are_read_as_seq_and_hash() {
    let check = |text: &str| match text.parse::<Witnessed>() {
        Ok(Witnessed::Head(h)) => format!("head {h}"),
        Ok(Witnessed::Hash(h)) => format!("hash {h}"),
        Err(e) => format!("error: {e}"),
    };
    let hash = "ab".repeat(32);
    assert_eq!(check(&format!("7:{hash}")), format!("head 7:{hash}"));
    assert_eq!(
        check(&format!(" 7:{} ", hash.to_ascii_uppercase())),
        format!("head 7:{hash}")
    );
    assert_eq!(check(&hash), format!("hash {hash}"));
    assert_eq!(
        check(&format!("x:{hash}")),
        "error: expected head: \"x\" is not a sequence number (SEQ:HASH)"
    );
    assert_eq!(
        check("7:abc"),
        "error: expected head: \"abc\" is not an audit hash (64 hexadecimal digits, as `psirt audit head` prints SEQ:HASH)"
    );
}
