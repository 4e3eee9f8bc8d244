//! "The role of Fix Lead should rotate round-robin across the PST", at the
//! level of cases: the project keeps the roster, `decide` assigns the
//! rotation's pick (`next_fix_lead`) when the PST names nobody, and anyone
//! else is an override that needs a reason the timeline keeps.

use expect_test::expect;
use psirt_core::{Change, Command, Policy, RosterEntry, UserId, next_fix_lead};

use crate::harness::*;

/// A project: its PST roster and the cases it opened, one a day.
struct Project {
    roster: Vec<RosterEntry>,
    cases: Vec<World>,
    turn: u64,
}

impl Project {
    fn new() -> Project {
        Project {
            roster: fresh_roster(),
            cases: Vec::new(),
            turn: 0,
        }
    }

    /// Opens the next case and gives it a Fix Lead: the rotation's pick, or
    /// `overridden` with a reason. The case sees the project's roster, and
    /// either way the lead's turn is counted (by the harness, as the store
    /// does). A refused assignment leaves the case out.
    fn open_case(&mut self, overridden: Option<(UserId, &str)>) -> Result<UserId, String> {
        let number = self.cases.len() as u32 + 1;
        let at = day0() + jiff::SignedDuration::from_hours(24 * i64::from(number));
        let mut w = World::open_at(private_report(), Policy::default(), number, at);
        w.pst = self.roster.clone();
        w.turn = self.turn;
        let (lead, override_reason) = match overridden {
            Some((lead, reason)) => (Some(lead), Some(reason.to_string())),
            None => (None, None),
        };
        w.run(
            w.person(ALICE),
            Command::AssignFixLead {
                lead,
                override_reason,
            },
        )?;
        self.roster = w.pst.clone();
        self.turn = w.turn;
        let lead = w.case.fix_lead().unwrap();
        self.cases.push(w);
        Ok(lead)
    }

    fn set_available(&mut self, user: UserId, available: bool) {
        self.roster
            .iter_mut()
            .find(|e| e.user == user)
            .unwrap()
            .available = available;
    }

    /// Who led each case, as initials.
    fn leads(&self) -> String {
        self.cases
            .iter()
            .map(|w| initial(w.case.fix_lead().unwrap()))
            .collect()
    }
}

fn initial(user: UserId) -> char {
    match user {
        ALICE => 'a',
        BOB => 'b',
        CAROL => 'c',
        _ => '?',
    }
}

#[test]
fn the_fix_lead_rotates_round_robin_across_the_pst() {
    let mut p = Project::new();
    for _ in 0..9 {
        p.open_case(None).unwrap();
    }
    assert_eq!(p.leads(), "abcabcabc");
    for member in PST {
        let led = p
            .cases
            .iter()
            .filter(|w| w.case.fix_lead() == Some(member))
            .count();
        assert_eq!(led, 3, "{member}");
    }
    // Every assignment is on the timeline as the rotation's choice.
    for w in &p.cases {
        let Change::FixLeadAssigned {
            override_reason, ..
        } = &w.events[2].change
        else {
            panic!("the third event assigns the Fix Lead");
        };
        assert_eq!(override_reason, &None);
    }
}

#[test]
fn an_unavailable_member_is_skipped_and_leads_first_on_return() {
    let mut p = Project::new();
    p.set_available(ALICE, false);
    p.open_case(None).unwrap();
    p.open_case(None).unwrap();
    p.set_available(ALICE, true);
    for _ in 0..4 {
        p.open_case(None).unwrap();
    }
    assert_eq!(p.leads(), "bcabca");
    for member in PST {
        p.set_available(member, false);
    }
    expect![["no PST member is available for the Fix Lead rotation; choose one, with a reason"]]
        .assert_eq(&p.open_case(None).unwrap_err());
    // Then the PST chooses someone, with a reason.
    p.open_case(Some((
        BOB,
        "Everyone is away; Bob answers from his holiday.",
    )))
    .unwrap();
    assert_eq!(p.leads(), "bcabcab");
    assert_eq!(p.turn, 7);
}

#[test]
fn an_override_needs_a_reason_is_recorded_and_counts_as_a_turn() {
    let mut p = Project::new();
    for _ in 0..3 {
        p.open_case(None).unwrap();
    }
    // It is Alice's turn, but the bug is in Carol's area.
    assert_eq!(next_fix_lead(&p.roster), Some(ALICE));
    let refused = p.open_case(Some((CAROL, "   ")));
    assert_eq!(
        refused,
        Err("a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason".into())
    );
    p.open_case(Some((CAROL, "Carol wrote the DNSSEC code this is about.")))
        .unwrap();
    let w = p.cases.last().unwrap();
    expect![[r#"
        FixLeadAssigned {
            lead: UserId(
                3,
            ),
            override_reason: Some(
                "Carol wrote the DNSSEC code this is about.",
            ),
        }"#]]
    .assert_eq(&format!("{:#?}", w.events.last().unwrap().change));
    // Carol's override was her turn: the rotation goes on with Alice and Bob.
    p.open_case(None).unwrap();
    p.open_case(None).unwrap();
    p.open_case(None).unwrap();
    assert_eq!(p.leads(), "abccabc");
}

#[test]
fn an_override_without_a_reason_is_refused() {
    let mut w = World::private();
    assert_eq!(next_fix_lead(&w.pst), Some(ALICE));
    // The rotation says Alice: Carol without a reason is not the rotation's
    // choice, and the refusal takes no turn.
    w.check(
        w.person(ALICE),
        Command::AssignFixLead { lead: Some(CAROL), override_reason: None },
        expect![["FixLeadOverrideNeedsReason: a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason"]],
    );
    assert_eq!(w.turn, 0);
    assert_eq!(w.pst, fresh_roster());
}

/// The first assignment of the rotation's pick, whether the PST names her or
/// not, is recorded as the rotation's choice: a reason given anyway is
/// dropped, so the timeline never shows an override that was none.
#[test]
fn naming_the_rotations_pick_is_no_override() {
    fn assigned(lead: Option<UserId>, override_reason: Option<&str>) -> String {
        let mut w = World::private();
        w.ok(
            w.person(BOB),
            Command::AssignFixLead {
                lead,
                override_reason: override_reason.map(Into::into),
            },
        );
        let Change::FixLeadAssigned {
            lead,
            override_reason,
        } = &w.events.last().unwrap().change
        else {
            panic!("the last event assigns the Fix Lead");
        };
        format!("{} {override_reason:?}", name(*lead))
    }
    expect![["alice None"]].assert_eq(&assigned(None, None));
    expect![["alice None"]].assert_eq(&assigned(Some(ALICE), None));
    expect![["alice None"]].assert_eq(&assigned(Some(ALICE), Some("She knows the cache.")));
    expect![["alice None"]].assert_eq(&assigned(None, Some("She knows the cache.")));
    // A blank reason is refused even when none was needed.
    let mut w = World::private();
    w.check(
        w.person(BOB),
        Command::AssignFixLead { lead: None, override_reason: Some("  ".into()) },
        expect![["FixLeadOverrideNeedsReason: a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason"]],
    );
}

#[test]
fn the_rotation_skips_the_unavailable_within_one_case() {
    let mut w = World::private();
    w.pst[0].available = false;
    w.ok(
        w.person(ALICE),
        Command::AssignFixLead {
            lead: None,
            override_reason: None,
        },
    );
    assert_eq!(w.case.fix_lead(), Some(BOB));
    // Bob took the project's first turn.
    expect![[r#"
        [
            RosterEntry {
                user: UserId(
                    1,
                ),
                available: false,
                last_turn: None,
            },
            RosterEntry {
                user: UserId(
                    2,
                ),
                available: true,
                last_turn: Some(
                    1,
                ),
            },
            RosterEntry {
                user: UserId(
                    3,
                ),
                available: true,
                last_turn: None,
            },
        ]
    "#]]
    .assert_debug_eq(&w.pst);
}

#[test]
fn reassigning_the_fix_lead_needs_a_reason() {
    let mut w = World::private();
    w.assign(BOB);
    w.ok(
        w.lead(),
        Command::FormFixTeam {
            members: vec![DAVE],
        },
    );
    w.at("2d");
    w.check(
        w.person(ALICE),
        Command::AssignFixLead { lead: Some(CAROL), override_reason: None },
        expect![["FixLeadOverrideNeedsReason: a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason"]],
    );
    // Handing the case to the rotation's next pick is a change of lead too.
    assert_eq!(next_fix_lead(&w.pst), Some(ALICE));
    w.check(
        w.person(ALICE),
        Command::AssignFixLead { lead: None, override_reason: None },
        expect![["FixLeadOverrideNeedsReason: a Fix Lead chosen outside the round-robin (or a change of Fix Lead) needs a recorded reason"]],
    );
    w.ok(
        w.person(ALICE),
        Command::AssignFixLead {
            lead: Some(CAROL),
            override_reason: Some("Bob is ill for two weeks.".into()),
        },
    );
    assert_eq!(w.case.fix_lead(), Some(CAROL));
    // The milestone was met when the first lead was assigned.
    assert_eq!(w.rel(w.case.fix_lead_assigned_at().unwrap()), "+0m");
    // The new lead runs the case; the old one stays on the Fix Team.
    w.check(
        w.lead(),
        Command::FinalizeCvss {
            vector: vector(CRITICAL),
        },
        expect![["ok"]],
    );
    w.check(
        w.person(BOB),
        Command::FinalizeCvss {
            vector: vector(CRITICAL),
        },
        expect![["denied: only the Fix Lead may make the CVSS vector final"]],
    );
    assert!(w.case.on_fix_team(BOB));
}
