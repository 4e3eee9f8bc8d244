//! Group commit on both backends: reports and audited reads that arrive
//! together share one transaction, each in its own savepoint. A refused
//! request leaves nothing (not even its case number), the others commit,
//! everyone is answered after the one commit, and the audit chain stays
//! one order.

use std::time::Duration;

use jiff::Timestamp;
use psirt_core::{NewReport, Policy};
use psirt_store::{AuditReport, Caller, Principal, Store, StoreError, User};

#[macro_use]
mod common;

fn t0() -> Timestamp {
    "2026-11-02T09:00:00Z".parse().unwrap()
}

fn report(project: &str, summary: &str) -> NewReport {
    common::report(project, summary)
}

/// A project with one PST member, and a developer on no team.
async fn setup(store: &Store) -> (User, User) {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), t0())
        .await
        .unwrap();
    let (pst, _) = store
        .add_user(&"alice@example.org".parse().unwrap(), "Alice", false, t0())
        .await
        .unwrap();
    store.add_pst_member("coredns", pst.id, t0()).await.unwrap();
    let (dev, _) = store
        .add_user(&"dev@example.org".parse().unwrap(), "Dev", false, t0())
        .await
        .unwrap();
    (pst, dev)
}

/// Waits until `n` requests are queued behind the held turn.
async fn queued(store: &Store, n: usize) {
    for _ in 0..500 {
        if store.queued_for_tests() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{} requests queued, not {n}", store.queued_for_tests());
}

async fn intact(store: &Store) -> u64 {
    match store.audit_verify().await.unwrap() {
        AuditReport::Intact { entries, .. } => entries,
        AuditReport::Broken(b) => panic!("the audit chain is broken: {b}"),
    }
}

async fn audit_count(store: &Store, action: &str) -> usize {
    let (all, _) = store.audit_all_for_tests().await;
    all.iter().filter(|(_, a, _)| a == action).count()
}

both!(
    queued_reports_share_one_batch_and_a_refusal_leaves_nothing,
    |store: Store| async move {
        setup(&store).await;
        let entries_before = intact(&store).await;
        // Long enough for all twelve, however slow the machine.
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (project, summary) = match i {
                // Refused by the core after the case number was taken.
                4 => ("coredns", "two\nlines"),
                // No such project.
                8 => ("nope", "cache poisoning"),
                _ => ("coredns", "cache poisoning"),
            };
            let (s, r) = (store.clone(), report(project, summary));
            tasks.push(tokio::spawn(async move { s.report(r, "test", t0()).await }));
        }
        queued(&store, 12).await;
        let batches = store.batches_for_tests();
        drop(held);
        let mut numbers = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            match (i, task.await.unwrap()) {
                (4, Err(StoreError::Refused(r))) => {
                    assert!(r.to_string().contains("summary"), "{r}")
                }
                (8, Err(StoreError::NotFound(what))) => assert!(what.contains("nope"), "{what}"),
                (4 | 8, other) => panic!("request {i} should be refused: {other:?}"),
                (_, Ok(intake)) => numbers.push(intake.record.case.reference.number()),
                (_, Err(e)) => panic!("request {i} failed: {e}"),
            }
        }
        // All twelve went in one batch, with one commit.
        assert_eq!(store.batches_for_tests() - batches, 1);
        // The refused report's case number was rolled back with its
        // savepoint: the ten taken in are numbered 1 to 10.
        numbers.sort_unstable();
        assert_eq!(numbers, (1..=10).collect::<Vec<u32>>());
        for (table, n) in [
            ("SELECT COUNT(*) FROM cases", 10),
            ("SELECT COUNT(*) FROM case_summaries", 10),
            ("SELECT COUNT(*) FROM status_tokens", 10),
            ("SELECT MAX(last) FROM case_counters", 10),
        ] {
            assert_eq!(store.raw_count(table).await, n, "{table}");
        }
        assert_eq!(audit_count(&store, "case.report").await, 10);
        assert_eq!(intact(&store).await, entries_before + 10);
    }
);

both!(
    concurrent_audited_reads_and_reports_keep_one_chain,
    |store: Store| async move {
        let (pst, dev) = setup(&store).await;
        let reference = store
            .report(report("coredns", "cache poisoning"), "test", t0())
            .await
            .unwrap()
            .record
            .case
            .reference;
        let entries_before = intact(&store).await;
        let (pst, dev) = (
            Caller::cli(Principal::User(pst)),
            Caller::cli(Principal::User(dev)),
        );
        // Forty reads (one in four denied, and recorded as such) and ten
        // reports, all at once: the batches form as they arrive.
        let mut reads = Vec::new();
        let mut reports = Vec::new();
        for i in 0..40 {
            let (s, who) = (store.clone(), if i % 4 == 3 { &dev } else { &pst }.clone());
            reads.push(tokio::spawn(async move {
                s.case(&who, reference).await.map(|_| ())
            }));
            if i % 4 == 0 {
                let s = store.clone();
                reports.push(tokio::spawn(async move {
                    s.report(report("coredns", "another"), "test", t0())
                        .await
                        .map(|_| ())
                }));
            }
        }
        for (i, task) in reads.into_iter().enumerate() {
            let result = task.await.unwrap();
            if i % 4 == 3 {
                assert!(matches!(result, Err(StoreError::Refused(_))), "{result:?}");
            } else {
                result.unwrap();
            }
        }
        for task in reports {
            task.await.unwrap().unwrap();
        }
        assert_eq!(audit_count(&store, "case.view").await, 30);
        assert_eq!(audit_count(&store, "case.view.denied").await, 10);
        assert_eq!(intact(&store).await, entries_before + 50);

        // And a batch made of reads only, queued behind the held turn.
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for i in 0..8 {
            let (s, who) = (store.clone(), if i % 2 == 0 { &dev } else { &pst }.clone());
            tasks.push(tokio::spawn(async move {
                s.case(&who, reference).await.map(|_| ())
            }));
        }
        queued(&store, 8).await;
        let batches = store.batches_for_tests();
        drop(held);
        let allowed = futures_count(tasks).await;
        assert_eq!(allowed, 4);
        assert_eq!(store.batches_for_tests() - batches, 1);
        assert_eq!(audit_count(&store, "case.view").await, 34);
        assert_eq!(audit_count(&store, "case.view.denied").await, 14);
        assert_eq!(intact(&store).await, entries_before + 58);
    }
);

/// How many of the tasks succeeded.
async fn futures_count(tasks: Vec<tokio::task::JoinHandle<Result<(), StoreError>>>) -> usize {
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    ok
}

both!(
    the_quota_counts_in_a_batch_in_arrival_order,
    |store: Store| async move {
        setup(&store).await;
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let email: psirt_core::EmailAddress = "rita@example.net".parse().unwrap();
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (s, e) = (store.clone(), email.clone());
            tasks.push(tokio::spawn(async move {
                s.count_reporter_intake(&e, t0(), 3).await
            }));
            // One at a time into the queue, so that arrival order is known.
            queued(&store, tasks.len()).await;
        }
        drop(held);
        let outcomes: Vec<bool> = {
            let mut v = Vec::new();
            for task in tasks {
                match task.await.unwrap() {
                    Ok(()) => v.push(true),
                    Err(StoreError::QuotaExceeded { .. }) => v.push(false),
                    Err(e) => panic!("{e}"),
                }
            }
            v
        };
        assert_eq!(outcomes, [true, true, true, false, false, false]);
        assert_eq!(
            store
                .raw_count("SELECT MAX(reports) FROM intake_quota")
                .await,
            6
        );
    }
);

both!(
    a_batch_past_its_time_bound_commits_and_the_rest_lead_the_next,
    |store: Store| async move {
        setup(&store).await;
        // No time at all: each batch runs one request, commits, and hands
        // the rest on, in order.
        store.set_batch_time_for_tests(Duration::ZERO);
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                s.report(report("coredns", &format!("report {i}")), "test", t0())
                    .await
            }));
            queued(&store, tasks.len()).await;
        }
        let batches = store.batches_for_tests();
        drop(held);
        let mut numbers = Vec::new();
        for task in tasks {
            numbers.push(task.await.unwrap().unwrap().record.case.reference.number());
        }
        // In arrival order, one batch each.
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6]);
        assert_eq!(store.batches_for_tests() - batches, 6);
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM cases").await, 6);
        intact(&store).await;
    }
);

both!(
    reports_and_fix_lead_assignments_at_once_never_deadlock,
    |store: Store| async move {
        // A batch holds the audit head while its reports refer to their
        // project; an assignment locks the project, then wants the head.
        let (pst, _) = setup(&store).await;
        let lead = Caller::cli(Principal::User(pst));
        let mut cases = Vec::new();
        for _ in 0..10 {
            let intake = store
                .report(report("coredns", "cache poisoning"), "test", t0())
                .await
                .unwrap();
            cases.push(intake.record.case.reference);
        }
        let entries_before = intact(&store).await;
        let mut tasks = Vec::new();
        for reference in cases {
            let (s, lead) = (store.clone(), lead.clone());
            tasks.push(tokio::spawn(async move {
                let assign = psirt_core::Command::AssignFixLead {
                    lead: None,
                    override_reason: None,
                };
                s.execute(&lead, reference, assign, None, t0())
                    .await
                    .map(|_| ())
            }));
            for _ in 0..3 {
                let s = store.clone();
                tasks.push(tokio::spawn(async move {
                    s.report(report("coredns", "another"), "test", t0())
                        .await
                        .map(|_| ())
                }));
            }
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(intact(&store).await, entries_before + 40);
    }
);

both!(
    a_failed_run_of_reads_that_opens_a_batch_ends_it_and_the_rest_go_next,
    |store: Store| async move {
        let (pst, _) = setup(&store).await;
        let reference = store
            .report(report("coredns", "cache poisoning"), "test", t0())
            .await
            .unwrap()
            .record
            .case
            .reference;
        let entries_before = intact(&store).await;
        // A row where the next entry goes: the reads' INSERT fails (on
        // PostgreSQL, aborting the transaction they opened without a
        // savepoint).
        store
            .raw_execute(
                "INSERT INTO audit_log (seq, at, actor, action, case_ref, origin, detail, prev_hash, hash) \
                 SELECT seq + 1, 0, 'x', 'x', NULL, 'x', 'x', hash, hash FROM audit_head WHERE id = 1",
            )
            .await;
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let held = store.hold_group_for_tests().await;
        let pst = Caller::cli(Principal::User(pst));
        let mut reads = Vec::new();
        for _ in 0..3 {
            let (s, who) = (store.clone(), pst.clone());
            reads.push(tokio::spawn(async move {
                s.case(&who, reference).await.map(|_| ())
            }));
        }
        queued(&store, 3).await;
        // Behind them, a request that writes no audit entry.
        let s = store.clone();
        let count = tokio::spawn(async move {
            s.count_reporter_intake(&"rep@example.net".parse().unwrap(), t0(), 10)
                .await
        });
        queued(&store, 4).await;
        let batches = store.batches_for_tests();
        drop(held);
        for read in reads {
            let result = read.await.unwrap();
            assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");
        }
        // Not failed with them: queued again, and committed by the next.
        count.await.unwrap().unwrap();
        assert_eq!(store.batches_for_tests() - batches, 2);
        store
            .raw_execute(
                "DELETE FROM audit_log WHERE seq > (SELECT seq FROM audit_head WHERE id = 1)",
            )
            .await;
        assert_eq!(intact(&store).await, entries_before);
        assert_eq!(audit_count(&store, "case.view").await, 0);
        // Counted once: the quota's count was written.
        store
            .count_reporter_intake(&"rep@example.net".parse().unwrap(), t0(), 1)
            .await
            .unwrap_err();
    }
);
