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

/// The numbers of the references `tasks`' reports were opened with, in
/// task order; the report at `poisoned` must have failed on the poisoned
/// trigger, and every other been opened.
async fn numbers_but_poisoned(
    tasks: Vec<tokio::task::JoinHandle<Result<psirt_store::Intake, StoreError>>>,
    poisoned: usize,
) -> Vec<u32> {
    let mut numbers = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        match (i == poisoned, task.await.unwrap()) {
            (true, Err(StoreError::Database(e))) => {
                assert!(e.to_string().contains("poisoned"), "{e}")
            }
            (true, other) => panic!("the poisoned report should fail: {other:?}"),
            (false, Ok(intake)) => numbers.push(intake.record.case.reference.number()),
            (false, Err(e)) => panic!("report {i} failed: {e}"),
        }
    }
    numbers
}

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
        // Yesterday's count, which today's first count removes.
        let other: psirt_core::EmailAddress = "Other@Example.net".parse().unwrap();
        let yesterday = t0() - jiff::SignedDuration::from_hours(24);
        store
            .count_reporter_intake(&other, yesterday, 3)
            .await
            .unwrap();
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let email: psirt_core::EmailAddress = "rita@example.net".parse().unwrap();
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        // Six from one address, with two from another among them: one run
        // of counts, one upsert.
        for i in 0..8 {
            let (s, e) = (
                store.clone(),
                if i % 4 == 1 { &other } else { &email }.clone(),
            );
            tasks.push(tokio::spawn(async move {
                s.count_reporter_intake(&e, t0(), 3).await
            }));
            // One at a time into the queue, so that arrival order is known.
            queued(&store, tasks.len()).await;
        }
        let batches = store.batches_for_tests();
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
        assert_eq!(store.batches_for_tests() - batches, 1);
        // Each address's first three, in arrival order (the other's are
        // the second and the sixth; yesterday's count is gone).
        assert_eq!(
            outcomes,
            [true, true, true, true, false, true, false, false]
        );
        assert_eq!(
            store
                .raw_strings(
                    "SELECT email || ' ' || day || ' ' || CAST(reports AS TEXT) \
                     FROM intake_quota ORDER BY email"
                )
                .await,
            [
                "other@example.net 2026-11-02 2",
                "rita@example.net 2026-11-02 6"
            ]
        );
    }
);

both!(
    a_batch_past_its_time_bound_commits_and_the_rest_lead_the_next,
    |store: Store| async move {
        setup(&store).await;
        // No time at all: each batch runs one request (or one run of
        // reports queued back to back), commits, and hands the rest on, in
        // order. Reports and quota counts alternate here, so each is a
        // request of its own.
        store.set_batch_time_for_tests(Duration::ZERO);
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        let email: psirt_core::EmailAddress = "rita@example.net".parse().unwrap();
        for i in 0..6 {
            let s = store.clone();
            let email = email.clone();
            tasks.push(tokio::spawn(async move {
                if i % 2 == 1 {
                    s.count_reporter_intake(&email, t0(), 100).await?;
                    return Ok(None);
                }
                let r = report("coredns", &format!("report {i}"));
                Ok::<_, StoreError>(Some(s.report(r, "test", t0()).await?))
            }));
            queued(&store, tasks.len()).await;
        }
        let batches = store.batches_for_tests();
        drop(held);
        let mut numbers = Vec::new();
        for task in tasks {
            if let Some(intake) = task.await.unwrap().unwrap() {
                numbers.push(intake.record.case.reference.number());
            }
        }
        // In arrival order, one batch each.
        assert_eq!(numbers, [1, 2, 3]);
        assert_eq!(store.batches_for_tests() - batches, 6);
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM cases").await, 3);
        intact(&store).await;

        // Reports queued back to back are one run: one batch, however
        // short its time.
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for i in 0..4 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                s.report(report("coredns", &format!("run {i}")), "test", t0())
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
        assert_eq!(numbers, [4, 5, 6, 7]);
        assert_eq!(store.batches_for_tests() - batches, 1);
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

/// Six reports as different as intake sees them: two projects, keys for
/// the duplicates' index (a CVE id, a URL, a package version), a reporter
/// without an address (no acknowledgement), one with a file.
fn varied(i: usize) -> (NewReport, Vec<psirt_store::NewAttachment>) {
    let project = if i % 3 == 2 { "etcd" } else { "coredns" };
    let summary = [
        "Cache poisoning via EDNS in coredns 1.11.3",
        "Crash on CVE-2026-1234 style input",
        "Watch stream leaks keys",
        "See https://example.org/advisory/42 for the overflow",
        "Cache poisoning via EDNS again",
        "Auth bypass in grpc gateway",
    ][i];
    let mut r = report(project, summary);
    if i == 3 {
        r.reporter = Some(psirt_core::Reporter {
            name: Some("Anon".into()),
            email: None,
        });
    }
    let files = if i == 1 {
        vec![psirt_store::NewAttachment {
            name: "poc.txt".into(),
            content_type: "text/plain".into(),
            data: b"dig +edns=1 example.org".to_vec(),
        }]
    } else {
        Vec::new()
    };
    (r, files)
}

/// What intake stored of each case, without what differs between two
/// cases of the same report (ids, references, tokens, Message-IDs).
async fn stored(store: &Store) -> Vec<String> {
    let mut rows = store
        .raw_strings(
            "SELECT s.project || ' open=' || CAST(s.is_open AS TEXT) || ' v=' || CAST(s.version AS TEXT) \
             || ' due=' || COALESCE(s.next_due, '-') || ' docs=' || d.terms || '|' || d.keys \
             || ' mail=' || COALESCE((SELECT o.kind || ':' || o.recipient || ':' || o.state || ':' \
                 || CASE WHEN o.in_reply_to IS NULL THEN 'new' ELSE 'reply' END \
                 FROM outbox o WHERE o.case_id = s.case_id ORDER BY o.id LIMIT 1), '-') \
             || ' copies=' || CAST((SELECT COUNT(*) FROM outbox o WHERE o.case_id = s.case_id) AS TEXT) \
             || ' files=' || CAST((SELECT COUNT(*) FROM attachments a WHERE a.case_id = s.case_id) AS TEXT) \
             || ' events=' || CAST((SELECT COUNT(*) FROM case_events e WHERE e.case_id = s.case_id) AS TEXT) \
             FROM case_summaries s JOIN similar_docs d ON d.case_id = s.case_id ORDER BY s.case_id",
        )
        .await;
    rows.sort();
    rows
}

async fn term_counts(store: &Store) -> Vec<String> {
    store
        .raw_strings(
            "SELECT project || ' ' || term || ' ' || CAST(cases AS TEXT) FROM similar_terms \
             ORDER BY project, term",
        )
        .await
}

both!(
    reports_opened_together_are_stored_as_if_alone,
    |store: Store| async move {
        setup(&store).await;
        store
            .add_project("etcd", "etcd", &Policy::default(), t0())
            .await
            .unwrap();
        // Alone: each report its own batch.
        for i in 0..6 {
            let (r, files) = varied(i);
            store
                .report_with_attachments(r, files, "test", t0())
                .await
                .unwrap();
        }
        let alone = stored(&store).await;
        assert_eq!(alone.len(), 6);
        assert!(alone.iter().any(|r| r.contains("files=1")), "{alone:?}");
        assert!(
            alone.iter().any(|r| r.contains("cve CVE-2026-1234")),
            "{alone:?}"
        );
        assert!(
            alone
                .iter()
                .any(|r| r.contains("mail=acknowledgement:rita@example.net:queued:new")),
            "{alone:?}"
        );
        assert!(alone.iter().any(|r| r.contains("mail=-")), "{alone:?}");
        let entries = intact(&store).await;

        // Together: the same six, queued behind the held turn, one batch.
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for i in 0..6 {
            let (s, (r, files)) = (store.clone(), varied(i));
            tasks.push(tokio::spawn(async move {
                s.report_with_attachments(r, files, "test", t0()).await
            }));
        }
        queued(&store, 6).await;
        let batches = store.batches_for_tests();
        drop(held);
        let mut numbers = Vec::new();
        for task in tasks {
            let intake = task.await.unwrap().unwrap();
            numbers.push(intake.record.case.reference.number());
            // The token it was given is the one stored for its case.
            let status = store
                .status_case(intake.status_token.reveal())
                .await
                .unwrap();
            assert_eq!(status, Some(intake.record.case.reference));
        }
        assert_eq!(store.batches_for_tests() - batches, 1);
        // Numbered after the first six, without a gap (in queue order,
        // which is the order the tasks ran in, not the one they were made).
        numbers.sort_unstable();
        assert_eq!(numbers, (7..=12).collect::<Vec<u32>>());
        let both = stored(&store).await;
        let mut expected: Vec<String> = alone.iter().chain(&alone).cloned().collect();
        expected.sort();
        assert_eq!(both, expected);
        assert_eq!(intact(&store).await, entries + 6);
        assert_eq!(audit_count(&store, "case.report").await, 12);

        // What the batch maintained is what a rebuild from the events
        // writes: the summaries and the duplicates' term counts.
        let (summaries, terms) = (
            store.summary_rows_for_tests().await,
            term_counts(&store).await,
        );
        assert!(terms.iter().any(|t| t.ends_with(" 4")), "{terms:?}");
        store.reindex().await.unwrap();
        assert_eq!(store.summary_rows_for_tests().await, summaries);
        assert_eq!(term_counts(&store).await, terms);
    }
);

both!(
    a_report_the_database_refuses_fails_alone,
    |store: Store| async move {
        let (pst, _) = setup(&store).await;
        store
            .add_project("poison", "Poison", &Policy::default(), t0())
            .await
            .unwrap();
        // The database itself refuses a case of project "poison" (a
        // trigger): the run's one INSERT of all its cases fails, and its
        // reports are opened again one at a time.
        match store.backend() {
            psirt_store::Backend::Sqlite => {
                store
                    .raw_execute(
                        "CREATE TRIGGER poison BEFORE INSERT ON cases WHEN NEW.project = 'poison' \
                         BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
                    )
                    .await;
            }
            psirt_store::Backend::Postgres => {
                store
                    .raw_execute(
                        "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
                         IF NEW.project = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; \
                         RETURN NEW; END $$ LANGUAGE plpgsql",
                    )
                    .await;
                store
                    .raw_execute(
                        "CREATE TRIGGER poison BEFORE INSERT ON cases FOR EACH ROW \
                         EXECUTE FUNCTION poison()",
                    )
                    .await;
            }
        }
        let entries = intact(&store).await;
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        for i in 0..5 {
            let project = if i == 2 { "poison" } else { "coredns" };
            let (s, r) = (store.clone(), report(project, "cache poisoning"));
            tasks.push(tokio::spawn(async move { s.report(r, "test", t0()).await }));
        }
        queued(&store, 5).await;
        let batches = store.batches_for_tests();
        drop(held);
        let mut numbers = numbers_but_poisoned(tasks, 2).await;
        // The run opened its batch (no savepoint to go back to), which
        // ended unwritten; the next opened its reports one at a time.
        assert_eq!(store.batches_for_tests() - batches, 2);
        // The four others are written, numbered without a gap (in the
        // order the tasks queued in); the poisoned one left nothing.
        numbers.sort_unstable();
        assert_eq!(numbers, vec![1, 2, 3, 4]);
        for (table, n) in [
            ("SELECT COUNT(*) FROM cases", 4),
            ("SELECT COUNT(*) FROM case_events", 8),
            ("SELECT COUNT(*) FROM similar_docs", 4),
            ("SELECT COUNT(*) FROM outbox", 4),
            ("SELECT MAX(last) FROM case_counters", 4),
        ] {
            assert_eq!(store.raw_count(table).await, n, "{table}");
        }
        assert_eq!(intact(&store).await, entries + 4);

        // A run that does not open its batch (a read ran first) goes back
        // to its savepoint instead, and its reports are opened again one
        // at a time in the same batch; the read stays recorded.
        let reference = psirt_core::CaseRef::new(2026, 1).unwrap();
        let held = store.hold_group_for_tests().await;
        let s = store.clone();
        let read = tokio::spawn(async move {
            s.case(&Caller::cli(Principal::User(pst)), reference)
                .await
                .map(|_| ())
        });
        queued(&store, 1).await;
        let mut tasks = Vec::new();
        for i in 0..3 {
            let project = if i == 1 { "poison" } else { "coredns" };
            let (s, r) = (store.clone(), report(project, "cache poisoning"));
            tasks.push(tokio::spawn(async move { s.report(r, "test", t0()).await }));
            queued(&store, 2 + i).await;
        }
        let batches = store.batches_for_tests();
        drop(held);
        read.await.unwrap().unwrap();
        let numbers = numbers_but_poisoned(tasks, 1).await;
        assert_eq!(store.batches_for_tests() - batches, 1);
        assert_eq!(numbers, vec![5, 6]);
        assert_eq!(
            store.raw_count("SELECT MAX(last) FROM case_counters").await,
            6
        );
        assert_eq!(audit_count(&store, "case.view").await, 1);
        assert_eq!(intact(&store).await, entries + 7);
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

both!(
    reports_counted_against_the_quota_in_their_own_run,
    |store: Store| async move {
        setup(&store).await;
        store.set_batch_time_for_tests(Duration::from_secs(60));
        let held = store.hold_group_for_tests().await;
        let mut tasks = Vec::new();
        // Four from one address with three a day allowed, one without an
        // address (not counted), one the core refuses (counted, opens
        // nothing): one run, one batch.
        for i in 0..6 {
            let mut r = report(
                "coredns",
                if i == 4 {
                    "two\nlines"
                } else {
                    "cache poisoning"
                },
            );
            if i == 5 {
                r.reporter = None;
            }
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                s.arrival()
                    .report_within_quota(r, Vec::new(), "test", t0(), 3)
                    .await
            }));
            queued(&store, tasks.len()).await;
        }
        let batches = store.batches_for_tests();
        drop(held);
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(match task.await.unwrap() {
                Ok(intake) => format!("{}", intake.record.case.reference.number()),
                Err(StoreError::QuotaExceeded { what, .. }) => {
                    assert!(what.contains("at most 3"), "{what}");
                    "quota".into()
                }
                Err(StoreError::Refused(_)) => "refused".into(),
                Err(e) => panic!("{e}"),
            });
        }
        assert_eq!(store.batches_for_tests() - batches, 1);
        // In queue order: three counted and opened, the fourth over the
        // quota, the refused one over it too (its count came first), the
        // one without an address opened.
        assert_eq!(outcomes, ["1", "2", "3", "quota", "quota", "4"]);
        assert_eq!(
            store
                .raw_strings("SELECT email || ' ' || CAST(reports AS TEXT) FROM intake_quota")
                .await,
            ["rita@example.net 5"]
        );
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM cases").await, 4);
        // A read-only check refuses the address now, and counts nothing.
        let email: psirt_core::EmailAddress = "rita@example.net".parse().unwrap();
        assert!(matches!(
            store.check_reporter_quota(&email, t0(), 3).await,
            Err(StoreError::QuotaExceeded { .. })
        ));
        store.check_reporter_quota(&email, t0(), 6).await.unwrap();
        assert_eq!(
            store
                .raw_count("SELECT MAX(reports) FROM intake_quota")
                .await,
            5
        );
    }
);

// Gathering: a leader about to start a batch waits for the reports that
// said they were on their way, so that reports sent together are one
// batch; one given up wakes it as well, and nothing on its way means no
// wait at all.
both!(
    gathering_waits_for_arrivals_only,
    |store: Store| async move {
        setup(&store).await;
        // Long enough that only the arrivals themselves can end a wait,
        // however slow the machine: the bound is not what is tested here.
        store.set_gather_time_for_tests(Duration::from_secs(600));
        let arrival = store.arrival();
        let batches = store.batches_for_tests();
        let (s, r) = (store.clone(), report("coredns", "first"));
        let first = tokio::spawn(async move { s.report(r, "test", t0()).await });
        queued(&store, 1).await;
        // The first report's leader waits for the one on its way: it stays
        // queued, and no batch runs.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(store.queued_for_tests(), 1);
        assert_eq!(store.batches_for_tests(), batches);
        let second = arrival
            .report_within_quota(report("coredns", "second"), Vec::new(), "test", t0(), 10)
            .await
            .unwrap();
        let first = first.await.unwrap().unwrap();
        // One batch for both, in queue order.
        assert_eq!(store.batches_for_tests() - batches, 1);
        assert_eq!(
            first.record.case.reference.number() + 1,
            second.record.case.reference.number()
        );

        // An arrival given up (its request refused before it queued)
        // wakes the leader waiting for it.
        let arrival = store.arrival();
        let (s, r) = (store.clone(), report("coredns", "third"));
        let third = tokio::spawn(async move { s.report(r, "test", t0()).await });
        queued(&store, 1).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(store.queued_for_tests(), 1);
        drop(arrival);
        tokio::time::timeout(Duration::from_secs(60), third)
            .await
            .expect("the leader woke when the arrival was given up")
            .unwrap()
            .unwrap();

        // Nothing on its way: a lone report does not wait for the bound.
        tokio::time::timeout(
            Duration::from_secs(60),
            store.report(report("coredns", "fourth"), "test", t0()),
        )
        .await
        .expect("no wait without arrivals")
        .unwrap();
        assert_eq!(store.raw_count("SELECT COUNT(*) FROM cases").await, 4);
    }
);
