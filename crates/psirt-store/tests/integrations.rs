//! The schedule of a case's steps in other systems, on both databases:
//! linking a fix repository schedules its step in the same transaction, a
//! claim is leased (a second claim skips it), a failure is kept with its
//! reason and retried after a doubling backoff; GitHub logins are one per
//! account, and the Fix Team schedules the GitHub advisory step only for
//! a project connected to GitHub.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{CaseRef, Command, FixRepository, NewReport, Policy, Secret};
use psirt_store::{Caller, Principal, Step, StepState, Store, backoff};

#[macro_use]
mod common;

fn at(secs: i64) -> Timestamp {
    "2026-11-02T09:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_secs(secs)
}

async fn linked_case(store: &Store) -> CaseRef {
    store
        .add_project("coredns", "CoreDNS", &Policy::default(), at(0))
        .await
        .unwrap();
    let email = "alice@example.org".parse().unwrap();
    let (alice, _) = store.add_user(&email, "alice", false, at(0)).await.unwrap();
    store
        .add_pst_member("coredns", alice.id, at(0))
        .await
        .unwrap();
    let intake = store
        .report(
            NewReport {
                project: "coredns".into(),
                summary: "cache poisoning".into(),
                details: Secret::new("details".into()),
                reporter: None,
                public_link: None,
                already_public: false,
                ai_assisted: false,
            },
            "test",
            at(0),
        )
        .await
        .unwrap();
    let case = intake.record.case.reference;
    let caller = Caller::cli(Principal::User(alice));
    assert!(store.steps(case).await.unwrap().is_empty());
    store
        .execute(
            &caller,
            case,
            Command::LinkFixRepository(FixRepository {
                location: "/srv/git/coredns-security.git".into(),
                branch: "fix/cname".into(),
                base: "main".into(),
                release_branches: vec!["release-1.12".into()],
                tag_pattern: "v*".into(),
            }),
            None,
            at(1),
        )
        .await
        .unwrap();
    case
}

both!(
    a_linked_repository_is_scheduled_claimed_once_and_retried_with_backoff,
    |store: Store| async move {
        let case = linked_case(&store).await;
        let steps = store.steps(case).await.unwrap();
        assert_eq!(steps.len(), 1);
        assert_eq!(
            (steps[0].step, steps[0].state, steps[0].next_at),
            (Step::FixRepository, StepState::Pending, at(1))
        );
        let claimed = store
            .claim_steps(Step::FixRepository, 10, at(2), at(60))
            .await
            .unwrap();
        assert_eq!(claimed, [case]);
        // Leased: another worker gets nothing until the lease ends.
        let again = store
            .claim_steps(Step::FixRepository, 10, at(3), at(60))
            .await
            .unwrap();
        assert!(again.is_empty());
        let next = store
            .step_failed(case, Step::FixRepository, "fatal: no route to host", at(4))
            .await
            .unwrap();
        assert_eq!(next, at(4) + backoff(1));
        let step = &store.steps(case).await.unwrap()[0];
        assert_eq!(
            (step.state, step.attempts, step.reason.as_deref()),
            (StepState::Failed, 1, Some("fatal: no route to host"))
        );
        assert!(
            store
                .claim_steps(Step::FixRepository, 10, at(5), at(60))
                .await
                .unwrap()
                .is_empty(),
            "not before the backoff"
        );
        assert_eq!(
            store
                .claim_steps(Step::FixRepository, 10, next, at(90))
                .await
                .unwrap(),
            [case]
        );
        store
            .step_failed(case, Step::FixRepository, "timed out", next)
            .await
            .unwrap();
        assert_eq!(store.steps(case).await.unwrap()[0].attempts, 2);
        store
            .step_succeeded(case, Step::FixRepository, at(100), at(400))
            .await
            .unwrap();
        let step = &store.steps(case).await.unwrap()[0];
        assert_eq!(
            (step.state, step.attempts, step.reason.clone(), step.next_at),
            (StepState::Ok, 0, None, at(400))
        );
    }
);

#[test]
fn the_backoff_doubles_from_thirty_seconds_to_an_hour() {
    let waits: Vec<i64> = (1..=9).map(|n| backoff(n).as_secs()).collect();
    assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
}

both!(
    github_logins_are_one_per_account_and_the_fix_team_schedules_the_advisory,
    |store: Store| async move {
        let case = linked_case(&store).await;
        let alice = store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        let (bob, _) = store
            .add_user(&"bob@example.org".parse().unwrap(), "bob", false, at(2))
            .await
            .unwrap();
        let login = |s: &str| s.parse::<psirt_core::GitHubLogin>().unwrap();
        store
            .set_github_login(alice.id, Some(&login("Alice")), at(2))
            .await
            .unwrap();
        let taken = store
            .set_github_login(bob.id, Some(&login("alice")), at(2))
            .await
            .unwrap_err();
        assert!(
            matches!(taken, psirt_store::StoreError::Duplicate(_)),
            "{taken}"
        );
        assert_eq!(
            store.github_logins(&[alice.id, bob.id]).await.unwrap(),
            [(alice.id, login("alice"))]
        );
        store.set_github_login(alice.id, None, at(2)).await.unwrap();
        store
            .set_github_login(bob.id, Some(&login("alice")), at(2))
            .await
            .unwrap();
        assert_eq!(
            store.github_logins(&[alice.id, bob.id]).await.unwrap(),
            [(bob.id, login("alice"))]
        );

        let caller = Caller::cli(Principal::User(alice.clone()));
        let names = |steps: Vec<psirt_store::StepStatus>| -> Vec<&'static str> {
            steps.iter().map(|s| s.step.as_str()).collect()
        };
        // Not connected to GitHub: the lead's assignment schedules nothing.
        let assign = Command::AssignFixLead {
            lead: None,
            override_reason: None,
        };
        store
            .execute(&caller, case, assign, None, at(3))
            .await
            .unwrap();
        assert_eq!(names(store.steps(case).await.unwrap()), ["fix_repository"]);
        let vault = store.open_vault(b"kek", at(3)).await.unwrap();
        let settings = psirt_store::ServiceSettings::github(None, "coredns/coredns").unwrap();
        let token = psirt_store::ServiceSecret::new("ghp_token").unwrap();
        store
            .put_service("coredns", &settings, &token, &vault, at(3))
            .await
            .unwrap();
        let form = Command::FormFixTeam {
            members: vec![bob.id],
        };
        store
            .execute(&caller, case, form, None, at(4))
            .await
            .unwrap();
        assert_eq!(
            names(store.steps(case).await.unwrap()),
            ["fix_repository", "github_advisory"]
        );
        // A new login of someone on the team makes the step due again,
        // in the same transaction; someone else's login does not.
        store
            .step_done(case, Step::GitHubAdvisory, at(5))
            .await
            .unwrap();
        let advisory = |steps: Vec<psirt_store::StepStatus>| {
            let s = steps.into_iter().find(|s| s.step == Step::GitHubAdvisory);
            s.map(|s| (s.state, s.next_at)).unwrap()
        };
        let (carol, _) = store
            .add_user(&"carol@example.org".parse().unwrap(), "Carol", false, at(5))
            .await
            .unwrap();
        store
            .set_github_login(carol.id, Some(&login("carol")), at(6))
            .await
            .unwrap();
        let (state, _) = advisory(store.steps(case).await.unwrap());
        assert_eq!(state, StepState::Ok, "carol is not on the case");
        store
            .set_github_login(bob.id, Some(&login("bob")), at(7))
            .await
            .unwrap();
        assert_eq!(
            advisory(store.steps(case).await.unwrap()),
            (StepState::Pending, at(7))
        );
        // A credit names an account by its email address or its name.
        for (name, credited) in [
            ("BOB@example.org", Some(login("bob"))),
            ("carol", Some(login("carol"))),
            ("alice", None),
            ("Nobody", None),
        ] {
            assert_eq!(
                store.github_login_credited(name).await.unwrap(),
                credited,
                "{name}"
            );
        }
        store.drop_step(case, Step::GitHubAdvisory).await.unwrap();
        assert_eq!(names(store.steps(case).await.unwrap()), ["fix_repository"]);
    }
);
