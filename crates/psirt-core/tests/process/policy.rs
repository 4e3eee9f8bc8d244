//! Policy variants: the seed's numbers are the default policy, a project may
//! adopt its own (Kubernetes adds a retrospective after release and asks for
//! a longer distributor notice), and a case keeps the policy it started with.

use expect_test::expect;
use psirt_core::{Case, Change, Command, DistributorDecision, Policy};

use crate::harness::*;

/// Kubernetes' variant: a blameless retrospective 1-3 days after release,
/// and distributors told at least 7 days before disclosure.
fn kubernetes() -> Policy {
    Policy {
        retrospective_within: Some(duration("3d")),
        min_embargo: duration("7d"),
        ..Policy::default()
    }
}

#[test]
fn a_kubernetes_like_policy_holds_a_retrospective_before_closing() {
    let mut w = World::open(private_report(), kubernetes());
    w.ready_to_release();
    w.at("10d");
    w.release_and_wrap_up();
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +0m
        fix_team_formed        done     +0m
        cvss_scored            done     +0m
        fix_ready              done     +0m
        notice_published       pending
        distributors_notified  pending
        distributors_final_notice n/a
        released               done     +10d
        retrospective          due      +13d
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    w.check(
        w.lead(),
        Command::Close,
        expect![["CloseNeeds: closing the case needs the retrospective"]],
    );
    w.at("12d");
    w.ok(
        w.lead(),
        Command::HoldRetrospective {
            notes: "The LGTM gate took two days; add a second reviewer.".into(),
        },
    );
    w.ok(w.lead(), Command::Close);
    assert!(
        w.milestones()
            .contains("retrospective          done     +12d")
    );
}

#[test]
fn a_kubernetes_like_policy_asks_for_a_week_of_distributor_notice() {
    let mut w = World::open(private_report(), kubernetes());
    w.form_team();
    let decide = |end: &str| {
        Command::DecideDistributors(DistributorDecision {
            notify: true,
            rationale: "remotely exploitable".into(),
            embargo_end: Some(day0_plus(end)),
            long_embargo_reason: None,
            off_slot_reason: None,
        })
    };
    w.check(
        w.lead(),
        decide("5d"),
        expect!["EmbargoTooShort: the embargo must last at least 7d from the notice (the policy's distributor notice window, min_embargo)"],
    );
    w.check(w.lead(), decide("7d"), expect![["ok"]]);
}

#[test]
fn a_case_keeps_the_policy_it_started_with() {
    let mut old = World::private();
    old.ready_to_release();
    // The project adopts the Kubernetes variant; a new case gets it.
    let new = World::open_at(private_report(), kubernetes(), 2, old.now);
    assert_eq!(new.case.policy, kubernetes());
    assert_eq!(old.case.policy, Policy::default());
    // The policy travels in the report event, so a replay keeps it too.
    let Change::Reported { policy, .. } = &old.events[0].change else {
        unreachable!()
    };
    assert_eq!(**policy, Policy::default());
    let replayed = Case::from_events(&old.events).unwrap();
    assert_eq!(replayed, old.case);
    old.release();
    old.check(
        old.lead(),
        Command::HoldRetrospective {
            notes: "n/a".into(),
        },
        expect![["RetrospectiveNotInPolicy: this case's policy has no retrospective"]],
    );
    assert!(old.milestones().contains("retrospective          n/a"));
}

#[test]
fn a_project_states_only_what_differs_from_the_seed() {
    let policy: Policy =
        serde_json::from_str(r#"{"retrospective_within": "3d", "min_embargo": "7d"}"#).unwrap();
    assert_eq!(policy, kubernetes());
    let unknown =
        serde_json::from_str::<Policy>(r#"{"release_within": "21d", "relase_within": "30d"}"#)
            .unwrap_err()
            .to_string();
    assert!(
        unknown.starts_with("unknown field `relase_within`"),
        "{unknown}"
    );
    let bad = serde_json::from_str::<Policy>(r#"{"release_within": "3 weeks"}"#)
        .unwrap_err()
        .to_string();
    assert!(bad.contains("is not a duration"), "{bad}");
}

#[test]
fn policy_numbers_shape_every_due_time() {
    let policy = Policy {
        fix_team_within: duration("12h"),
        cvss_within: duration("3d"),
        fix_within: duration("5d"),
        notice_within: duration("5d"),
        distributors_within: duration("10d"),
        release_within: duration("14d"),
        ..Policy::default()
    };
    let w = World::open(private_report(), policy);
    expect![[r#"
        fix_lead_assigned      +12h
        fix_team_formed        +12h
        cvss_scored            +3d
        fix_ready              +5d
        notice_published       +5d
        distributors_notified  +10d
        released               +14d
    "#]]
    .assert_eq(&w.dues());
}
