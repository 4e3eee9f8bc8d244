//! The store's behaviour, run against both backends: a SQLite file in a
//! temporary directory and a fresh database on the real PostgreSQL server
//! (`PSIRT_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).
//! Every test runs twice, once per backend, through the `both!` macro.

use std::collections::BTreeMap;

use jiff::Timestamp;
use psirt_core::{CaseRef, Command, NewReport, Policy, Refusal, UserId};
use psirt_store::{Caller, Principal, Store, StoreError, User};

#[macro_use]
mod common;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const T0: &str = "2026-11-02T09:00:00Z";

fn report(summary: &str) -> NewReport {
    common::report("coredns", summary)
}

/// A project with a three-person PST: alice, bob, carol (roster order).
async fn setup(store: &Store) -> Vec<User> {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), t(T0))
        .await
        .unwrap();
    let mut users = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let email = format!("{name}@example.org").parse().unwrap();
        let (user, _) = store.add_user(&email, name, false, t(T0)).await.unwrap();
        store
            .add_pst_member("coredns", user.id, t(T0))
            .await
            .unwrap();
        users.push(user);
    }
    users
}

fn person(user: User) -> Caller {
    Caller::cli(Principal::User(user))
}

/// Assigns the Fix Lead: the rotation's pick, or `choice` with its reason.
async fn assign(
    store: &Store,
    principal: &Caller,
    case: CaseRef,
    choice: Option<(UserId, String)>,
    expected: Option<u64>,
    now: Timestamp,
) -> Result<psirt_store::CaseRecord, StoreError> {
    let (lead, override_reason) = match choice {
        Some((lead, reason)) => (Some(lead), Some(reason)),
        None => (None, None),
    };
    store
        .execute(
            principal,
            case,
            Command::AssignFixLead {
                lead,
                override_reason,
            },
            expected,
            now,
        )
        .await
}

async fn count(store: &Store, sql: &'static str) -> i64 {
    store.raw_count(sql).await
}

both!(
    migrations_are_idempotent_and_health_checked,
    |store: Store| async move {
        store.ping().await.unwrap();
        // Running the migrations again on an up-to-date database changes nothing.
        store.migrate_again().await.unwrap();
        store.ping().await.unwrap();
    }
);

both!(
    a_report_is_recorded_and_acknowledged_in_one_transaction,
    |store: Store| async move {
        setup(&store).await;
        let first = store
            .report(report("cache poisoning"), "test", t(T0))
            .await
            .unwrap();
        let second = store
            .report(report("crash on EDNS"), "test", t("2026-11-02T10:00:00Z"))
            .await
            .unwrap();
        assert_eq!(first.record.case.reference.to_string(), "PSIRT-2026-0001");
        assert_eq!(second.record.case.reference.to_string(), "PSIRT-2026-0002");
        let kinds: Vec<&str> = first
            .record
            .events
            .iter()
            .map(|e| e.change.name())
            .collect();
        assert_eq!(kinds, ["reported", "acknowledged"]);
        assert_eq!(first.record.case.acknowledged_at, Some(t(T0)));
        // Read back from the database, not from the returned value.
        let pst = person(
            store
                .user_by_email(&"alice@example.org".parse().unwrap())
                .await
                .unwrap(),
        );
        let read = store.case(&pst, first.record.case.reference).await.unwrap();
        assert_eq!(read.case, first.record.case);
        assert_eq!(
            read.case.details.expose(),
            "Send a crafted DNS packet to port 53."
        );
    }
);

both!(
    a_refused_report_leaves_nothing_behind,
    |store: Store| async move {
        setup(&store).await;
        let mut bad = report("x");
        bad.summary = "   ".into();
        let err = store.report(bad, "test", t(T0)).await.unwrap_err();
        assert_eq!(err.to_string(), "summary: must not be empty");
        let mut unknown = report("x");
        unknown.project = "nope".into();
        let err = store.report(unknown, "test", t(T0)).await.unwrap_err();
        assert_eq!(err.to_string(), "project \"nope\" not found");
        assert_eq!(count(&store, "SELECT COUNT(*) FROM cases").await, 0);
        assert_eq!(count(&store, "SELECT COUNT(*) FROM case_events").await, 0);
        // The reference counter did not move either: the next case is 0001.
        let ok = store.report(report("real"), "test", t(T0)).await.unwrap();
        assert_eq!(ok.record.case.reference.to_string(), "PSIRT-2026-0001");
    }
);

both!(
    fix_lead_round_robin_is_fair_across_cases,
    |store: Store| async move {
        let users = setup(&store).await;
        let pst = person(users[0].clone());
        let mut led: BTreeMap<String, usize> = BTreeMap::new();
        let mut order = String::new();
        for i in 0..9 {
            let case = store
                .report(report(&format!("case {i}")), "test", t(T0))
                .await
                .unwrap()
                .record
                .case;
            let after = assign(&store, &pst, case.reference, None, None, t(T0))
                .await
                .unwrap();
            let lead = after.case.fix_lead().unwrap();
            let name = users.iter().find(|u| u.id == lead).unwrap().name.clone();
            order.push(name.chars().next().unwrap());
            *led.entry(name).or_default() += 1;
        }
        assert_eq!(order, "abcabcabc");
        assert_eq!(led.values().copied().collect::<Vec<_>>(), [3, 3, 3]);
    }
);

both!(
    the_rotation_skips_unavailable_members_and_records_overrides,
    |store: Store| async move {
        let users = setup(&store).await;
        let pst = person(users[0].clone());
        store
            .set_available("coredns", users[0].id, false)
            .await
            .unwrap();
        let c1 = store
            .report(report("one"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let r1 = assign(&store, &pst, c1, None, None, t(T0)).await.unwrap();
        assert_eq!(
            r1.case.fix_lead(),
            Some(users[1].id),
            "alice is away: bob leads"
        );
        store
            .set_available("coredns", users[0].id, true)
            .await
            .unwrap();

        // An override without a reason is refused, and does not use up a turn.
        let c2 = store
            .report(report("two"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let err = assign(
            &store,
            &pst,
            c2,
            Some((users[2].id, " ".into())),
            None,
            t(T0),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason"
        );
        let r2 = assign(
            &store,
            &pst,
            c2,
            Some((users[2].id, "knows the cache plugin".into())),
            None,
            t(T0),
        )
        .await
        .unwrap();
        assert_eq!(r2.case.fix_lead(), Some(users[2].id));
        let last = r2.events.last().unwrap();
        assert_eq!(
            serde_json::to_string(&last.change).unwrap(),
            r#"{"type":"fix_lead_assigned","lead":3,"override_reason":"knows the cache plugin"}"#
        );
        // The override counted as carol's turn: alice, who never led, is next.
        let c3 = store
            .report(report("three"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let r3 = assign(&store, &pst, c3, None, None, t(T0)).await.unwrap();
        assert_eq!(r3.case.fix_lead(), Some(users[0].id));

        // Nobody available: a clear error, nothing recorded.
        for u in &users {
            store.set_available("coredns", u.id, false).await.unwrap();
        }
        let c4 = store
            .report(report("four"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let err = assign(&store, &pst, c4, None, None, t(T0))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "no PST member is available for the Fix Lead rotation; choose one, with a reason"
        );
        assert_eq!(store.case(&pst, c4).await.unwrap().case.version, 2);
    }
);

both!(
    a_refused_command_changes_nothing,
    |store: Store| async move {
        let users = setup(&store).await;
        let pst = person(users[0].clone());
        let c = store
            .report(report("one"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let before = count(&store, "SELECT COUNT(*) FROM case_events").await;
        let err = store
            .execute(
                &pst,
                c,
                Command::PublishNotice {
                    estimated_release: t("2026-11-20T00:00:00Z"),
                    mitigation: "disable the cache plugin".into(),
                    link: None,
                },
                None,
                t(T0),
            )
            .await
            .unwrap_err();
        // The PST member is not the Fix Lead: access says no before any rule.
        assert_eq!(
            err.to_string(),
            "only the Fix Lead may publish the forthcoming-fix notice"
        );
        assert!(matches!(err, StoreError::Refused(Refusal::Denied(_))));
        assign(&store, &pst, c, None, None, t(T0)).await.unwrap();
        let err = store
            .execute(
                &pst,
                c,
                Command::PublishNotice {
                    estimated_release: t("2026-11-20T00:00:00Z"),
                    mitigation: "disable the cache plugin".into(),
                    link: None,
                },
                None,
                t(T0),
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the forthcoming-fix notice needs a fix or a mitigation first"
        );
        assert_eq!(
            count(&store, "SELECT COUNT(*) FROM case_events").await,
            before + 1
        );
        assert_eq!(store.case(&pst, c).await.unwrap().case.version, 3);
    }
);

both!(
    concurrent_commands_never_corrupt_a_case,
    |store: Store| async move {
        let users = setup(&store).await;
        let c = store
            .report(report("race"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let vector: psirt_core::cvss::Vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
            .parse()
            .unwrap();

        // Two PST members act on version 2 at once: one wins, the other is told.
        let mut tasks = Vec::new();
        for u in users.iter().take(2) {
            let (store, p, v) = (store.clone(), person(u.clone()), vector);
            tasks.push(tokio::spawn(async move {
                store
                    .execute(&p, c, Command::ProposeCvss { vector: v }, Some(2), t(T0))
                    .await
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "exactly one of two writers at version 2 wins");
        let loser = results.into_iter().find_map(Result::err).unwrap();
        assert_eq!(
            loser.to_string(),
            "case PSIRT-2026-0001 changed meanwhile (now at version 3, you expected 2); reload it and try again"
        );

        // Without an expected version, concurrent writers queue: all land, in order.
        let mut tasks = Vec::new();
        for i in 0..12 {
            let (store, p, v) = (store.clone(), person(users[i % 3].clone()), vector);
            tasks.push(tokio::spawn(async move {
                store
                    .execute(&p, c, Command::ProposeCvss { vector: v }, None, t(T0))
                    .await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let p = person(users[0].clone());
        let record = store.case(&p, c).await.unwrap();
        assert_eq!(record.case.version, 15);
        let seqs: Vec<u64> = record.events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=15).collect::<Vec<u64>>());
        assert_eq!(record.case.cvss_proposals.len(), 13);
    }
);

both!(
    fix_team_members_see_only_their_cases,
    |store: Store| async move {
        let users = setup(&store).await;
        let lead = person(users[0].clone());
        let (dev, _) = store
            .add_user(&"dev@example.org".parse().unwrap(), "Dev", false, t(T0))
            .await
            .unwrap();
        let mine = store
            .report(report("mine"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let other = store
            .report(report("other"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        assign(
            &store,
            &lead,
            mine,
            Some((users[0].id, "test".into())),
            None,
            t(T0),
        )
        .await
        .unwrap();
        store
            .execute(
                &lead,
                mine,
                Command::FormFixTeam {
                    members: vec![dev.id],
                },
                None,
                t(T0),
            )
            .await
            .unwrap();
        let dev = person(dev);
        assert_eq!(store.case(&dev, mine).await.unwrap().case.reference, mine);
        let err = store.case(&dev, other).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "only the Product Security Team, the Fix Lead or the Fix Team may view the case"
        );
        let visible: Vec<CaseRef> = store
            .cases(&dev, false)
            .await
            .unwrap()
            .iter()
            .map(|c| c.reference)
            .collect();
        assert_eq!(visible, [mine]);
        // A PST member of another project sees nothing of this one.
        store
            .add_project("etcd", "etcd", &Policy::default(), t(T0))
            .await
            .unwrap();
        let (outsider, _) = store
            .add_user(&"o@example.org".parse().unwrap(), "O", false, t(T0))
            .await
            .unwrap();
        store
            .add_pst_member("etcd", outsider.id, t(T0))
            .await
            .unwrap();
        let outsider = person(outsider);
        assert!(store.cases(&outsider, true).await.unwrap().is_empty());
        assert!(store.case(&outsider, mine).await.is_err());
        // A reporter's link speaks for its own case only.
        assert!(
            store
                .case(&Caller::cli(Principal::Reporter(mine)), mine)
                .await
                .is_ok()
        );
        assert!(
            store
                .case(&Caller::cli(Principal::Reporter(mine)), other)
                .await
                .is_err()
        );
    }
);

both!(
    tokens_are_stored_hashed_and_can_be_revoked,
    |store: Store| async move {
        let (user, token) = store
            .add_user(&"a@example.org".parse().unwrap(), "A", true, t(T0))
            .await
            .unwrap();
        assert!(token.reveal().starts_with("psirt_") && token.reveal().len() == 6 + 64);
        assert_eq!(format!("{token:?}"), "ApiToken(<redacted>)");
        assert_eq!(
            store.authenticate(token.reveal()).await.unwrap(),
            Some(user.clone())
        );
        assert_eq!(store.authenticate("psirt_wrong").await.unwrap(), None);
        assert_eq!(
            store.stored_token_count_equal_to(token.reveal()).await,
            0,
            "the token itself is never stored"
        );
        let second = store.issue_token(user.id, t(T0)).await.unwrap();
        assert_eq!(store.revoke_tokens(user.id, t(T0)).await.unwrap().tokens, 2);
        assert_eq!(store.authenticate(token.reveal()).await.unwrap(), None);
        assert_eq!(store.authenticate(second.reveal()).await.unwrap(), None);
        let err = store
            .add_user(&"a@example.org".parse().unwrap(), "A again", false, t(T0))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "a user with e-mail a@example.org already exists"
        );
    }
);

both!(
    a_case_keeps_the_policy_it_started_with,
    |store: Store| async move {
        let users = setup(&store).await;
        let p = person(users[0].clone());
        let old = store
            .report(report("old"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let k8s = Policy {
            release_within: "30d".parse().unwrap(),
            ..Policy::default()
        };
        store.set_project_policy("coredns", &k8s).await.unwrap();
        let new = store
            .report(report("new"), "test", t(T0))
            .await
            .unwrap()
            .record
            .case
            .reference;
        let due = |r| {
            let store = store.clone();
            let p = p.clone();
            async move {
                let case = store.case(&p, r).await.unwrap().case;
                case.milestone(psirt_core::Milestone::Released)
                    .due()
                    .unwrap()
                    .at
                    .to_string()
            }
        };
        assert_eq!(due(old).await, "2026-11-23T09:00:00Z");
        assert_eq!(due(new).await, "2026-12-02T09:00:00Z");
        let bad = Policy {
            fix_within: "40d".parse().unwrap(),
            ..Policy::default()
        };
        let err = store.set_project_policy("coredns", &bad).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy: policy fix_within: 40d is later than release_within (21d)"
        );
    }
);

both!(the_timeline_only_moves_forward, |store: Store| async move {
    let users = setup(&store).await;
    let p = person(users[0].clone());
    let c = store
        .report(report("one"), "test", t(T0))
        .await
        .unwrap()
        .record
        .case
        .reference;
    let err = assign(&store, &p, c, None, None, t("2026-11-01T00:00:00Z"))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "now: 2026-11-01T00:00:00Z is earlier than the case's last event (2026-11-02T09:00:00Z)"
    );
});

both!(
    the_agenda_lists_what_is_due_for_visible_open_cases,
    |store: Store| async move {
        let users = setup(&store).await;
        let p = person(users[0].clone());
        store.report(report("older"), "test", t(T0)).await.unwrap();
        store
            .report(report("newer"), "test", t("2026-11-03T09:00:00Z"))
            .await
            .unwrap();
        let agenda = store.agenda(&p, t("2026-11-03T12:00:00Z")).await.unwrap();
        let lines: Vec<String> = agenda
            .cases
            .iter()
            .map(|e| {
                let overdue: Vec<&str> = e.overdue.iter().map(|(m, _)| m.as_str()).collect();
                let next = e
                    .next
                    .map(|(m, d)| format!("{} {}", m.as_str(), d.at))
                    .unwrap_or_default();
                format!("{} overdue={overdue:?} next={next}", e.reference)
            })
            .collect();
        assert_eq!(
            lines,
            [
                "PSIRT-2026-0001 overdue=[\"fix_lead_assigned\", \"fix_team_formed\"] next=cvss_scored 2026-11-09T09:00:00Z",
                "PSIRT-2026-0002 overdue=[] next=fix_lead_assigned 2026-11-04T09:00:00Z",
            ]
        );
        let dev = person(
            store
                .add_user(&"d@example.org".parse().unwrap(), "D", false, t(T0))
                .await
                .unwrap()
                .0,
        );
        assert!(store.agenda(&dev, t(T0)).await.unwrap().cases.is_empty());
    }
);

both!(
    concurrent_assignments_never_hand_out_the_same_turn,
    |store: Store| async move {
        let users = setup(&store).await;
        let mut refs = Vec::new();
        for i in 0..6 {
            refs.push(
                store
                    .report(report(&format!("case {i}")), "test", t(T0))
                    .await
                    .unwrap()
                    .record
                    .case
                    .reference,
            );
        }
        let mut tasks = Vec::new();
        for (i, r) in refs.into_iter().enumerate() {
            let (store, p) = (store.clone(), person(users[i % 3].clone()));
            tasks.push(tokio::spawn(async move {
                assign(&store, &p, r, None, None, t(T0)).await
            }));
        }
        let mut led: BTreeMap<i64, usize> = BTreeMap::new();
        for task in tasks {
            let lead = task.await.unwrap().unwrap().case.fix_lead().unwrap();
            *led.entry(lead.get()).or_default() += 1;
        }
        assert_eq!(
            led.values().copied().collect::<Vec<_>>(),
            [2, 2, 2],
            "{led:?}"
        );
    }
);

both!(
    passwords_sessions_and_status_links,
    |store: Store| async move {
        let (user, _) = store
            .add_user(&"p@example.org".parse().unwrap(), "P", false, t(T0))
            .await
            .unwrap();
        let email = "p@example.org".parse().unwrap();
        // No password yet: nobody gets in, not even with an empty one.
        assert_eq!(store.check_password(&email, "").await.unwrap(), None);
        let err = store.set_password(user.id, "short").await.unwrap_err();
        assert_eq!(err.to_string(), "password: must be at least 12 characters");
        store
            .set_password(user.id, "correct horse battery")
            .await
            .unwrap();
        assert_eq!(
            store
                .check_password(&email, "correct horse battery")
                .await
                .unwrap(),
            Some(user.clone())
        );
        assert_eq!(
            store
                .check_password(&email, "wrong horse battery")
                .await
                .unwrap(),
            None
        );
        let nobody = "nobody@example.org".parse().unwrap();
        assert_eq!(
            store
                .check_password(&nobody, "correct horse battery")
                .await
                .unwrap(),
            None
        );

        let ttl = jiff::SignedDuration::from_hours(12);
        let session = store.create_session(&user, t(T0), ttl).await.unwrap();
        assert_eq!(format!("{session:?}"), "NewSession(<redacted>)");
        let live = store
            .session(session.cookie.reveal(), t(T0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(live.user, user);
        assert_eq!(live.csrf, session.csrf);
        assert_eq!(live.expires_at, t("2026-11-02T21:00:00Z"));
        // Expired at its end, and gone after logout.
        assert!(
            store
                .session(session.cookie.reveal(), t("2026-11-02T21:00:00Z"))
                .await
                .unwrap()
                .is_none()
        );
        store.end_session(session.cookie.reveal()).await.unwrap();
        assert!(
            store
                .session(session.cookie.reveal(), t(T0))
                .await
                .unwrap()
                .is_none()
        );

        // A report's status token opens exactly its own case.
        setup(&store).await;
        let a = store.report(report("a"), "test", t(T0)).await.unwrap();
        let b = store.report(report("b"), "test", t(T0)).await.unwrap();
        assert_ne!(a.status_token.reveal(), b.status_token.reveal());
        assert_eq!(format!("{:?}", a.status_token), "ApiToken(<redacted>)");
        assert_eq!(
            store.status_case(a.status_token.reveal()).await.unwrap(),
            Some(a.record.case.reference)
        );
        assert_eq!(
            store.status_case(b.status_token.reveal()).await.unwrap(),
            Some(b.record.case.reference)
        );
        assert_eq!(store.status_case("psirt_forged").await.unwrap(), None);
        assert_eq!(
            store.raw_count("SELECT COUNT(*) FROM status_tokens").await,
            2
        );
    }
);

both!(
    the_first_instance_key_stored_wins,
    |store: Store| async move {
        assert_eq!(store.instance_key().await.unwrap(), None);
        let first = store
            .keep_instance_key("KEY ONE", "AAAA", t(T0))
            .await
            .unwrap();
        assert_eq!(first, "KEY ONE");
        // A second replica that made its own key at the same time gets the first.
        let second = store
            .keep_instance_key("KEY TWO", "BBBB", t(T0))
            .await
            .unwrap();
        assert_eq!(second, "KEY ONE");
        assert_eq!(
            store.instance_key().await.unwrap().as_deref(),
            Some("KEY ONE")
        );
        let (entries, _) = store.audit_all_for_tests().await;
        let made: Vec<&(String, String, String)> = entries
            .iter()
            .filter(|(_, a, _)| a == "instance_key.create")
            .collect();
        assert_eq!(made.len(), 1, "{entries:?}");
        assert!(matches!(
            store.audit_verify().await.unwrap(),
            psirt_store::AuditReport::Intact { .. }
        ));
    }
);
