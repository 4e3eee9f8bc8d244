//! "What if a distributor breaks embargo? The PST will assess the damage and
//! may make the call to release earlier or continue with the plan", and "If
//! the fix relies on another upstream project's disclosure timeline, that
//! will adjust the process as well."

use expect_test::expect;
use psirt_core::{Actor, Command, Milestone};

use crate::harness::*;

fn report_break(when: &str) -> Command {
    Command::ReportEmbargoBreak {
        what: "the patch and the CVE description".into(),
        to_whom: "a public mirror of a distributor's build repository".into(),
        when: day0_plus(when),
    }
}

fn assess(release_early: bool) -> Command {
    Command::AssessEmbargoBreak {
        release_early,
        reason: "the patch is visible but not yet explained".into(),
        release_at: None,
    }
}

/// A case that notified distributors on day 5 with an embargo ending on day 18.
fn notified() -> World {
    let mut w = World::private();
    w.ready_to_release();
    w.at("5d");
    w.notify_distributors("18d");
    w
}

#[test]
fn an_embargo_break_is_reported_with_what_leaked_to_whom_and_when() {
    let mut w = notified();
    w.at("8d");
    w.check(
        w.person(DAVE),
        report_break("9d"),
        expect![["BreakCannotBeInFuture: an embargo break cannot be dated in the future"]],
    );
    w.check(
        w.person(DAVE),
        Command::ReportEmbargoBreak {
            what: "".into(),
            to_whom: "x".into(),
            when: day0_plus("7d"),
        },
        expect![["invalid what: must not be empty"]],
    );
    w.check(
        Actor::Reporter,
        report_break("7d"),
        expect![[
            "denied: only the Product Security Team, the Fix Lead, the Fix Team or a distributor notified of this case may report an embargo break"
        ]],
    );
    // Anyone on the case may report it.
    w.ok(w.person(DAVE), report_break("7d"));
    let b = &w.case.embargo_breaks[0];
    assert_eq!(
        (w.rel(b.reported_at), w.rel(b.when)),
        ("+8d".to_string(), "+7d".to_string())
    );
    assert_eq!(b.assessment, None);
    // "You must urgently inform": the case is urgent, and assessing the
    // break is due at once, first of all; the other due times wait for the
    // PST's decision.
    assert!(w.case.urgent());
    let (first, due) = w.case.next_due().unwrap();
    assert_eq!(
        (first, w.rel(due.at), due.asap),
        (Milestone::EmbargoBreakAssessed, "+8d".to_string(), true)
    );
    expect![[r#"
        embargo_break_assessed due      +8d ASAP
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +0m
        fix_team_formed        done     +0m
        cvss_scored            done     +0m
        fix_ready              done     +0m
        notice_published       due      +7d
        distributors_notified  done     +5d
        distributors_final_notice n/a
        released               due      +21d
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    // The PST and the Fix Lead are told at once: team mail, what leaked to
    // whom and when, never the report.
    expect![[r#"
        == embargo_break to Pst (send, encrypt if key)
        Subject: [PSIRT-2026-0001] URGENT: embargo break reported
        An embargo break was reported on PSIRT-2026-0001 (coredns).

        What leaked: the patch and the CVE description
        To whom: a public mirror of a distributor's build repository
        When: 2026-03-09 09:00 UTC

        The case is urgent until the PST assesses the break: whether to release earlier than planned (assess_embargo_break, with release_early and the new public date, or release_early: false and why not).

        == embargo_break to user alice (send, encrypt if key)
        Subject: [PSIRT-2026-0001] URGENT: embargo break reported
        An embargo break was reported on PSIRT-2026-0001 (coredns).

        What leaked: the patch and the CVE description
        To whom: a public mirror of a distributor's build repository
        When: 2026-03-09 09:00 UTC

        The case is urgent until the PST assesses the break: whether to release earlier than planned (assess_embargo_break, with release_early and the new public date, or release_early: false and why not).

    "#]].assert_eq(&crate::mail::show(&w.mails()));
    // While it is unassessed, the reminder job says so (once).
    let reminders = psirt_core::reminders(&w.case, w.now);
    assert!(
        reminders
            .iter()
            .any(|m| m.body.contains("overdue:\n- Embargo break assessed")),
        "{reminders:?}"
    );
}

#[test]
fn assessing_needs_a_reported_break() {
    let mut w = notified();
    w.check(
        w.person(ALICE),
        assess(true),
        expect![["NoBreakToAssess: there is no reported embargo break waiting for an assessment"]],
    );
    w.ok(w.person(DAVE), report_break("5d"));
    w.check(
        w.person(DAVE),
        assess(true),
        expect![["denied: only the Product Security Team may assess an embargo break"]],
    );
    w.ok(w.person(ALICE), assess(false));
    // Each break is assessed once.
    w.check(
        w.person(ALICE),
        assess(true),
        expect![["NoBreakToAssess: there is no reported embargo break waiting for an assessment"]],
    );
}

#[test]
fn keeping_the_plan_after_an_embargo_break_changes_no_due_time() {
    let mut w = notified();
    w.at("8d");
    w.ok(w.person(DAVE), report_break("7d"));
    let before = w.case.milestones();
    w.ok(w.person(ALICE), assess(false));
    let after = w.case.milestones();
    // Only the assessment itself is done; no other due time moves.
    assert_eq!(after[1..], before[1..]);
    assert_eq!(
        w.case.milestone(Milestone::EmbargoBreakAssessed).status,
        psirt_core::MilestoneStatus::Done {
            at: day0_plus("8d")
        }
    );
    assert!(!w.case.urgent());
    assert!(
        w.mails().is_empty(),
        "the distributors keep their date: nothing to tell"
    );
    w.check(
        w.lead(),
        release_for(w.now),
        expect![["ReleaseEmbargoed: the embargo holds until 2026-03-20T09:00:00Z; publishing earlier needs an embargo-break assessment to release early"]],
    );
}

#[test]
fn releasing_early_after_an_embargo_break_pulls_every_due_time_to_the_assessment() {
    let mut w = notified();
    w.at("8d");
    w.ok(w.person(DAVE), report_break("7d"));
    w.at("9d");
    // "When in doubt push forward and go public ASAP."
    w.ok(w.person(BOB), assess(true));
    assert!(w.case.urgent());
    expect![[r#"
        embargo_break_assessed done     +9d
        acknowledged           done     +0m
        first_response         n/a
        fix_lead_assigned      done     +0m
        fix_team_formed        done     +0m
        cvss_scored            done     +0m
        fix_ready              done     +0m
        notice_published       due      +9d ASAP
        distributors_notified  done     +5d
        distributors_final_notice n/a
        released               due      +9d ASAP
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    // The distributors' embargo ended on day 18; it now ends at once, and
    // every notified distributor is told (encrypted only).
    assert_eq!(w.case.embargo_end(), Some(day0_plus("9d")));
    assert_eq!(
        w.case.embargo_moved,
        Some((day0_plus("18d"), day0_plus("9d")))
    );
    expect![[r#"
        == embargo_update to NotifiedDistributors (send, encrypted only)
        Subject: [PSIRT-2026-0001] Embargo moved: now ends 2026-03-11 09:00 UTC
        EMBARGOED until 2026-03-11 09:00 UTC — do not share outside your organisation's security team.

        The embargo on PSIRT-2026-0001 (coredns) now ends EARLIER: the fix becomes public at 2026-03-11 09:00 UTC (that is Wednesday 11 March 2026, 09:00 UTC), not at 2026-03-20 09:00 UTC as the pre-notification said.

        The coredns Product Security Team moved the date after an embargo break. Prepare your own release for the new moment; until then, the embargo holds.

    "#]].assert_eq(&crate::mail::show(&w.mails()));
    w.at("9d");
    w.release();
    assert_eq!(w.rel(w.case.release().unwrap().at), "+9d");
}

#[test]
fn an_upstream_embargo_sets_the_release_due_time() {
    let mut w = World::private();
    w.ready_to_release();
    w.at("1d");
    w.check(
        w.person(DAVE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("30d"),
        },
        expect![[
            "denied: only the Product Security Team or the Fix Lead may set an upstream embargo"
        ]],
    );
    w.check(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("1d"),
        },
        expect![["EmbargoMustEndInFuture: the embargo must end in the future"]],
    );
    // Later than the policy's 21 days: the upstream date wins.
    w.ok(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("30d"),
        },
    );
    let due = |w: &World| w.rel(w.case.milestone(Milestone::Released).due().unwrap().at);
    assert_eq!(due(&w), "+30d");
    // Earlier than 21 days: the upstream date still wins.
    w.ok(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("10d"),
        },
    );
    assert_eq!(due(&w), "+10d");
    // The other milestones keep the policy's due times.
    expect![[r#"
        notice_published       +7d
        distributors_notified  +14d
        released               +10d
    "#]]
    .assert_eq(&w.dues());
}

#[test]
fn a_release_before_the_upstream_embargo_ends_is_public_at_its_end() {
    let mut w = World::private();
    w.ready_to_release();
    w.ok(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("25d"),
        },
    );
    w.at("21d");
    // The public instant is the agreed one: not earlier, not later, not past.
    w.check(
        w.lead(),
        release_for(day0_plus("22d")),
        expect!["ReleaseEmbargoed: the embargo holds until 2026-03-27T09:00:00Z; publishing earlier needs an embargo-break assessment to release early"],
    );
    w.check(
        w.lead(),
        release_for(day0_plus("26d")),
        expect!["invalid public_at: must not be after the public disclosure date/time that was agreed upon (2026-03-27T09:00:00Z)"],
    );
    w.check(
        w.lead(),
        release_for(day0_plus("20d")),
        expect!["invalid public_at: must not be in the past"],
    );
    // Recorded ahead of the instant, public at the embargo's end.
    w.release();
    assert_eq!(w.case.release().unwrap().at, day0_plus("21d"));
    assert_eq!(psirt_core::public_at(&w.case), Some(day0_plus("25d")));
    w.check(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("30d"),
        },
        expect![["AlreadyReleased: the fix is already released"]],
    );
    // psirt's publication job: not one second early, and once only.
    w.now = day0_plus("25d") - jiff::SignedDuration::from_secs(1);
    w.check(
        Actor::System,
        Command::Publish,
        expect!["NotYetPublic: the case becomes public at 2026-03-27 09:00:00 UTC, not before"],
    );
    w.at("25d");
    w.ok(Actor::System, Command::Publish);
    assert_eq!(
        w.case.release().unwrap().published_at,
        Some(day0_plus("25d"))
    );
    w.check(
        Actor::System,
        Command::Publish,
        expect!["AlreadyPublished: the case is already published"],
    );
}

#[test]
fn the_later_of_the_distributor_and_upstream_embargoes_holds_the_release() {
    let mut w = notified();
    w.ok(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("20d"),
        },
    );
    assert_eq!(w.case.embargo_end(), Some(day0_plus("20d")));
    w.at("19d");
    assert!(w.run(w.lead(), release_for(day0_plus("19d"))).is_err());
    w.release();
    assert_eq!(psirt_core::public_at(&w.case), Some(day0_plus("20d")));
}

#[test]
fn releasing_early_after_our_embargo_break_also_skips_an_upstream_embargo() {
    let mut w = World::private();
    w.ready_to_release();
    w.ok(
        w.person(ALICE),
        Command::SetUpstreamEmbargo {
            upstream: "golang/go".into(),
            until: day0_plus("30d"),
        },
    );
    w.at("3d");
    w.ok(w.person(DAVE), report_break("3d"));
    w.ok(w.person(ALICE), assess(true));
    // NOTE: a leak on our side lets us release before another project's
    // embargo ends; the engine does not tell the two apart (see the report).
    w.check(w.lead(), release_command(), expect![["ok"]]);
}

#[test]
fn releasing_early_at_a_new_date_tells_the_distributors_when() {
    let mut w = notified();
    w.at("8d");
    w.ok(w.person(DAVE), report_break("7d"));
    let at = |release_at: &str| Command::AssessEmbargoBreak {
        release_early: true,
        reason: "the patch is public on a mirror".into(),
        release_at: Some(day0_plus(release_at)),
    };
    w.check(
        w.person(ALICE),
        at("7d"),
        expect![["invalid release_at: must not be in the past"]],
    );
    w.check(
        w.person(ALICE),
        at("18d"),
        expect!["ReleaseEarlyMustBeEarlier: releasing early means before the embargo's end (2026-03-20 09:00 UTC); choose an earlier release_at"],
    );
    w.check(
        w.person(ALICE),
        Command::AssessEmbargoBreak {
            release_early: false,
            reason: "x".into(),
            release_at: Some(day0_plus("10d")),
        },
        expect!["invalid release_at: a new public date goes with release_early: true"],
    );
    w.ok(w.person(ALICE), at("10d"));
    assert_eq!(w.case.embargo_end(), Some(day0_plus("10d")));
    let released = w.case.milestone(Milestone::Released);
    assert_eq!(
        released.due().map(|d| w.rel(d.at)),
        Some("+10d".to_string())
    );
    let mails = w.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].kind, psirt_core::MailKind::EmbargoUpdate);
    assert_eq!(
        mails[0].audience,
        psirt_core::Audience::NotifiedDistributors
    );
    assert_eq!(mails[0].protection, psirt_core::Protection::EncryptOnly);
    assert!(
        mails[0].body.contains("2026-03-12 09:00 UTC"),
        "{}",
        mails[0].body
    );
    assert!(
        mails[0].body.contains("Thursday 12 March 2026"),
        "{}",
        mails[0].body
    );
    assert!(
        mails[0].body.contains("not at 2026-03-20 09:00 UTC"),
        "{}",
        mails[0].body
    );
}
