//! An organisation is the fold of its events, as a case is: each step
//! below decides a command on the fold of the events so far, appends what
//! `decide_org` returned, and shows the organisation the events now make.
//! The events' JSON is their storage format, shown once per kind.

use expect_test::{Expect, expect};
use psirt_core::distributors::MAX_TEXT;
use psirt_core::distributors::{
    Org, OrgChange, OrgCommand, decide_org, enrol_founding, open_application,
};
use psirt_core::{Actor, EmailAddress, Text, UserId};

use crate::harness::*;

const ANN: UserId = UserId::new(10);
const SAM: UserId = UserId::new(11);

fn email(s: &str) -> EmailAddress {
    s.parse().unwrap()
}

fn reason(s: &str) -> Text {
    Text::new("reason", s, MAX_TEXT).unwrap()
}

fn member(user: UserId) -> Actor {
    Actor::Distributor {
        user,
        notified: false,
    }
}

fn person(user: UserId) -> Actor {
    Actor::Person {
        user,
        pst: false,
        admin: false,
    }
}

fn pst() -> Actor {
    Actor::Person {
        user: BOB,
        pst: true,
        admin: false,
    }
}

/// One line: the name, state, voucher and people with their standing.
fn summary(org: Option<Org>) -> String {
    let Some(org) = org else {
        return "(no organisation)".into();
    };
    let people: Vec<String> = org
        .people
        .iter()
        .map(|p| {
            let mut s = p.email.to_string();
            if p.accepted {
                s.push_str(" accepted");
            }
            if p.removed {
                s.push_str(" removed");
            }
            s
        })
        .collect();
    format!(
        "{} {} voucher={} people=[{}]",
        org.name,
        org.state.as_str(),
        org.voucher.map_or("none".into(), |v| v.get().to_string()),
        people.join(", ")
    )
}

/// The events of an organisation as a test builds them up.
struct Events(Vec<OrgChange>);

impl Events {
    fn applied() -> Events {
        Events(open_application(
            "Distro",
            ERIN,
            &[
                (ANN, email("ann@distro.example")),
                (SAM, email("sam@distro.example")),
            ],
        ))
    }

    /// Decides `command` on the fold so far; on success appends the
    /// changes. Shows the fold after it, or the refusal.
    fn step(&mut self, actor: Actor, command: OrgCommand, expected: Expect) {
        let org = Org::fold(&self.0).expect("opened");
        let shown = match decide_org(&org, &actor, command) {
            Ok(changes) => {
                self.0.extend(changes);
                summary(Org::fold(&self.0))
            }
            Err(refusal) => format!("refused: {refusal}"),
        };
        expected.assert_eq(&shown);
    }
}

#[test]
fn an_organisation_is_the_fold_of_what_its_commands_returned() {
    let mut events = Events::applied();
    expect!["Distro applied voucher=5 people=[ann@distro.example, sam@distro.example]"]
        .assert_eq(&summary(Org::fold(&events.0)));
    events.step(
        member(ERIN),
        OrgCommand::Vouch { reason: None },
        expect!["Distro vouched voucher=5 people=[ann@distro.example, sam@distro.example]"],
    );
    events.step(
        pst(),
        OrgCommand::Approve,
        expect![
            "refused: Distro is approved only once someone of it has accepted the embargo policy"
        ],
    );
    events.step(
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect![
            "Distro vouched voucher=5 people=[ann@distro.example accepted, sam@distro.example]"
        ],
    );
    // Accepting twice is refused on the fold, as on the rows before.
    events.step(
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect!["refused: ann@distro.example's acceptance of the embargo policy already exists"],
    );
    events.step(
        pst(),
        OrgCommand::Approve,
        expect![
            "Distro approved voucher=5 people=[ann@distro.example accepted, sam@distro.example]"
        ],
    );
    events.step(
        member(ANN),
        OrgCommand::AddPerson {
            user: DAVE,
            email: email("dave@distro.example"),
        },
        expect!["Distro approved voucher=5 people=[ann@distro.example accepted, sam@distro.example, dave@distro.example]"],
    );
    events.step(
        member(ANN),
        OrgCommand::RemovePerson {
            email: email("sam@distro.example"),
        },
        expect!["Distro approved voucher=5 people=[ann@distro.example accepted, sam@distro.example removed, dave@distro.example]"],
    );
    // Sam, added again, keeps his place and must accept again.
    events.step(
        member(ANN),
        OrgCommand::AddPerson {
            user: SAM,
            email: email("sam@distro.example"),
        },
        expect!["Distro approved voucher=5 people=[ann@distro.example accepted, sam@distro.example, dave@distro.example]"],
    );
    events.step(
        pst(),
        OrgCommand::Suspend {
            reason: reason("a leak"),
        },
        expect!["Distro suspended voucher=5 people=[ann@distro.example accepted, sam@distro.example, dave@distro.example]"],
    );
    events.step(
        pst(),
        OrgCommand::Reinstate {
            reason: reason("assessed"),
        },
        expect!["Distro approved voucher=5 people=[ann@distro.example accepted, sam@distro.example, dave@distro.example]"],
    );
    // Removal's consequences (copies discarded, access ended) are events
    // too, and change nothing of the organisation but its state.
    events.step(
        pst(),
        OrgCommand::Remove {
            reason: reason("second leak"),
        },
        expect!["Distro removed voucher=5 people=[ann@distro.example accepted, sam@distro.example, dave@distro.example]"],
    );
    events.step(
        pst(),
        OrgCommand::Reinstate {
            reason: reason("no"),
        },
        expect!["refused: Distro is removed; to be reinstated it must be suspended"],
    );
}

#[test]
fn a_declined_application_stays_declined() {
    let mut events = Events::applied();
    events.step(
        member(ERIN),
        OrgCommand::Decline {
            reason: reason("not a distributor"),
        },
        expect!["Distro declined voucher=5 people=[ann@distro.example, sam@distro.example]"],
    );
    events.step(
        person(ANN),
        OrgCommand::AcceptPolicy,
        expect!["refused: Distro is declined; there is nothing to accept"],
    );
}

#[test]
fn founding_members_open_an_approved_organisation_or_join_one() {
    let ann = email("ann@distro.example");
    let sam = email("sam@distro.example");
    let mut events = enrol_founding(None, "Distro", ANN, &ann).unwrap();
    expect!["Distro approved voucher=none people=[ann@distro.example accepted]"]
        .assert_eq(&summary(Org::fold(&events)));
    let org = Org::fold(&events).unwrap();
    events.extend(enrol_founding(Some(&org), "Distro", SAM, &sam).unwrap());
    expect!["Distro approved voucher=none people=[ann@distro.example accepted, sam@distro.example accepted]"]
        .assert_eq(&summary(Org::fold(&events)));
    let org = Org::fold(&events).unwrap();
    let suspended = decide_org(
        &org,
        &pst(),
        OrgCommand::Suspend {
            reason: reason("leak"),
        },
    )
    .unwrap();
    events.extend(suspended);
    let org = Org::fold(&events).unwrap();
    expect!["Err(Rule(OrgNotInState { organisation: \"Distro\", state: Suspended, need: \"founding members join approved organisations only\" }))"]
        .assert_eq(&format!("{:?}", enrol_founding(Some(&org), "Distro", DAVE, &email("dave@distro.example"))));
}

#[test]
fn nothing_before_the_opening_event_makes_an_organisation() {
    expect!["(no organisation)"].assert_eq(&summary(Org::fold(&[])));
    let stray = [OrgChange::PolicyAccepted { user: ANN }];
    expect!["(no organisation)"].assert_eq(&summary(Org::fold(&stray)));
}

/// The storage format: one line of JSON per kind of event, read back to
/// the same change.
#[test]
fn the_events_json_is_their_storage_format() {
    let mut all = Events::applied().0;
    all.extend(enrol_founding(None, "Founders", DAVE, &email("dave@founders.example")).unwrap());
    let org = Org::fold(&Events::applied().0).unwrap();
    all.extend(
        decide_org(
            &org,
            &member(ERIN),
            OrgCommand::Vouch {
                reason: Some(reason("known")),
            },
        )
        .unwrap(),
    );
    all.extend(
        decide_org(
            &org,
            &pst(),
            OrgCommand::RemovePerson {
                email: email("sam@distro.example"),
            },
        )
        .unwrap(),
    );
    let mut out = String::new();
    for change in &all {
        let json = serde_json::to_string(change).unwrap();
        let back: OrgChange = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, change);
        out.push_str(&json);
        out.push('\n');
    }
    expect![[r#"
        {"type":"applied","name":"Distro","voucher":5}
        {"type":"person_added","user":10,"email":"ann@distro.example"}
        {"type":"person_added","user":11,"email":"sam@distro.example"}
        {"type":"founded","name":"Founders"}
        {"type":"person_added","user":4,"email":"dave@founders.example"}
        {"type":"policy_accepted","user":4}
        {"type":"moved","to":"vouched","kind":"vouched","reason":null,"note":"known"}
        {"type":"person_removed","user":11}
        {"type":"pending_discarded","person":11,"reason":"person removed"}
        {"type":"access_ended","user":11}
    "#]]
    .assert_eq(&out);
}

/// What an organisation does on a case goes through `decide_org_on_case`:
/// only a distributor of an organisation notified on the case sends back
/// results and answers, and a distributor blames only its own
/// organisation for a leak.
#[test]
fn feedback_answers_and_leaks_are_decided_for_the_notified_organisation() {
    use psirt_core::distributors::{FeedbackKind, OrgCaseCommand, Outcome, decide_org_on_case};
    let w = World::private();
    let org = Org::fold(&Events::applied().0).unwrap();
    let notified = Actor::Distributor {
        user: ANN,
        notified: true,
    };
    let show = |org: Option<&Org>, actor: &Actor, command: OrgCaseCommand| match decide_org_on_case(
        org, actor, &w.case, command,
    ) {
        Ok(changes) => format!("{changes:?}"),
        Err(refusal) => format!("refused: {refusal}"),
    };
    let feedback = || OrgCaseCommand::RecordFeedback {
        kind: FeedbackKind::Review,
        outcome: Outcome::NoIssuesFound,
    };
    let mut out = String::new();
    for (who, org, actor, command) in [
        ("notified", Some(&org), notified, feedback()),
        ("not notified", Some(&org), member(ANN), feedback()),
        ("no organisation", None, notified, feedback()),
        ("pst", Some(&org), pst(), feedback()),
        (
            "notified",
            Some(&org),
            notified,
            OrgCaseCommand::AnswerHelp { request: 3 },
        ),
        (
            "own org",
            Some(&org),
            notified,
            OrgCaseCommand::BlameLeak {
                responsible: 1,
                reporter_org: Some(1),
            },
        ),
        (
            "another org",
            Some(&org),
            notified,
            OrgCaseCommand::BlameLeak {
                responsible: 2,
                reporter_org: Some(1),
            },
        ),
        (
            "pst",
            Some(&org),
            w.person(ALICE),
            OrgCaseCommand::BlameLeak {
                responsible: 2,
                reporter_org: None,
            },
        ),
    ] {
        out.push_str(&format!("{who}: {}\n", show(org, &actor, command)));
    }
    expect![[r#"
        notified: [FeedbackRecorded { case: CaseRef { year: 2026, number: 1 }, kind: Review, outcome: NoIssuesFound }]
        not notified: refused: only a distributor notified of this case may record review and test results
        no organisation: refused: you are not among the people of an organisation notified on this case
        pst: refused: only a distributor notified of this case may record review and test results
        notified: [HelpAnswered { case: CaseRef { year: 2026, number: 1 }, request: 3 }]
        own org: [LeakBlamed { case: CaseRef { year: 2026, number: 1 } }]
        another org: refused: responsible: name your own organisation or none: who else leaked goes in `what`, for the PST to assess
        pst: [LeakBlamed { case: CaseRef { year: 2026, number: 1 } }]
    "#]].assert_eq(&out);
}
