//! "If the CVSS score is under 4.0 ... the Fix Team can decide to slow the
//! release process down in the face of holidays, developer bandwidth, etc.
//! These decisions must be discussed on the security@ mailing list."

use expect_test::expect;
use psirt_core::{Command, Duration, Policy};

use crate::harness::*;

fn slow_down(reason: &str, discussion: &str, extension: Option<&str>) -> Command {
    Command::SlowDown {
        reason: reason.into(),
        discussion: discussion.into(),
        extension: extension.map(duration),
    }
}

const THREAD: &str = "<CAF+holiday-thread@mail.example.org>";

#[test]
fn the_low_vector_scores_below_four() {
    assert_eq!(vector(LOW).base_score().to_string(), "1.6");
    assert_eq!(vector(CRITICAL).base_score().to_string(), "9.8");
    // A vector is a plain value: copying it leaves the original usable.
    let low = vector(LOW);
    let copy = low;
    assert_eq!(low, copy);
}

#[test]
fn a_slow_down_needs_a_final_cvss_score_first() {
    let mut w = World::private();
    w.form_team();
    w.ok(
        w.person(DAVE),
        Command::ProposeCvss {
            vector: vector(LOW),
        },
    );
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![[
            "SlowDownNeedsFinalCvss: slowing a case down needs a final CVSS score below 4.0 first"
        ]],
    );
}

#[test]
fn a_slow_down_needs_a_low_severity_score() {
    let mut w = World::private();
    w.form_team();
    w.finalize_cvss(CRITICAL);
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![["SlowDownNeedsLowSeverity: only a low-severity case (CVSS base score below 4.0) may be slowed down; this one scores 9.8"]],
    );
}

#[test]
fn four_point_zero_is_not_under_four() {
    let mut w = World::private();
    w.form_team();
    let four = "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N";
    w.finalize_cvss(four);
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect!["SlowDownNeedsLowSeverity: only a low-severity case (CVSS base score below 4.0) may be slowed down; this one scores 4.0"],
    );
    let just_below = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N";
    assert_eq!(vector(just_below).base_score().to_string(), "3.3");
    w.finalize_cvss(just_below);
    w.check(w.lead(), slow_down("holidays", THREAD, None), expect!["ok"]);
}

#[test]
fn a_public_case_cannot_be_slowed_down() {
    let mut w = World::public();
    w.form_team();
    w.finalize_cvss(LOW);
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![["SlowDownWhilePublic: a publicly disclosed case cannot be slowed down: every due time is as soon as possible"]],
    );
}

#[test]
fn a_slow_down_needs_a_reason_and_a_link_to_the_discussion() {
    let mut w = World::private();
    w.form_team();
    w.finalize_cvss(LOW);
    for (reason, discussion, expected) in [
        ("  ", THREAD, expect![["invalid reason: must not be empty"]]),
        (
            "holidays",
            "",
            expect![["invalid discussion: must not be empty"]],
        ),
        (
            "holidays",
            "we talked about it",
            expect![[
                r#"invalid discussion: "we talked about it" is not an http(s) URL, a mailto: URL or a <Message-ID>"#
            ]],
        ),
        (
            "holidays",
            "https://",
            expect![[
                r#"invalid discussion: "https://" is not an http(s) URL, a mailto: URL or a <Message-ID>"#
            ]],
        ),
        (
            "holidays",
            "<no-at-sign>",
            expect![[
                r#"invalid discussion: "<no-at-sign>" is not an http(s) URL, a mailto: URL or a <Message-ID>"#
            ]],
        ),
    ] {
        w.check(w.lead(), slow_down(reason, discussion, None), expected);
    }
    assert!(w.case.slow_downs.is_empty());
}

#[test]
fn a_low_severity_slow_down_moves_every_pending_due_time_by_the_policy_extension() {
    let mut w = World::private();
    w.form_team();
    w.at("2d");
    w.finalize_cvss(LOW);
    w.at("3d");
    w.ok(
        w.lead(),
        slow_down(
            "Two of three maintainers are away over the holidays.",
            "https://groups.google.com/g/coredns-security/c/abc123",
            None,
        ),
    );
    assert_eq!(w.case.policy.slow_down_extension, Duration::days(14));
    // Done milestones keep their times; pending ones move 14 days.
    expect![[r#"
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +0m
        fix_team_formed        done     +0m
        cvss_scored            done     +2d
        fix_ready              due      +21d
        notice_published       due      +21d
        distributors_notified  due      +28d
        distributors_final_notice n/a
        released               due      +35d
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    // The decision shows on the case, with who took it and why.
    let s = &w.case.slow_downs[0];
    assert_eq!(s.by, Some(ALICE));
    assert_eq!(
        s.discussion,
        "https://groups.google.com/g/coredns-security/c/abc123"
    );

    // A second decision names its own extension; they add up.
    w.ok(
        w.person(BOB),
        slow_down("Bandwidth: the release manager is out.", THREAD, Some("3d")),
    );
    expect![[r#"
        fix_ready              +24d
        notice_published       +24d
        distributors_notified  +31d
        released               +38d
    "#]]
    .assert_eq(&w.dues());
    assert!(!w.case.urgent());
}

#[test]
fn the_fix_team_can_decide_to_slow_the_release_process_down() {
    let mut w = World::private();
    w.form_team();
    w.finalize_cvss(LOW);
    // "the Fix Team can decide": Dave is on it, not on the PST.
    w.check(
        w.person(DAVE),
        slow_down("holidays", THREAD, None),
        expect![["ok"]],
    );
    assert_eq!(w.case.slow_downs[0].by, Some(DAVE));
    // Nobody without a standing on the case can.
    w.check(
        w.person(ERIN),
        slow_down("holidays", THREAD, None),
        expect![["denied: only the Product Security Team, the Fix Lead or the Fix Team may slow the case down"]],
    );
    w.check(
        psirt_core::Actor::Reporter,
        slow_down("holidays", THREAD, None),
        expect![["denied: only the Product Security Team, the Fix Lead or the Fix Team may slow the case down"]],
    );
}

#[test]
fn a_slow_down_lapses_when_the_case_is_rescored_to_high_severity() {
    let mut w = World::private();
    w.form_team();
    assert!(!w.case.low_severity(), "no final score yet");
    w.finalize_cvss(LOW);
    assert!(w.case.low_severity());
    w.ok(w.lead(), slow_down("holidays", THREAD, None));
    expect![[r#"
        fix_ready              +21d
        notice_published       +21d
        distributors_notified  +28d
        released               +35d
    "#]]
    .assert_eq(&w.dues());
    w.at("5d");
    // The team finds a remote variant: the Fix Lead re-scores the case. The
    // slow-down was allowed only below 4.0: the normal timeline is back, and
    // the fix is already due in two days.
    w.finalize_cvss(CRITICAL);
    assert!(!w.case.low_severity());
    expect![[r#"
        fix_ready              +7d
        notice_published       +7d
        distributors_notified  +14d
        released               +21d
    "#]]
    .assert_eq(&w.dues());
    // The decision stays on the record; another one is refused.
    assert_eq!(w.case.slow_downs.len(), 1);
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![["SlowDownNeedsLowSeverity: only a low-severity case (CVSS base score below 4.0) may be slowed down; this one scores 9.8"]],
    );
    // Re-scored low again, the slow-down counts again.
    w.finalize_cvss(LOW);
    expect![[r#"
        fix_ready              +21d
        notice_published       +21d
        distributors_notified  +28d
        released               +35d
    "#]]
    .assert_eq(&w.dues());
}

#[test]
fn the_low_severity_messages_name_the_policy_threshold() {
    let policy = Policy {
        low_severity_below_tenths: 70,
        ..Policy::default()
    };
    let mut w = World::open(private_report(), policy);
    w.form_team();
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![[
            "SlowDownNeedsFinalCvss: slowing a case down needs a final CVSS score below 7.0 first"
        ]],
    );
    w.finalize_cvss(CRITICAL);
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![["SlowDownNeedsLowSeverity: only a low-severity case (CVSS base score below 7.0) may be slowed down; this one scores 9.8"]],
    );
    // 7.0 itself is not below 7.0.
    let seven = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:L/A:L";
    w.finalize_cvss(seven);
    w.check(
        w.lead(),
        slow_down("holidays", THREAD, None),
        expect![["SlowDownNeedsLowSeverity: only a low-severity case (CVSS base score below 7.0) may be slowed down; this one scores 7.0"]],
    );
    // A 6.5 is low severity under this policy.
    let medium = "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N";
    assert_eq!(vector(medium).base_score().to_string(), "6.5");
    w.finalize_cvss(medium);
    w.ok(w.lead(), slow_down("holidays", THREAD, None));
}

#[test]
fn a_slow_down_after_a_decision_to_release_early_moves_nothing() {
    let mut w = World::private();
    w.form_team();
    w.finalize_cvss(LOW);
    w.ok(
        w.person(DAVE),
        Command::ReportEmbargoBreak {
            what: "the patch".into(),
            to_whom: "a blog".into(),
            when: day0(),
        },
    );
    w.ok(
        w.person(ALICE),
        Command::AssessEmbargoBreak {
            release_early: true,
            reason: "go public".into(),
            release_at: None,
        },
    );
    // NOTE: the slow-down is accepted and recorded but has no effect, since
    // "release early" takes precedence in `Case::due`. Suggested: refuse it
    // (like `SlowDownWhilePublic`) when `release_early_at` is set.
    w.ok(w.lead(), slow_down("holidays", THREAD, None));
    assert_eq!(w.case.slow_downs.len(), 1);
    expect![[r#"
        fix_ready              +0m ASAP
        notice_published       +0m ASAP
        distributors_notified  +0m ASAP
        released               +0m ASAP
    "#]]
    .assert_eq(&w.dues());
}
