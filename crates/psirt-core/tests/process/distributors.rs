//! The private distributors list, read as the seed: an organisation applies
//! (criteria answered one by one, individuals named, a member vouching), the
//! named voucher confirms or declines, each person accepts the embargo
//! policy themself, the PST approves, suspends, reinstates or removes, and
//! members manage their own team. Each case is one command on one
//! organisation, with the changes or the refusal as the user reads it.

use expect_test::{Expect, expect};
use psirt_core::distributors::{
    MAX_PEOPLE, MAX_TEXT, Org, OrgCommand, OrgPerson, OrgState, ProposedPerson, check_application,
    check_founding, check_individual, check_leak_blame, check_voucher, decide_org,
};
use psirt_core::{Actor, EmailAddress, Refusal, Text, UserId};

use crate::harness::*;

/// Ann and Sam of Distro; Erin (of another organisation) vouches.
const ANN: UserId = UserId::new(10);
const SAM: UserId = UserId::new(11);

fn email(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

fn org(state: OrgState, ann_accepted: bool) -> Org {
    Org {
        name: "Distro".into(),
        state,
        voucher: Some(ERIN),
        people: vec![
            OrgPerson {
                user: ANN,
                email: email("ann@distro.example"),
                accepted: ann_accepted,
                removed: false,
            },
            OrgPerson {
                user: SAM,
                email: email("sam@distro.example"),
                accepted: false,
                removed: false,
            },
        ],
    }
}

fn member(user: UserId) -> Actor {
    Actor::Distributor {
        user,
        notified: false,
    }
}

fn pst() -> Actor {
    Actor::Person {
        user: BOB,
        pst: true,
        admin: false,
    }
}

fn person(user: UserId) -> Actor {
    Actor::Person {
        user,
        pst: false,
        admin: false,
    }
}

fn shown(result: Result<impl std::fmt::Debug, Refusal>) -> String {
    match result {
        Ok(changes) => format!("{changes:?}"),
        Err(Refusal::Denied(d)) => format!("denied: {d}"),
        Err(Refusal::Rule(r)) => format!("refused: {r}"),
        Err(r @ Refusal::Invalid { .. }) => format!("invalid {r}"),
    }
}

fn check(org: &Org, actor: Actor, command: OrgCommand, expected: Expect) {
    expected.assert_eq(&shown(decide_org(org, &actor, command)));
}

fn reason(s: &str) -> Text {
    Text::new("reason", s, MAX_TEXT).unwrap()
}

#[test]
fn only_the_named_voucher_may_vouch_and_only_for_a_new_application() {
    let applied = org(OrgState::Applied, false);
    check(
        &applied,
        member(ERIN),
        OrgCommand::Vouch {
            reason: Some(reason("I know them")),
        },
        expect![[r#"[Moved { to: Vouched, kind: "vouched", reason: None, note: "I know them" }]"#]],
    );
    // Another member of the list is not the one the application names.
    check(
        &applied,
        member(CAROL),
        OrgCommand::Vouch { reason: None },
        expect![[
            "denied: only the member of the list the application names as voucher may vouch for an applicant"
        ]],
    );
    // Named, but no longer a current member (suspended, removed): a person.
    check(
        &applied,
        person(ERIN),
        OrgCommand::Vouch { reason: None },
        expect![[
            "denied: only the member of the list the application names as voucher may vouch for an applicant"
        ]],
    );
    check(
        &org(OrgState::Vouched, false),
        member(ERIN),
        OrgCommand::Decline {
            reason: reason("changed my mind"),
        },
        expect!["refused: Distro is vouched; vouching is only for a new application"],
    );
    // A reason is a checked text before it is a command.
    expect!["invalid reason: must not be empty"]
        .assert_eq(&shown(Text::new("reason", " ", MAX_TEXT)));
    check(
        &applied,
        member(ERIN),
        OrgCommand::Decline {
            reason: reason("Not a distributor"),
        },
        expect![[
            r#"[Moved { to: Declined, kind: "declined", reason: Some("Not a distributor"), note: "Not a distributor" }]"#
        ]],
    );
}

#[test]
fn each_person_accepts_the_embargo_policy_themself_once() {
    let vouched = org(OrgState::Vouched, false);
    check(
        &vouched,
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect!["[PolicyAccepted { user: UserId(10) }]"],
    );
    check(
        &org(OrgState::Vouched, true),
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect!["refused: ann@distro.example's acceptance of the embargo policy already exists"],
    );
    check(
        &vouched,
        person(MALLORY),
        OrgCommand::AcceptPolicy,
        expect!["refused: you are not among the people of Distro"],
    );
    check(
        &org(OrgState::Rejected, false),
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect!["refused: Distro is rejected; there is nothing to accept"],
    );
    check(
        &vouched,
        Actor::Anonymous,
        OrgCommand::AcceptPolicy,
        expect!["denied: only a signed-in person may accept the embargo policy"],
    );
}

/// "They must agree to the same terms": an acceptance holds for the
/// policy's period (a year by default); psirt ends it once that ran out,
/// and the person accepts again through the usual command.
#[test]
fn an_acceptance_lapses_only_once_its_period_ran_out_and_only_by_psirt() {
    let approved = org(OrgState::Approved, true);
    let accepted_at: jiff::Timestamp = "2026-01-05T10:00:00Z".parse().unwrap();
    let lapse = |now: &str| OrgCommand::LapseAcceptance {
        user: ANN,
        accepted_at,
        valid_for: "365d".parse().unwrap(),
        now: now.parse().unwrap(),
    };
    check(
        &approved,
        Actor::System,
        lapse("2027-01-05T09:59:59Z"),
        expect![
            "refused: ann@distro.example's acceptance of the embargo policy holds until 2027-01-05T10:00:00Z"
        ],
    );
    check(
        &approved,
        Actor::System,
        lapse("2027-01-05T10:00:00Z"),
        expect![[
            r#"[AcceptanceLapsed { user: UserId(10) }, PendingDiscarded { person: Some(UserId(10)), reason: "acceptance of the embargo policy lapsed" }]"#
        ]],
    );
    // Nobody but psirt ends someone's acceptance: not the PST, not the
    // person's own organisation.
    for actor in [pst(), member(SAM), person(ANN)] {
        check(
            &approved,
            actor,
            lapse("2027-06-01T00:00:00Z"),
            expect![
                "denied: only psirt itself may end an acceptance of the embargo policy that ran out"
            ],
        );
    }
    // Sam never accepted: there is nothing to end.
    check(
        &approved,
        Actor::System,
        OrgCommand::LapseAcceptance {
            user: SAM,
            accepted_at,
            valid_for: "365d".parse().unwrap(),
            now: "2027-06-01T00:00:00Z".parse().unwrap(),
        },
        expect!["refused: you are not among the people of Distro"],
    );
    // Folded: Ann is one of the people still, and has accepted nothing;
    // she accepts again.
    let changes = decide_org(&approved, &Actor::System, lapse("2027-01-05T10:00:00Z")).unwrap();
    let mut events = vec![psirt_core::distributors::OrgChange::Founded {
        name: "Distro".into(),
    }];
    events.push(psirt_core::distributors::OrgChange::PersonAdded {
        user: ANN,
        email: email("ann@distro.example"),
    });
    events.push(psirt_core::distributors::OrgChange::PolicyAccepted { user: ANN });
    events.extend(changes);
    let folded = Org::fold(&events).unwrap();
    let ann = folded.current_person(ANN).unwrap();
    assert!(!ann.accepted);
    check(
        &folded,
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect!["[PolicyAccepted { user: UserId(10) }]"],
    );
}

#[test]
fn the_pst_decides_from_the_states_each_step_follows() {
    check(
        &org(OrgState::Applied, true),
        pst(),
        OrgCommand::Approve,
        expect!["refused: Distro is applied; to be approved it must be vouched"],
    );
    check(
        &org(OrgState::Vouched, false),
        pst(),
        OrgCommand::Approve,
        expect![
            "refused: Distro is approved only once someone of it has accepted the embargo policy"
        ],
    );
    check(
        &org(OrgState::Vouched, true),
        pst(),
        OrgCommand::Approve,
        expect![[r#"[Moved { to: Approved, kind: "approved", reason: None, note: "" }]"#]],
    );
    check(
        &org(OrgState::Vouched, true),
        member(ERIN),
        OrgCommand::Approve,
        expect!["denied: only the Product Security Team may manage the distributors list"],
    );
    check(
        &org(OrgState::Approved, true),
        pst(),
        OrgCommand::Reject {
            reason: reason("late"),
        },
        expect![
            "refused: Distro is approved; to be rejected it must be applied or vouched or declined"
        ],
    );
    // Suspension discards the pending copies; removal also ends every
    // current person's access.
    check(
        &org(OrgState::Approved, true),
        pst(),
        OrgCommand::Suspend {
            reason: reason("leak"),
        },
        expect![[
            r#"[Moved { to: Suspended, kind: "suspended", reason: Some("leak"), note: "leak" }, PendingDiscarded { person: None, reason: "organisation suspended" }]"#
        ]],
    );
    check(
        &org(OrgState::Suspended, true),
        pst(),
        OrgCommand::Reinstate {
            reason: reason("fixed"),
        },
        expect![[
            r#"[Moved { to: Approved, kind: "reinstated", reason: Some("fixed"), note: "fixed" }]"#
        ]],
    );
    check(
        &org(OrgState::Suspended, true),
        pst(),
        OrgCommand::Remove {
            reason: reason("second leak"),
        },
        expect![[
            r#"[Moved { to: Removed, kind: "removed", reason: Some("second leak"), note: "second leak" }, PendingDiscarded { person: None, reason: "organisation removed" }, AccessEnded { user: UserId(10) }, AccessEnded { user: UserId(11) }]"#
        ]],
    );
}

#[test]
fn free_text_is_trimmed_bounded_and_free_of_control_characters() {
    let mut out = String::new();
    for value in [
        "  Two leaks this year.  ",
        "",
        " \t\n ",
        "line one\nline two\tand a tab",
        "a browser's\r\nnewline",
        "a lone \r carriage return",
        "an escape \u{1b}[31m",
        "a NUL \0 byte",
        "0123456789012345678901234567890",
    ] {
        out.push_str(&format!(
            "{value:?}: {}\n",
            shown(Text::new("reason", value, 30))
        ));
    }
    expect![[r#"
        "  Two leaks this year.  ": "Two leaks this year."
        "": invalid reason: must not be empty
        " \t\n ": invalid reason: must not be empty
        "line one\nline two\tand a tab": "line one\nline two\tand a tab"
        "a browser's\r\nnewline": "a browser's\r\nnewline"
        "a lone \r carriage return": invalid reason: must not contain the control character U+000D
        "an escape \u{1b}[31m": invalid reason: must not contain the control character U+001B
        "a NUL \0 byte": invalid reason: must not contain a NUL character
        "0123456789012345678901234567890": invalid reason: must be at most 30 characters
    "#]]
    .assert_eq(&out);
}

#[test]
fn members_manage_their_own_team() {
    let approved = org(OrgState::Approved, true);
    check(
        &approved,
        member(ANN),
        OrgCommand::AddPerson {
            user: DAVE,
            email: email("dave@distro.example"),
        },
        expect![[
            r#"[PersonAdded { user: UserId(4), email: EmailAddress("dave@distro.example") }]"#
        ]],
    );
    check(
        &approved,
        member(ANN),
        OrgCommand::AddPerson {
            user: SAM,
            email: email("sam@distro.example"),
        },
        expect!["refused: sam@distro.example in this organisation already exists"],
    );
    // The PST removes people too, but does not add them.
    check(
        &approved,
        pst(),
        OrgCommand::AddPerson {
            user: DAVE,
            email: email("dave@distro.example"),
        },
        expect![[
            "denied: only a member of the distributors list who accepted its embargo policy may add or remove people of the organisation"
        ]],
    );
    check(
        &approved,
        pst(),
        OrgCommand::RemovePerson {
            email: email("SAM@distro.example"),
        },
        expect![[
            r#"[PersonRemoved { user: UserId(11) }, PendingDiscarded { person: Some(UserId(11)), reason: "person removed" }, AccessEnded { user: UserId(11) }]"#
        ]],
    );
    check(
        &approved,
        member(ANN),
        OrgCommand::RemovePerson {
            email: email("zoe@distro.example"),
        },
        expect!["refused: zoe@distro.example is not among the people of Distro"],
    );
    check(
        &approved,
        person(MALLORY),
        OrgCommand::RemovePerson {
            email: email("sam@distro.example"),
        },
        expect![[
            "denied: only a member of the distributors list who accepted its embargo policy or the Product Security Team may remove a person from the organisation"
        ]],
    );
}

#[test]
fn a_team_holds_at_most_max_people_current_people() {
    // Full: MAX_PEOPLE current people (Ann, Sam and the rest).
    let mut full = org(OrgState::Approved, true);
    for i in full.people.len()..MAX_PEOPLE {
        full.people.push(OrgPerson {
            user: UserId::new(100 + i as i64),
            email: email(&format!("p{i}@distro.example")),
            accepted: false,
            removed: false,
        });
    }
    let add_dave = || OrgCommand::AddPerson {
        user: DAVE,
        email: email("dave@distro.example"),
    };
    check(
        &full,
        member(ANN),
        add_dave(),
        expect!["invalid people: at most 50 people; remove one first"],
    );
    // A removed person no longer counts.
    full.people.last_mut().unwrap().removed = true;
    check(
        &full,
        member(ANN),
        add_dave(),
        expect![[
            r#"[PersonAdded { user: UserId(4), email: EmailAddress("dave@distro.example") }]"#
        ]],
    );
}

fn proposed<'a>(name: &'a str, address: &'a EmailAddress) -> ProposedPerson<'a> {
    ProposedPerson {
        name,
        email: address,
        key: None,
    }
}

#[test]
fn an_application_answers_each_criterion_and_names_individuals() {
    let ann = email("ann@distro.example");
    let answers: Vec<String> = (1..=7).map(|i| format!("answer {i}")).collect();
    let people = [proposed("Ann", &ann)];
    let check_app = |name: &str, answers: &[String], people: &[ProposedPerson<'_>], e: Expect| {
        e.assert_eq(&shown(
            check_application(name, answers, people).map(|a| (a.organisation, a.people.len())),
        ))
    };
    check_app(
        "  Distro ",
        &answers,
        &people,
        expect![[r#"("Distro", 1)"#]],
    );
    check_app(
        "Distro",
        &answers[..6],
        &people,
        expect!["invalid answers: answer each of the 7 membership criteria, one by one (6 given)"],
    );
    let mut blank = answers.clone();
    blank[3] = " ".into();
    check_app(
        "Distro",
        &blank,
        &people,
        expect!["invalid criterion_4: must not be empty"],
    );
    check_app(
        "Distro",
        &answers,
        &[],
        expect![
            "invalid people: name at least one person: individuals, each with their own address"
        ],
    );
    let twice = [proposed("Ann", &ann), proposed("Ann again", &ann)];
    check_app(
        "Distro",
        &answers,
        &twice,
        expect!["invalid person_email: ann@distro.example is named twice"],
    );
    let many: Vec<EmailAddress> = (0..=MAX_PEOPLE)
        .map(|i| email(&format!("p{i}@distro.example")))
        .collect();
    let many: Vec<ProposedPerson<'_>> = many.iter().map(|e| proposed("P", e)).collect();
    check_app(
        "Distro",
        &answers,
        &many,
        expect!["invalid people: at most 50 people"],
    );
    let erin = email("erin@other.example");
    expect!["invalid voucher: erin@other.example is not a member of another organisation on the coredns distributors list"]
        .assert_eq(&shown(check_voucher("coredns", &erin, false, &people)));
    expect!["()"].assert_eq(&shown(check_voucher("coredns", &erin, true, &people)));
    expect!["invalid voucher: ann@distro.example is not a member of another organisation on the coredns distributors list"]
        .assert_eq(&shown(check_voucher("coredns", &ann, true, &people)));
}

#[test]
fn group_and_role_addresses_are_refused() {
    let mut out = String::new();
    for address in [
        "ann@distro.example",
        "dev.smith@distro.example",
        "security@distro.example",
        "security-team@distro.example",
        "dev-announce@distro.example",
        "psirt+coredns@distro.example",
        "ann@lists.distro.example",
        "ann@googlegroups.com",
        "ann@distro.groups.io",
    ] {
        let verdict = match check_individual("email", &email(address)) {
            Ok(()) => "individual",
            Err(_) => "group",
        };
        out.push_str(&format!("{address:<32} {verdict}\n"));
    }
    expect![[r#"
        ann@distro.example               individual
        dev.smith@distro.example         individual
        security@distro.example          group
        security-team@distro.example     group
        dev-announce@distro.example      group
        psirt+coredns@distro.example     group
        ann@lists.distro.example         group
        ann@googlegroups.com             group
        ann@distro.groups.io             group
    "#]]
    .assert_eq(&out);
}

#[test]
fn founding_members_and_leaks() {
    expect!["()"].assert_eq(&shown(check_founding("Distro", OrgState::Approved)));
    expect!["refused: Distro is suspended; founding members join approved organisations only"]
        .assert_eq(&shown(check_founding("Distro", OrgState::Suspended)));
    // A distributor may say its own organisation leaked, never another.
    expect!["()"].assert_eq(&shown(check_leak_blame(&member(ANN), Some(1), Some(1))));
    expect!["invalid responsible: name your own organisation or none: who else leaked goes in `what`, for the PST to assess"]
        .assert_eq(&shown(check_leak_blame(&member(ANN), Some(2), Some(1))));
    expect!["()"].assert_eq(&shown(check_leak_blame(&pst(), Some(2), None)));
}
