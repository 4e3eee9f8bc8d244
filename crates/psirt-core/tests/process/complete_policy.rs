//! The policy made complete: business days and holidays, response-time
//! targets by severity, the Kubernetes preset (a week of distributor
//! notice, a final notice a day before, announcements at 16:00 UTC but
//! never on a Friday, a retrospective, stale pings, a triage rotation),
//! and access that ends with the case. One test per rule of
//! `PolicyRule`.

use std::fmt::Write as _;

use expect_test::expect;
use psirt_core::{
    Actor, AnnouncementSlot, Command, DistributorDecision, MailKind, Milestone, Operation, Policy,
    Review, Severity, Targets, authorize, authorize_summary, kubernetes, preset, reminders,
    summary,
};

use crate::harness::*;

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// A Kubernetes case reported at `when`.
fn k8s_at(when: &str) -> World {
    World::open_at(private_report(), kubernetes(), 1, at(when))
}

fn decide_distributors(end: Option<jiff::Timestamp>, off_slot: Option<&str>) -> Command {
    Command::DecideDistributors(DistributorDecision {
        notify: true,
        rationale: "remotely exploitable".into(),
        embargo_end: end,
        long_embargo_reason: None,
        off_slot_reason: off_slot.map(Into::into),
    })
}

fn send_pre_notification(w: &mut World) {
    w.ok(
        w.lead(),
        Command::NotifyDistributors {
            patches: vec!["From abc1234 Mon Sep 17 00:00:00 2001\n...".into()],
            affected_versions: None,
            fixed_versions: None,
        },
    );
}

#[test]
fn presets_are_named_and_kubernetes_is_valid() {
    assert_eq!(preset("seed"), Some(Policy::default()));
    assert_eq!(preset("kubernetes"), Some(kubernetes()));
    assert_eq!(preset("k8s-ish"), None);
    assert_eq!(kubernetes().validate(), Ok(()));
}

#[test]
fn a_report_on_friday_afternoon_is_answered_within_one_business_day_on_monday() {
    // Friday 4 December 2026, 15:00 UTC.
    let w = k8s_at("2026-12-04T15:00:00Z");
    // psirt acknowledges at intake; the first answer from a person is
    // due within the business day, on Monday.
    let due = |m| w.case.milestone(m).due().unwrap().at.to_string();
    assert_eq!(due(Milestone::FirstResponse), "2026-12-07T15:00:00Z");
    // The Fix Team is still due in exact hours.
    assert_eq!(due(Milestone::FixLeadAssigned), "2026-12-05T15:00:00Z");
    // A holiday on Monday moves it to Tuesday.
    let mut policy = kubernetes();
    policy
        .calendar
        .holidays
        .insert("2026-12-07".parse().unwrap());
    let w = World::open_at(private_report(), policy, 1, at("2026-12-04T15:00:00Z"));
    assert_eq!(
        w.case
            .milestone(Milestone::FirstResponse)
            .due()
            .unwrap()
            .at
            .to_string(),
        "2026-12-08T15:00:00Z"
    );
}

#[test]
fn the_first_response_is_a_person_writing_to_the_reporter() {
    let mut w = k8s_at("2026-12-01T09:00:00Z");
    assert!(w.case.milestone(Milestone::FirstResponse).due().is_some());
    w.ok(
        w.person(BOB),
        Command::MessageReporter {
            text: "Thanks, we are looking into it.".into(),
        },
    );
    assert_eq!(
        format!("{:?}", w.case.milestone(Milestone::FirstResponse).status),
        "Done { at: 2026-12-01T09:00:00Z }"
    );
    // The seed's policy has no such milestone.
    let w = World::private();
    assert_eq!(
        format!("{:?}", w.case.milestone(Milestone::FirstResponse).status),
        "NotApplicable"
    );
}

#[test]
fn response_targets_follow_the_severity_and_the_agenda_shows_what_is_missed() {
    let mut policy = Policy::default();
    policy.response_targets.insert(
        Severity::Critical,
        Targets {
            triage: Some(duration("2d")),
            fix: Some(duration("3d")),
            release: Some(duration("7d")),
            ..Targets::default()
        },
    );
    let mut w = World::open(private_report(), policy);
    w.form_team();
    // Without a severity, the general due times.
    expect![[r#"
        triaged                 due      +1d
        fix_lead_assigned       done     +0m
        cvss_scored             due      +7d
        fix_ready               due      +7d
        released                due      +21d
    "#]]
    .assert_eq(&pick(&w));
    // A critical proposal already sets the targets; the final vector
    // keeps them.
    w.ok(
        w.person(DAVE),
        Command::ProposeCvss {
            vector: vector(CRITICAL),
        },
    );
    expect![[r#"
        triaged                 due      +2d (critical target)
        fix_lead_assigned       done     +0m
        cvss_scored             due      +7d
        fix_ready               due      +3d (critical target)
        released                due      +7d (critical target)
    "#]]
    .assert_eq(&pick(&w));
    // Four days on: triage (the triage decision, not the CVSS score) and
    // fix miss their targets.
    let agenda = psirt_core::agenda([&w.case], day0_plus("4d"));
    let missed: Vec<&str> = agenda.cases[0]
        .missed_targets
        .iter()
        .map(|(m, _)| m.as_str())
        .collect();
    assert_eq!(missed, ["triaged", "fix_ready"]);
    // Reminders follow the targets: the overdue one names them.
    let mails = reminders(&w.case, day0_plus("4d"));
    assert!(
        mails[0].subject.ends_with("2 milestones are overdue"),
        "{}",
        mails[0].subject
    );
}

fn pick(w: &World) -> String {
    let mut out = String::new();
    for s in w.case.milestones() {
        if !matches!(
            s.milestone,
            Milestone::FixLeadAssigned
                | Milestone::Triaged
                | Milestone::CvssScored
                | Milestone::FixReady
                | Milestone::Released
        ) {
            continue;
        }
        let line = match (s.due(), &s.status) {
            (Some(d), _) => format!(
                "due      {}{}",
                w.rel(d.at),
                d.target
                    .map(|t| format!(" ({} target)", t.as_str()))
                    .unwrap_or_default()
            ),
            (None, psirt_core::MilestoneStatus::Done { at }) => format!("done     {}", w.rel(*at)),
            (None, other) => format!("{other:?}"),
        };
        writeln!(out, "{:<23} {line}", s.milestone.as_str()).unwrap();
    }
    out
}

/// Tuesday 1 December 2026, 09:00 UTC: a Kubernetes case ready to be
/// pre-notified.
fn k8s_ready() -> World {
    let mut w = k8s_at("2026-12-01T09:00:00Z");
    w.ready_to_release();
    // The Fix Lead decides on Friday 4 December.
    w.advance("3d");
    w
}

#[test]
fn a_distributor_notice_shorter_than_seven_days_is_refused_naming_the_rule() {
    let mut w = k8s_ready();
    // Monday 7 December, 16:00: six days and seven hours away.
    w.check(
        w.lead(),
        decide_distributors(Some(at("2026-12-07T16:00:00Z")), None),
        expect![["EmbargoTooShort: the embargo must last at least 7d from the notice (the policy's distributor notice window, min_embargo)"]],
    );
}

#[test]
fn the_suggested_announcement_is_16_utc_and_a_friday_moves_to_monday() {
    let mut w = k8s_ready();
    // The release is due +21d: Tuesday 22 December, 09:00; the suggestion
    // is that afternoon.
    assert_eq!(
        w.case.suggested_announcement(w.now).unwrap().to_string(),
        "2026-12-22T16:00:00Z"
    );
    // A case reported on Friday 13 November is due on Friday 4 December:
    // the suggestion is Monday 7 December, 16:00.
    let f = k8s_at("2026-11-13T09:00:00Z");
    assert_eq!(
        f.case.suggested_announcement(f.now).unwrap().to_string(),
        "2026-12-07T16:00:00Z"
    );
    // A Friday embargo end is refused without a reason, with the
    // suggestion; with a reason it stands.
    w.check(
        w.lead(),
        decide_distributors(Some(at("2026-12-18T16:00:00Z")), None),
        expect![["Policy: the policy's announcement time (announce_at) suggests Monday 2026-12-21 16:00 UTC; another instant needs a recorded reason (off_slot_reason)"]],
    );
    w.ok(
        w.lead(),
        decide_distributors(
            Some(at("2026-12-18T16:00:00Z")),
            Some("Aligned with the Go release."),
        ),
    );
    assert_eq!(
        w.case
            .distributors
            .as_ref()
            .unwrap()
            .off_slot_reason
            .as_deref(),
        Some("Aligned with the Go release.")
    );
    // Without an embargo end, the suggestion is the default.
    let mut w = k8s_ready();
    w.ok(w.lead(), decide_distributors(None, None));
    assert_eq!(
        w.case
            .distributors
            .as_ref()
            .unwrap()
            .embargo_end
            .unwrap()
            .to_string(),
        "2026-12-22T16:00:00Z"
    );
}

#[test]
fn the_final_notice_is_drafted_a_day_ahead_and_due_24_hours_before_release() {
    let mut w = k8s_ready();
    w.ok(w.lead(), decide_distributors(None, None));
    assert_eq!(
        format!(
            "{:?}",
            w.case.milestone(Milestone::DistributorsFinalNotice).status
        ),
        "Pending { due: None }"
    );
    send_pre_notification(&mut w);
    let due = w
        .case
        .milestone(Milestone::DistributorsFinalNotice)
        .due()
        .unwrap();
    assert_eq!(due.at.to_string(), "2026-12-21T16:00:00Z");
    let drafts = |case: &psirt_core::Case, t: &str| -> Vec<psirt_core::Mail> {
        reminders(case, at(t))
            .into_iter()
            .filter(|m| m.kind == MailKind::FinalDistributorNotice)
            .collect()
    };
    assert!(drafts(&w.case, "2026-12-20T15:59:00Z").is_empty());
    let draft = drafts(&w.case, "2026-12-20T16:00:00Z");
    assert_eq!(draft.len(), 1);
    assert_eq!(draft[0].review, Review::Draft);
    assert_eq!(
        draft[0].audience,
        psirt_core::Audience::NotifiedDistributors
    );
    assert!(
        draft[0]
            .body
            .contains("the fix becomes public at 2026-12-22 16:00 UTC")
    );
    assert_eq!(
        draft[0].once,
        drafts(&w.case, "2026-12-21T10:00:00Z")[0].once
    );
    // Approving it (the store runs this) is the milestone.
    w.now = at("2026-12-21T10:00:00Z");
    w.ok(w.lead(), Command::RecordFinalDistributorNotice);
    assert_eq!(
        format!(
            "{:?}",
            w.case.milestone(Milestone::DistributorsFinalNotice).status
        ),
        "Done { at: 2026-12-21T10:00:00Z }"
    );
    assert!(drafts(&w.case, "2026-12-21T11:00:00Z").is_empty());
    w.check(
        w.lead(),
        Command::RecordFinalDistributorNotice,
        expect![["Policy: the final notice to distributors was already sent"]],
    );
}

#[test]
fn the_final_notice_rules() {
    let mut seed = World::private();
    seed.ready_to_release();
    seed.check(
        seed.lead(),
        Command::RecordFinalDistributorNotice,
        expect![["Policy: this case's policy has no final notice to distributors (distributor_final_notice_before)"]],
    );
    let mut w = k8s_ready();
    w.check(
        w.lead(),
        Command::RecordFinalDistributorNotice,
        expect![["Policy: the final notice follows the pre-notification, which was not sent"]],
    );
    w.check(
        w.person(DAVE),
        Command::RecordFinalDistributorNotice,
        expect!["denied: only the Product Security Team or the Fix Lead may review the case's draft mail"],
    );
}

#[test]
fn the_retrospective_is_due_within_three_days_of_the_release_and_stale_cases_are_pinged() {
    let mut w = k8s_ready();
    w.release();
    let due = w.case.milestone(Milestone::Retrospective).due().unwrap();
    let released = w.case.release().unwrap().at;
    assert_eq!(relative(released, due.at), "+3d");
    // Stale pings, by severity: a critical case quiet for two days.
    let mut w = k8s_at("2026-12-01T09:00:00Z");
    w.form_team();
    w.finalize_cvss(CRITICAL);
    let pings = |w: &World, t: &str| -> Vec<String> {
        reminders(&w.case, at(t))
            .into_iter()
            .filter(|m| m.once.as_deref().is_some_and(|o| o.starts_with("stale:")))
            .map(|m| m.subject)
            .collect()
    };
    assert!(pings(&w, "2026-12-03T08:59:00Z").is_empty());
    assert_eq!(
        pings(&w, "2026-12-03T09:00:00Z"),
        ["[PSIRT-2026-0001] No activity for 2d"]
    );
    // A medium case waits a month; a case without a severity is not pinged.
    let mut m = k8s_at("2026-12-01T09:00:00Z");
    m.form_team();
    m.finalize_cvss("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N");
    assert!(pings(&m, "2026-12-30T09:00:00Z").is_empty());
    assert_eq!(pings(&m, "2026-12-31T09:00:00Z").len(), 1);
    let quiet = k8s_at("2026-12-01T09:00:00Z");
    assert!(pings(&quiet, "2027-06-01T09:00:00Z").is_empty());
}

#[test]
fn a_low_severity_case_slows_down_for_the_holidays_of_its_calendar() {
    let mut policy = Policy::default();
    policy.calendar.holidays = ["2026-03-10", "2026-03-11", "2026-05-01"]
        .iter()
        .map(|d| d.parse().unwrap())
        .collect();
    let mut w = World::open(private_report(), policy.clone());
    w.form_team();
    w.finalize_cvss(LOW);
    let slow = || Command::SlowDownForHolidays {
        reason: "Two holidays before the release.".into(),
        discussion: "https://lists.example.org/security/42".into(),
    };
    w.ok(w.lead(), slow());
    // Two holidays before the release (+21d): two days later.
    assert_eq!(
        w.rel(w.case.milestone(Milestone::Released).due().unwrap().at),
        "+23d"
    );
    // Without holidays ahead it is refused.
    let mut none = World::open(private_report(), Policy::default());
    none.form_team();
    none.finalize_cvss(LOW);
    none.check(
        none.lead(),
        slow(),
        expect![["Policy: the project's calendar has no holiday before the release is due; slow down by an extension instead"]],
    );
    // And it is the seed's slow-down: only for low severity.
    let mut high = World::open(private_report(), policy);
    high.form_team();
    high.finalize_cvss(CRITICAL);
    high.check(high.lead(), slow(), expect!["SlowDownNeedsLowSeverity: only a low-severity case (CVSS base score below 4.0) may be slowed down; this one scores 9.8"]);
}

#[test]
fn the_triage_rotation_is_weekly_and_apart_from_the_fix_lead_rotation() {
    let roster = fresh_roster();
    let this = psirt_core::triage_on_call(&roster, at("2026-12-07T09:00:00Z")).unwrap();
    let next = psirt_core::triage_on_call(&roster, at("2026-12-14T09:00:00Z")).unwrap();
    assert_eq!(this.week_of.to_string(), "2026-12-07");
    assert_ne!(this.user, next.user);
    // Taking Fix Lead turns does not move the triage week.
    let mut turned = roster.clone();
    psirt_core::take_turn(&mut turned, 0, this.user);
    assert_eq!(
        psirt_core::triage_on_call(&turned, at("2026-12-07T09:00:00Z")),
        Some(this)
    );
}

/// Access that ends with the case, before and after: the Fix Team member
/// who is not on the PST (Dave), the PST member on the Fix Team (Alice),
/// and a notified distributor (Erin), under the Kubernetes policy.
#[test]
fn access_that_ends_with_the_case_before_and_after_the_release() {
    let mut w = k8s_ready();
    w.ok(w.lead(), decide_distributors(None, None));
    send_pre_notification(&mut w);
    let before = w.case.clone();
    w.now = at("2026-12-22T16:00:00Z");
    w.release();
    let names: Vec<&str> = w.events[w.last..].iter().map(|e| e.change.name()).collect();
    assert_eq!(names, ["released", "fix_team_access_ended"]);
    let notified = Actor::Distributor {
        user: ERIN,
        notified: true,
    };
    // The distributors' portal access ends at publication, not at the
    // release: psirt's publication job records both at the public instant.
    assert!(authorize(&notified, Operation::ViewPreNotification, &w.case).is_ok());
    w.ok(Actor::System, psirt_core::Command::Publish);
    let names: Vec<&str> = w.events[w.last..].iter().map(|e| e.change.name()).collect();
    assert_eq!(names, ["published", "distributor_access_ended"]);
    let after = w.case.clone();
    let columns = [
        ("team", w.person(DAVE)),
        ("lead+pst", w.person(ALICE)),
        ("notified", notified),
    ];
    let mut table = format!("{:<26}", "");
    for (name, _) in &columns {
        write!(table, " {:>9} {:>9}", format!("{name}"), "after").unwrap();
    }
    table.push('\n');
    for op in [
        Operation::ViewCase,
        Operation::ViewMail,
        Operation::MessageReporter,
        Operation::ViewDistributorFeedback,
        Operation::RecordCredit,
        Operation::ViewPreNotification,
        Operation::RecordDistributorFeedback,
        Operation::ReportEmbargoBreak,
    ] {
        write!(table, "{:<26}", format!("{op:?}")).unwrap();
        for (_, actor) in &columns {
            for case in [&before, &after] {
                let cell = if authorize(actor, op, case).is_ok() {
                    "yes"
                } else {
                    "-"
                };
                write!(table, " {cell:>9}").unwrap();
            }
        }
        table.push('\n');
    }
    expect![[r#"
                                        team     after  lead+pst     after  notified     after
        ViewCase                         yes         -       yes       yes         -         -
        ViewMail                         yes         -       yes       yes         -         -
        MessageReporter                  yes         -       yes       yes         -         -
        ViewDistributorFeedback          yes         -       yes       yes         -         -
        RecordCredit                     yes         -       yes       yes         -         -
        ViewPreNotification              yes         -       yes       yes       yes         -
        RecordDistributorFeedback          -         -         -         -       yes         -
        ReportEmbargoBreak               yes         -       yes       yes       yes         -
    "#]]
    .assert_eq(&table);
    // Listings decide the same on the summary.
    let s = summary(&after);
    assert!(authorize_summary(&w.person(DAVE), Operation::ViewCase, &s).is_err());
    assert!(authorize_summary(&w.person(ALICE), Operation::ViewCase, &s).is_ok());
    // Dave is still named on the Fix Team; only his access ended.
    assert!(after.fix_team.contains(&DAVE));
}

#[test]
fn a_policy_may_end_the_fix_teams_access_at_the_close_instead() {
    let mut policy = Policy {
        fix_team_access_ends: Some(psirt_core::AccessEnds::Close),
        ..Policy::default()
    };
    policy.announce_at = None;
    let mut w = World::open(private_report(), policy);
    w.ready_to_release();
    w.release_and_wrap_up();
    assert!(authorize(&w.person(DAVE), Operation::ViewCase, &w.case).is_ok());
    w.ok(w.lead(), Command::Close);
    let names: Vec<&str> = w.events[w.last..].iter().map(|e| e.change.name()).collect();
    assert_eq!(names, ["closed", "fix_team_access_ended"]);
    assert!(authorize(&w.person(DAVE), Operation::ViewCase, &w.case).is_err());
    // The seed's policy keeps the Fix Team's access.
    let mut seed = World::private();
    seed.ready_to_release();
    seed.release();
    assert!(authorize(&seed.person(DAVE), Operation::ViewCase, &seed.case).is_ok());
}

#[test]
fn an_announcement_slot_of_a_policy_is_read_and_checked() {
    let policy: Policy = serde_json::from_value(serde_json::json!({
        "announce_at": {"time": "16:00", "weekdays": ["monday", "tuesday"]},
        "business_days": ["acknowledged"],
        "calendar": {"weekend": ["friday", "saturday"], "holidays": ["2026-12-25"]},
        "response_targets": {"critical": {"release": "7d"}},
        "stale_after": {"high": "7d"},
    }))
    .unwrap();
    assert_eq!(
        policy.announce_at.as_ref().unwrap().time.to_string(),
        "16:00:00"
    );
    assert_eq!(policy.validate(), Ok(()));
    let bad = Policy {
        announce_at: Some(AnnouncementSlot {
            weekdays: Default::default(),
            ..AnnouncementSlot::kubernetes()
        }),
        ..Policy::default()
    };
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "policy announce_at: names no weekday"
    );
    let mut late = Policy::default();
    late.response_targets.insert(
        Severity::High,
        Targets {
            fix: Some(duration("30d")),
            ..Targets::default()
        },
    );
    assert_eq!(
        late.validate().unwrap_err().to_string(),
        "policy response_targets: high.fix (30d) is later than its release target (21d)"
    ); // Distributors re-accept the embargo policy yearly by default; a
    // period of nothing is refused, none (JSON null) never lapses.
    assert_eq!(
        Policy::default().embargo_acceptance_valid_for,
        Some(duration("365d"))
    );
    let never = Policy {
        embargo_acceptance_valid_for: Some(duration("0d")),
        ..Policy::default()
    };
    assert_eq!(
        never.validate().unwrap_err().to_string(),
        "policy embargo_acceptance_valid_for: must be longer than 0m"
    );
    let off: Policy =
        serde_json::from_value(serde_json::json!({"embargo_acceptance_valid_for": null})).unwrap();
    assert_eq!(off.embargo_acceptance_valid_for, None);
    assert_eq!(off.validate(), Ok(()));
}
