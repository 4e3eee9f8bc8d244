//! "If the Team is dealing with a Public Disclosure all timelines become
//! ASAP": every pending due time is the moment the team learned of it, and
//! the case is urgent, unless the reporter agrees to private handling.

use expect_test::expect;
use psirt_core::{Actor, Command, may_release};

use crate::harness::*;

#[test]
fn a_public_disclosure_makes_every_due_time_asap() {
    let w = World::public();
    assert!(w.case.urgent());
    assert!(w.case.asap());
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      due      +0m ASAP
        fix_team_formed        due      +0m ASAP
        cvss_scored            due      +0m ASAP
        fix_ready              due      +0m ASAP
        notice_published       due      +0m ASAP
        distributors_notified  due      +0m ASAP
        distributors_final_notice n/a
        released               due      +0m ASAP
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    assert_eq!(
        w.case.public().unwrap().link.as_deref(),
        Some("https://github.com/coredns/coredns/issues/9999")
    );
}

#[test]
fn a_reporter_who_denies_private_handling_keeps_the_case_asap() {
    let mut w = World::public();
    // "the PST will ask the person making the public report if the issue can
    // be handled via a private disclosure process".
    w.check(
        w.person(DAVE),
        Command::RequestPrivateHandling,
        expect![[
            "denied: only the Product Security Team may ask the reporter for private handling"
        ]],
    );
    w.advance("1h");
    w.ok(w.person(ALICE), Command::RequestPrivateHandling);
    w.advance("3h");
    // "If the reporter denies the request for private disclosure, the PST
    // will move swiftly with the fix and release process."
    w.ok(
        w.person(ALICE),
        Command::RecordPrivateHandlingAnswer { agreed: false },
    );
    assert_eq!(w.case.private_handling_agreed, Some(false));
    assert!(w.case.urgent());
    expect![[r#"
        fix_lead_assigned      +0m ASAP
        fix_team_formed        +0m ASAP
        cvss_scored            +0m ASAP
        fix_ready              +0m ASAP
        notice_published       +0m ASAP
        distributors_notified  +0m ASAP
        released               +0m ASAP
    "#]]
    .assert_eq(&w.dues());
}

#[test]
fn a_reporter_who_agrees_to_private_handling_restores_the_normal_timeline() {
    let mut w = World::public();
    w.advance("1h");
    w.ok(w.person(BOB), Command::RequestPrivateHandling);
    w.advance("5h");
    w.ok(
        w.person(BOB),
        Command::RecordPrivateHandlingAnswer { agreed: true },
    );
    assert!(!w.case.asap());
    assert!(!w.case.urgent());
    expect![[r#"
        fix_lead_assigned      +1d
        fix_team_formed        +1d
        cvss_scored            +7d
        fix_ready              +7d
        notice_published       +7d
        distributors_notified  +14d
        released               +21d
    "#]]
    .assert_eq(&w.dues());
}

#[test]
fn a_private_case_that_goes_public_is_due_the_moment_the_team_learns_of_it() {
    let mut w = World::private();
    w.form_team();
    w.at("3d");
    assert!(!w.case.urgent());
    // psirt itself may notice the public issue (mailbox or tracker polling).
    w.ok(
        Actor::System,
        Command::MarkPubliclyDisclosed {
            link: Some("https://seclists.org/oss-sec/2026/q1/123".into()),
        },
    );
    assert!(w.case.urgent());
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +0m
        fix_team_formed        done     +0m
        cvss_scored            due      +3d ASAP
        fix_ready              due      +3d ASAP
        notice_published       due      +3d ASAP
        distributors_notified  due      +3d ASAP
        distributors_final_notice n/a
        released               due      +3d ASAP
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    w.check(
        w.person(DAVE),
        Command::MarkPubliclyDisclosed { link: None },
        expect![["AlreadyPublic: the case is already marked publicly disclosed"]],
    );
}

#[test]
fn a_case_taken_private_that_leaks_again_is_asap_from_the_new_disclosure() {
    let mut w = World::public();
    w.ok(w.person(ALICE), Command::RequestPrivateHandling);
    w.ok(
        w.person(ALICE),
        Command::RecordPrivateHandlingAnswer { agreed: true },
    );
    w.at("6d");
    // The full exploit is published after all: the earlier agreement lapses.
    w.ok(
        w.person(ALICE),
        Command::MarkPubliclyDisclosed { link: None },
    );
    assert_eq!(w.case.private_handling_agreed, None);
    assert!(w.case.urgent());
    expect![[r#"
        fix_lead_assigned      +6d ASAP
        fix_team_formed        +6d ASAP
        cvss_scored            +6d ASAP
        fix_ready              +6d ASAP
        notice_published       +6d ASAP
        distributors_notified  +6d ASAP
        released               +6d ASAP
    "#]]
    .assert_eq(&w.dues());
}

#[test]
fn private_handling_is_only_negotiated_for_a_public_case() {
    let mut w = World::private();
    w.check(
        w.person(ALICE),
        Command::RequestPrivateHandling,
        expect![["PrivateHandlingNeedsPublicCase: only a publicly disclosed case can be asked to move to private handling"]],
    );
    let mut w = World::public();
    w.check(
        w.person(ALICE),
        Command::RecordPrivateHandlingAnswer { agreed: true },
        expect![["AnswerNeedsRequest: record the reporter's answer only after asking them to handle the issue privately"]],
    );
}

#[test]
fn a_public_disclosure_after_the_distributor_notice_ends_the_embargo() {
    let mut w = World::private();
    w.ready_to_release();
    w.at("2d");
    w.notify_distributors("14d");
    w.at("3d");
    w.ok(
        w.person(ALICE),
        Command::MarkPubliclyDisclosed { link: None },
    );
    assert_eq!(
        w.case
            .milestone(psirt_core::Milestone::Released)
            .due()
            .unwrap()
            .at,
        w.now
    );
    // The release is due "as soon as possible" (now), and the distributors'
    // embargo, eleven days away, no longer holds it: once the issue is
    // public the embargo protects nothing ("When in doubt push forward and
    // go public ASAP").
    assert_eq!(w.case.embargo_end(), Some(day0_plus("14d")));
    assert_eq!(may_release(&w.case), Ok(()));
    w.check(w.lead(), release_command(), expect![["ok"]]);
}

#[test]
fn a_public_disclosure_also_ends_an_upstream_embargo() {
    let mut w = World::private();
    w.ready_to_release();
    w.ok(
        w.lead(),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("25d"),
        },
    );
    w.at("2d");
    w.check(
        w.lead(),
        release_for(w.now),
        expect![["ReleaseEmbargoed: the embargo holds until 2026-03-27T09:00:00Z; publishing earlier needs an embargo-break assessment to release early"]],
    );
    w.ok(
        Actor::System,
        Command::MarkPubliclyDisclosed {
            link: Some("https://seclists.org/oss-sec/2026/q1/7".into()),
        },
    );
    w.check(w.lead(), release_command(), expect![["ok"]]);
}

#[test]
fn an_embargo_holds_again_once_the_reporter_agrees_to_private_handling() {
    let mut w = World::public();
    w.ready_to_release();
    w.ok(w.person(ALICE), Command::RequestPrivateHandling);
    w.ok(
        w.person(ALICE),
        Command::RecordPrivateHandlingAnswer { agreed: true },
    );
    w.at("1d");
    w.notify_distributors("10d");
    w.check(
        w.lead(),
        release_for(w.now),
        expect![["ReleaseEmbargoed: the embargo holds until 2026-03-12T09:00:00Z; publishing earlier needs an embargo-break assessment to release early"]],
    );
}
