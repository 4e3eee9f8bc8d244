//! "What is due next": the agenda of every open case at one instant, most
//! pressing first (urgent cases, then the earliest due time), with what is
//! overdue, what is due soon and what is next.

use std::fmt::Write as _;

use expect_test::expect;
use jiff::Timestamp;
use psirt_core::{Agenda, Command, DistributorDecision, NewReport, Policy, agenda};

use crate::harness::*;

fn report(summary: &str, public: bool) -> NewReport {
    let base = if public {
        public_report()
    } else {
        private_report()
    };
    NewReport {
        summary: summary.into(),
        ..base
    }
}

fn render(agenda: &Agenda) -> String {
    let when = |t: Timestamp| relative(agenda.at, t);
    let list = |items: &[(psirt_core::Milestone, psirt_core::Due)]| {
        items
            .iter()
            .map(|(m, d)| format!("{} {}", m.as_str(), when(d.at)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    for e in &agenda.cases {
        let urgent = if e.urgent { " URGENT" } else { "" };
        writeln!(out, "{}{urgent} {}", e.reference, e.summary).unwrap();
        if !e.overdue.is_empty() {
            writeln!(out, "  overdue:  {}", list(&e.overdue)).unwrap();
        }
        if !e.due_soon.is_empty() {
            writeln!(out, "  due soon: {}", list(&e.due_soon)).unwrap();
        }
        match e.next {
            Some(next) => writeln!(out, "  next:     {}", list(&[next])).unwrap(),
            None => writeln!(out, "  nothing due").unwrap(),
        }
    }
    out
}

#[test]
fn the_agenda_puts_the_most_pressing_case_first() {
    // A week-old private case whose team has not scored, fixed or announced.
    let mut stalled = World::open_at(
        report("Stalled: panic in the forward plugin", false),
        Policy::default(),
        1,
        day0(),
    );
    stalled.form_team();

    // A public disclosure that reached the team yesterday evening.
    let public = World::open_at(
        report("Public: zero-day posted on a blog", true),
        Policy::default(),
        2,
        day0_plus("180h"),
    );

    // A private report from yesterday afternoon: its Fix Lead is due today.
    let fresh = World::open_at(
        report("Fresh: amplification via ANY queries", false),
        Policy::default(),
        3,
        day0_plus("186h"),
    );

    // A closed case is on no agenda.
    let mut closed = World::open_at(
        report("Closed: old bug", false),
        Policy::default(),
        4,
        day0() - jiff::SignedDuration::from_hours(24 * 40),
    );
    closed.ready_to_release();
    closed.release_and_wrap_up();
    closed.ok(closed.lead(), Command::Close);

    // Released, announced, distributors skipped: it owes nothing with a due time.
    let mut released = World::open_at(
        report("Released: awaiting credit", false),
        Policy::default(),
        5,
        day0() - jiff::SignedDuration::from_hours(24 * 20),
    );
    released.ready_to_release();
    released.ok(
        released.lead(),
        Command::DecideDistributors(DistributorDecision {
            notify: false,
            rationale: "Local-only issue.".into(),
            embargo_end: None,
            long_embargo_reason: None,
            off_slot_reason: None,
        }),
    );
    released.ok(
        released.lead(),
        Command::PublishNotice {
            estimated_release: released.now + jiff::SignedDuration::from_hours(1),
            mitigation: "None needed.".into(),
            link: None,
        },
    );
    released.release();

    let worlds = [&released, &fresh, &closed, &public, &stalled];
    let now = day0_plus("8d");
    let got = agenda(worlds.iter().map(|w| &w.case), now);
    // The public case is urgent, so it comes first although the stalled
    // one has been overdue for longer; then the earliest due time.
    expect![[r#"
        PSIRT-2026-0002 URGENT Public: zero-day posted on a blog
          overdue:  fix_lead_assigned -12h, fix_team_formed -12h, cvss_scored -12h, fix_ready -12h, notice_published -12h, distributors_notified -12h, released -12h
          nothing due
        PSIRT-2026-0001 Stalled: panic in the forward plugin
          overdue:  cvss_scored -1d, fix_ready -1d, notice_published -1d
          next:     distributors_notified +6d
        PSIRT-2026-0003 Fresh: amplification via ANY queries
          due soon: fix_lead_assigned +18h, fix_team_formed +18h
          next:     fix_lead_assigned +18h
        PSIRT-2026-0005 Released: awaiting credit
          nothing due
    "#]]
    .assert_eq(&render(&got));
    assert_eq!(got.at, now);
}

#[test]
fn a_due_time_exactly_now_is_due_soon_not_overdue() {
    let w = World::public();
    let got = agenda([&w.case], w.now);
    expect![[r#"
        PSIRT-2026-0001 URGENT Cache poisoning through crafted CNAME chains
          due soon: fix_lead_assigned +0m, fix_team_formed +0m, cvss_scored +0m, fix_ready +0m, notice_published +0m, distributors_notified +0m, released +0m
          next:     fix_lead_assigned +0m
    "#]]
    .assert_eq(&render(&got));
    let a_minute_later = agenda([&w.case], w.now + jiff::SignedDuration::from_mins(1));
    assert_eq!(a_minute_later.cases[0].overdue.len(), 7);
    assert_eq!(a_minute_later.cases[0].next, None);
}

#[test]
fn a_released_case_owes_nothing_that_should_have_come_before_the_release() {
    let mut w = World::private();
    w.ready_to_release();
    w.release();
    // Notifying distributors is optional and the release does not need the
    // decision (nor the notice): once released, neither is overdue, though
    // both stay pending on the milestone table.
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
        released               done     +0m
        retrospective          n/a
        closed                 pending
    "#]]
    .assert_eq(&w.milestones());
    let got = agenda([&w.case], day0_plus("15d"));
    expect![[r#"
        PSIRT-2026-0001 Cache poisoning through crafted CNAME chains
          nothing due
    "#]]
    .assert_eq(&render(&got));
}

#[test]
fn a_released_public_case_still_sorts_first_as_urgent() {
    // A public disclosure, fixed and released: nothing more is due on it.
    let mut public = World::open_at(
        report("Public: released, awaiting credit", true),
        Policy::default(),
        1,
        day0(),
    );
    public.ready_to_release();
    public.release();
    // A private case whose team has not scored, fixed or announced.
    let mut stalled = World::open_at(
        report("Stalled: panic in the forward plugin", false),
        Policy::default(),
        2,
        day0(),
    );
    stalled.form_team();
    let got = agenda([&stalled.case, &public.case], day0_plus("8d"));
    // Urgency ends with the release: a released public case that owes
    // nothing with a due time sorts after one that is overdue.
    expect![[r#"
        PSIRT-2026-0002 Stalled: panic in the forward plugin
          overdue:  cvss_scored -1d, fix_ready -1d, notice_published -1d
          next:     distributors_notified +6d
        PSIRT-2026-0001 Public: released, awaiting credit
          nothing due
    "#]]
    .assert_eq(&render(&got));
}
