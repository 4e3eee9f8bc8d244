//! The projection (`case_summaries`): maintained in the transaction of every
//! event append, equal to what `Store::reindex` rebuilds from the events
//! after a long randomized run, and what the paged lists read, on both
//! backends.

use jiff::Timestamp;
use psirt_core::{CaseRef, Command, CommitId, CveId, NewReport, Policy, UserId, cvss::Vector};
use psirt_store::{Caller, ListQuery, PageSize, Principal, StateFilter, Store, StoreError, User};

#[macro_use]
mod common;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

const T0: &str = "2026-11-02T09:00:00Z";

fn report(project: &str, summary: &str, public: bool) -> NewReport {
    NewReport {
        already_public: public,
        ..common::report(project, summary)
    }
}

/// Projects `coredns` and `etcd`, each with its own PST of two (alice and
/// bob on coredns, carol and dan on etcd), and erin on no PST.
async fn setup(store: &Store) -> Vec<User> {
    let mut users = Vec::new();
    for (project, names) in [("coredns", ["alice", "bob"]), ("etcd", ["carol", "dan"])] {
        store
            .add_project(project, project, &Policy::default(), t(T0))
            .await
            .unwrap();
        for name in names {
            let email = format!("{name}@example.org").parse().unwrap();
            let (user, _) = store.add_user(&email, name, false, t(T0)).await.unwrap();
            store.add_pst_member(project, user.id, t(T0)).await.unwrap();
            users.push(user);
        }
    }
    let (erin, _) = store
        .add_user(&"erin@example.org".parse().unwrap(), "erin", false, t(T0))
        .await
        .unwrap();
    users.push(erin);
    users
}

fn person(user: &User) -> Caller {
    Caller::cli(Principal::User(user.clone()))
}

/// A small linear congruential generator (Knuth's MMIX constants): the
/// run is the same for the same seed, with no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn vector(s: &str) -> Vector {
    s.parse().unwrap()
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
const LOW: &str = "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N";

/// A command of the process, picked at random; many are refused where the
/// case is (that is part of the run: a refusal must leave the projection
/// as it was).
fn random_command(rng: &mut Lcg, users: &[User], now: Timestamp) -> Command {
    let commit: CommitId = "abc1234".parse().unwrap();
    let someone = users[rng.below(users.len() as u64) as usize].id;
    match rng.below(16) {
        0 => Command::AssignFixLead {
            lead: None,
            override_reason: None,
        },
        1 => Command::FormFixTeam {
            members: vec![someone],
        },
        2 => Command::AddFixTeamMember { member: someone },
        3 => Command::FinalizeCvss {
            vector: vector(if rng.below(2) == 0 { CRITICAL } else { LOW }),
        },
        4 => Command::AddFixCommit {
            commit,
            author: "dev".into(),
            author_user: None,
            url: None,
        },
        5 => Command::ApproveCommit { commit },
        6 => Command::MarkFixReady,
        7 => Command::RecordCve {
            cve: format!("CVE-2026-{}", 10000 + rng.below(80000))
                .parse::<CveId>()
                .unwrap(),
        },
        8 => Command::DraftAnnouncement {
            text: "A release fixes it.".into(),
        },
        9 => Command::Release {
            version: "v1.2.1".into(),
            base_release: "v1.2.0".into(),
            cherry_picks: vec![commit],
            public_at: None,
        },
        10 => Command::MarkPubliclyDisclosed { link: None },
        11 => Command::SlowDown {
            reason: "low severity".into(),
            discussion: "https://example.org/thread".into(),
            extension: None,
        },
        12 => Command::ReportEmbargoBreak {
            what: "the patch".into(),
            to_whom: "a mailing list".into(),
            when: now,
        },
        13 => Command::AssessEmbargoBreak {
            release_early: rng.below(2) == 0,
            reason: "assessed".into(),
            release_at: None,
        },
        14 => Command::HoldRetrospective {
            notes: "went well".into(),
        },
        _ => Command::Close,
    }
}

/// The next step of the seed's private path for `case`, so that the run
/// also carries cases to their release and close.
fn next_step(case: &psirt_core::Case, member: UserId, rng: &mut Lcg) -> Command {
    let commit: CommitId = "abc1234".parse().unwrap();
    if case.fix_lead().is_none() {
        Command::AssignFixLead {
            lead: None,
            override_reason: None,
        }
    } else if case.fix_team_formed_at.is_none() {
        Command::FormFixTeam {
            members: vec![member],
        }
    } else if case.cvss_final.is_none() {
        Command::FinalizeCvss {
            vector: vector(if rng.below(2) == 0 { CRITICAL } else { LOW }),
        }
    } else if case.fix_commits.is_empty() {
        Command::AddFixCommit {
            commit,
            author: "dev".into(),
            author_user: None,
            url: None,
        }
    } else if case.fix_commits.iter().all(|c| c.approvals.is_empty()) {
        Command::ApproveCommit { commit }
    } else if case.fix_ready_at.is_none() {
        Command::MarkFixReady
    } else if case.cves.is_empty() {
        Command::RecordCve {
            cve: format!("CVE-2026-{}", 10000 + case.reference.number())
                .parse::<CveId>()
                .unwrap(),
        }
    } else if case.announcement.is_none() {
        Command::DraftAnnouncement {
            text: "A release fixes it.".into(),
        }
    } else if case.release().is_none() {
        Command::Release {
            version: "v1.2.1".into(),
            base_release: "v1.2.0".into(),
            cherry_picks: vec![commit],
            public_at: None,
        }
    } else if case.credits.is_empty() {
        // Recorded as the reporter (the caller below).
        Command::RecordCredit(psirt_core::Credit {
            name: Some("Rita".into()),
            kind: psirt_core::CreditKind::Finder,
        })
    } else if case.advisories.is_empty() {
        Command::RecordAdvisory {
            format: "osv".into(),
            location: "https://example.org/advisories/1".into(),
        }
    } else if case.retrospective_at.is_none() && case.policy.retrospective_within.is_some() {
        Command::HoldRetrospective {
            notes: "went well".into(),
        }
    } else {
        Command::Close
    }
}

both!(
    the_rebuilt_projection_equals_the_maintained_one_after_a_long_random_run,
    |store: Store| async move {
        let users = setup(&store).await;
        let mut rng = Lcg(0x005e_ed15);
        let mut now = t(T0);
        let mut cases: Vec<CaseRef> = Vec::new();
        let (mut accepted, mut refused) = (0, 0);
        for step in 0..600 {
            now += jiff::SignedDuration::from_mins(rng.below(600) as i64 + 1);
            if cases.is_empty() || rng.below(8) == 0 {
                let project = if rng.below(3) == 0 { "etcd" } else { "coredns" };
                let intake = store
                    .report(
                        report(project, &format!("case of step {step}"), rng.below(5) == 0),
                        "test",
                        now,
                    )
                    .await
                    .unwrap();
                cases.push(intake.record.case.reference);
                continue;
            }
            let reference = cases[rng.below(cases.len() as u64) as usize];
            // Act as the case's Fix Lead when it has one and the coin says
            // so, else as someone at random (often refused).
            let pst = person(&users[0]);
            let case = store.case(&pst, reference).await.ok().map(|r| r.case);
            let case = match case {
                Some(c) => c,
                None => {
                    store
                        .case(&person(&users[2]), reference)
                        .await
                        .unwrap()
                        .case
                }
            };
            // Mostly the next step of the process by the Fix Lead (or the
            // project's PST before there is one); otherwise any command by
            // anyone, which is often refused.
            let pst_of_case = if case.project == "etcd" {
                &users[2]
            } else {
                &users[0]
            };
            let (actor, command) = if rng.below(10) < 7 {
                let actor = match case.fix_lead() {
                    Some(lead) => users.iter().find(|u| u.id == lead).unwrap().clone(),
                    None => pst_of_case.clone(),
                };
                (actor, next_step(&case, users[4].id, &mut rng))
            } else {
                let actor = users[rng.below(users.len() as u64) as usize].clone();
                (actor, random_command(&mut rng, &users, now))
            };
            let caller = if matches!(command, Command::RecordCredit(_)) {
                Caller::cli(Principal::Reporter(reference))
            } else {
                person(&actor)
            };
            match store.execute(&caller, reference, command, None, now).await {
                Ok(_) => accepted += 1,
                Err(StoreError::Refused(_)) => refused += 1,
                Err(e) => panic!("step {step}: {e}"),
            }
        }
        assert!(
            accepted > 80,
            "the run moved cases along: {accepted} accepted"
        );
        assert!(refused > 50, "and was refused along the way: {refused}");
        let maintained = store.summary_rows_for_tests().await;
        assert_eq!(maintained.len(), cases.len());
        // The run reached the states the projection distinguishes.
        let has = |needle: &str| maintained.iter().filter(|r| r.contains(needle)).count();
        assert!(has("open=0") > 0, "some cases were closed");
        assert!(has("released=Some") > 0, "some were released");
        assert!(has("urgent=1") > 0, "some were urgent");
        assert_eq!(store.reindex().await.unwrap(), cases.len() as u64);
        let rebuilt = store.summary_rows_for_tests().await;
        for (m, r) in maintained.iter().zip(&rebuilt) {
            assert_eq!(m, r, "the rebuilt summary differs from the maintained one");
        }
        // Emptied (as by a database from before the projection), the
        // projection is filled in again from the events when psirt starts.
        store.raw_execute("DELETE FROM case_summary_people").await;
        store.raw_execute("DELETE FROM case_summaries").await;
        store.fill_missing_summaries_for_tests().await;
        assert_eq!(store.summary_rows_for_tests().await, maintained);

        // Each list agrees with the folds: the public list holds exactly the
        // cases whose advisory `public_at` says is public now.
        let mut public = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = store
                .public_page(now, PageSize::new(3).unwrap(), cursor.as_deref(), None)
                .await
                .unwrap();
            assert!(page.items.len() <= 3);
            public.extend(page.items.iter().map(|c| c.reference));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let all: Vec<CaseRef> = store
            .public_cases(now, None)
            .await
            .unwrap()
            .iter()
            .map(|c| c.reference)
            .collect();
        assert_eq!(public, all);
        let mut expected = Vec::new();
        for r in &cases {
            let case = match store.case(&person(&users[0]), *r).await {
                Ok(rec) => rec.case,
                Err(_) => store.case(&person(&users[2]), *r).await.unwrap().case,
            };
            if let Some(at) = psirt_core::public_at(&case).filter(|at| *at <= now) {
                expected.push((at, *r));
            }
        }
        expected.sort_by(|a, b| b.cmp(a));
        assert!(!expected.is_empty(), "some advisories are public");
        assert_eq!(
            public,
            expected.into_iter().map(|(_, r)| r).collect::<Vec<_>>()
        );
    }
);

/// Every page of `query` for `caller`, concatenated, checking each is at
/// most the page size.
async fn all_pages(store: &Store, caller: &Caller, mut query: ListQuery) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let page = store.case_page(caller, &query).await.unwrap();
        assert!(page.items.len() <= query.limit.get() as usize);
        out.extend(page.items.iter().map(|c| c.reference.to_string()));
        match page.next_cursor {
            Some(c) => query.cursor = Some(c),
            None => return out,
        }
    }
}

both!(
    the_case_list_pages_through_what_the_caller_may_see,
    |store: Store| async move {
        let users = setup(&store).await;
        let (alice, carol, erin) = (&users[0], &users[2], &users[4]);
        let mut refs = Vec::new();
        for i in 0..7 {
            let project = if i % 3 == 2 { "etcd" } else { "coredns" };
            let at = t(T0) + jiff::SignedDuration::from_mins(i);
            let intake = store
                .report(report(project, &format!("case {i}"), false), "test", at)
                .await
                .unwrap();
            refs.push((project, intake.record.case.reference.to_string()));
        }
        let coredns: Vec<String> = refs
            .iter()
            .filter(|(p, _)| *p == "coredns")
            .map(|(_, r)| r.clone())
            .collect();
        let three = ListQuery {
            limit: PageSize::new(2).unwrap(),
            ..Default::default()
        };
        // Alice (coredns's PST) sees coredns's cases, in order, two a page.
        assert_eq!(
            all_pages(&store, &person(alice), three.clone()).await,
            coredns
        );
        let first = store.case_page(&person(alice), &three).await.unwrap();
        assert_eq!(first.items.len(), 2);
        assert!(first.next_cursor.is_some());
        // Erin is on no PST: nothing, until she is on a case's Fix Team.
        assert!(
            all_pages(&store, &person(erin), three.clone())
                .await
                .is_empty()
        );
        let etcd_case: CaseRef = refs[2].1.parse().unwrap();
        let now = t(T0) + jiff::SignedDuration::from_hours(1);
        let lead = store
            .execute(
                &person(carol),
                etcd_case,
                Command::AssignFixLead {
                    lead: None,
                    override_reason: None,
                },
                None,
                now,
            )
            .await
            .unwrap()
            .case
            .fix_lead()
            .unwrap();
        let lead_user = users.iter().find(|u| u.id == lead).unwrap();
        store
            .execute(
                &person(lead_user),
                etcd_case,
                Command::FormFixTeam {
                    members: vec![erin.id, alice.id],
                },
                None,
                now,
            )
            .await
            .unwrap();
        assert_eq!(
            all_pages(&store, &person(erin), three.clone()).await,
            [etcd_case.to_string()]
        );
        // Alice, coredns's PST, now also on an etcd case's Fix Team: both
        // kinds of standing on one list, in case order, across pages.
        let alices: Vec<String> = refs
            .iter()
            .filter(|(p, r)| *p == "coredns" || *r == etcd_case.to_string())
            .map(|(_, r)| r.clone())
            .collect();
        assert_eq!(alices.len(), coredns.len() + 1);
        assert_eq!(
            all_pages(&store, &person(alice), three.clone()).await,
            alices
        );
        // Filters: by project, by Fix Lead, by state.
        let etcd_only = ListQuery {
            project: Some("etcd".into()),
            ..three.clone()
        };
        assert_eq!(
            all_pages(&store, &person(alice), etcd_only.clone()).await,
            [etcd_case.to_string()]
        );
        assert_eq!(all_pages(&store, &person(carol), etcd_only).await.len(), 2);
        let by_lead = ListQuery {
            fix_lead: Some(lead),
            ..three.clone()
        };
        assert_eq!(
            all_pages(&store, &person(carol), by_lead).await,
            [etcd_case.to_string()]
        );
        let by_nobody = ListQuery {
            fix_lead: Some(UserId::new(999)),
            ..three.clone()
        };
        assert!(
            all_pages(&store, &person(carol), by_nobody)
                .await
                .is_empty()
        );
        let closed = ListQuery {
            state: StateFilter::Closed,
            ..three.clone()
        };
        assert!(all_pages(&store, &person(alice), closed).await.is_empty());
        // The page size has bounds, and a cursor must be one a list gave.
        for bad in [0, psirt_store::MAX_PAGE + 1] {
            match PageSize::new(bad) {
                Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "limit"),
                other => panic!("{other:?}"),
            }
        }
        for cursor in ["x", "c", "c-1", "a123", "cabc"] {
            let query = ListQuery {
                cursor: Some(cursor.into()),
                ..three.clone()
            };
            match store.case_page(&person(alice), &query).await {
                Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "cursor"),
                other => panic!("{cursor}: {other:?}"),
            }
        }
        // Every page shown is in the audit log as a list, as before paging.
        let (entries, _) = store.audit_all_for_tests().await;
        assert!(entries.iter().any(|(_, action, _)| action == "case.list"));
        // The dashboard's pages: most pressing first, the same cases.
        let (agenda, page) = store
            .agenda_page(&person(alice), &three, now)
            .await
            .unwrap();
        assert_eq!(agenda.cases.len(), page.items.len());
        let mut dashboard = Vec::new();
        let mut query = three.clone();
        loop {
            let (_, page) = store
                .agenda_page(&person(alice), &query, now)
                .await
                .unwrap();
            dashboard.extend(page.items.iter().map(|c| c.reference.to_string()));
            match page.next_cursor {
                Some(c) => query.cursor = Some(c),
                None => break,
            }
        }
        let whole = store.agenda(&person(alice), now).await.unwrap();
        assert_eq!(
            dashboard,
            whole
                .cases
                .iter()
                .map(|e| e.reference.to_string())
                .collect::<Vec<_>>()
        );
    }
);
