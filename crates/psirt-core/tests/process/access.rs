//! Who may do what on a case: the access matrix, decided in one place
//! (`authorize`), and the `Denied` messages people see.

use std::fmt::Write as _;

use expect_test::expect;
use psirt_core::{
    About, Actor, Command, Credit, CreditKind, Operation, Standing, authorize, authorize_about,
    authorize_instance, standings,
};

use crate::harness::*;

/// A case led by Alice (PST) with Dave (not PST) on the Fix Team.
fn case_with_team() -> World {
    let mut w = World::private();
    w.form_team();
    w
}

#[test]
fn the_access_matrix() {
    let w = case_with_team();
    let columns: [(&str, Actor); 10] = [
        // Bob is on the PST but has no role on this case.
        ("pst", w.person(BOB)),
        // Alice's Fix Lead standing alone, as if she had left the PST.
        (
            "lead",
            Actor::Person {
                user: ALICE,
                pst: false,
                admin: false,
            },
        ),
        ("team", w.person(DAVE)),
        ("reporter", Actor::Reporter),
        ("system", Actor::System),
        ("outsider", w.person(MALLORY)),
        // An instance administrator on no PST.
        (
            "admin",
            Actor::Person {
                user: MALLORY,
                pst: false,
                admin: true,
            },
        ),
        ("anon", Actor::Anonymous),
        // A current member of the distributors list (accepted the policy,
        // organisation approved, not removed) whose organisation was
        // pre-notified on this case ...
        (
            "notified",
            Actor::Distributor {
                user: ERIN,
                notified: true,
            },
        ),
        // ... and one whose organisation was not. A person who has not
        // accepted the policy, or was removed, or whose organisation is
        // suspended or removed, is no distributor at all: the store makes
        // them a plain person, the "outsider" column.
        (
            "distrib",
            Actor::Distributor {
                user: ERIN,
                notified: false,
            },
        ),
    ];
    let mut table = format!("{:<26}", "");
    for (name, _) in &columns {
        write!(table, " {name:>8}").unwrap();
    }
    table.push('\n');
    for op in Operation::ALL {
        write!(table, "{:<26}", format!("{op:?}")).unwrap();
        for (_, actor) in &columns {
            let allowed = if op.on_case() {
                authorize(actor, op, &w.case)
            } else {
                authorize_instance(actor, op)
            };
            let cell = if allowed.is_ok() { "yes" } else { "-" };
            write!(table, " {cell:>8}").unwrap();
        }
        table.push('\n');
    }
    expect![[r#"
                                        pst     lead     team reporter   system outsider    admin     anon notified  distrib
        SubmitReport                    yes      yes      yes      yes      yes      yes      yes      yes      yes      yes
        ReadPublic                      yes      yes      yes      yes      yes      yes      yes      yes      yes      yes
        SignIn                          yes      yes      yes      yes      yes      yes      yes      yes      yes      yes
        OwnAccount                      yes      yes      yes        -        -      yes      yes        -      yes      yes
        ListCases                       yes      yes      yes        -        -      yes      yes        -      yes      yes
        ViewAgenda                      yes      yes      yes        -        -      yes      yes        -      yes      yes
        ManageAccounts                    -        -        -        -        -        -      yes        -        -        -
        ManageProjects                    -        -        -        -        -        -      yes        -        -        -
        VerifyAudit                       -        -        -        -        -        -      yes        -        -        -
        ReadMetrics                       -        -        -        -        -        -      yes        -        -        -
        ViewCase                        yes      yes      yes        -        -        -        -        -        -        -
        ViewCaseAudit                   yes        -        -        -        -        -        -        -        -        -
        ViewMail                        yes      yes      yes        -        -        -        -        -        -        -
        ReviewMail                      yes      yes        -        -        -        -        -        -        -        -
        ReviewInbound                   yes        -        -        -        -        -        -        -        -        -
        MessageReporter                 yes      yes      yes        -        -        -        -        -        -        -
        ReplyAsReporter                   -        -        -      yes        -        -        -        -        -        -
        ViewReporterStatus              yes      yes      yes      yes        -        -        -        -        -        -
        AssignFixLead                   yes        -        -        -        -        -        -        -        -        -
        ManageFixTeam                     -      yes        -        -        -        -        -        -        -        -
        ProposeCvss                     yes      yes      yes        -        -        -        -        -        -        -
        FinalizeCvss                      -      yes        -        -        -        -        -        -        -        -
        RecordFixWork                   yes      yes      yes        -        -        -        -        -        -        -
        MarkFixReady                      -      yes      yes        -        -        -        -        -        -        -
        ReopenFix                         -      yes        -        -        -        -        -        -        -        -
        PublishNotice                     -      yes        -        -        -        -        -        -        -        -
        NotifyDistributors                -      yes        -        -        -        -        -        -        -        -
        SetUpstreamEmbargo              yes      yes        -        -        -        -        -        -        -        -
        MarkPubliclyDisclosed           yes      yes      yes        -      yes        -        -        -        -        -
        NegotiatePrivateHandling        yes        -        -        -        -        -        -        -        -        -
        SlowDown                        yes      yes      yes        -        -        -        -        -        -        -
        ReportEmbargoBreak              yes      yes      yes        -        -        -        -        -      yes        -
        AssessEmbargoBreak              yes        -        -        -        -        -        -        -        -        -
        RecordCve                         -      yes        -        -        -        -        -        -        -        -
        DraftAnnouncement               yes      yes      yes        -        -        -        -        -        -        -
        Release                           -      yes        -        -        -        -        -        -        -        -
        RecordCredit                    yes      yes      yes      yes        -        -        -        -        -        -
        RecordAdvisory                  yes      yes        -        -      yes        -        -        -        -        -
        Close                           yes      yes        -        -        -        -        -        -        -        -
        ViewPreNotification             yes      yes      yes        -        -        -        -        -      yes        -
        ViewDistributorFeedback         yes      yes      yes        -        -        -        -        -        -        -
        RecordDistributorFeedback         -        -        -        -        -        -        -        -      yes        -
        AnswerHelpRequest                 -        -        -        -        -        -        -        -      yes        -
        AskDistributorsForHelp          yes      yes        -        -        -        -        -        -        -        -
        ApplyAsDistributor              yes      yes      yes      yes      yes      yes      yes      yes      yes      yes
        AcceptEmbargoPolicy             yes      yes      yes        -        -      yes      yes        -      yes      yes
        VouchForDistributor               -        -        -        -        -        -        -        -        -        -
        ManageDistributorTeam             -        -        -        -        -        -        -        -      yes      yes
        ListNotifiedCases                 -        -        -        -        -        -        -        -      yes      yes
        ManageDistributors              yes        -        -        -        -        -        -        -        -        -
        RemoveDistributorPerson         yes        -        -        -        -        -        -        -      yes      yes
        ViewDraftPreNotification        yes      yes      yes        -        -        -        -        -        -        -
        ViewDistributorOrg              yes        -        -        -        -        -        -        -        -        -
        PutKey                            -        -        -        -      yes        -      yes        -        -        -
        ReadFixRepository               yes      yes      yes        -      yes        -        -        -        -        -
        RecordServiceResult               -        -        -        -      yes        -        -        -        -        -
        LapseEmbargoAcceptance            -        -        -        -      yes        -        -        -        -        -
        Triage                          yes      yes        -        -        -        -        -        -        -        -
        CloseUnanswered                   -        -        -        -      yes        -        -        -        -        -
        ManageReplyTemplates            yes        -        -        -        -        -        -        -        -        -
    "#]]
    .assert_eq(&table);
    // Standings add up: the usual Fix Lead is also on the PST.
    assert_eq!(
        format!("{:?}", standings(&w.person(ALICE), Some(&w.case))),
        "[Anyone, Person, Pst, FixLead, FixTeam]"
    );
}

#[test]
fn the_fix_lead_alone_decides_the_fix_leads_steps() {
    let mut w = case_with_team();
    for (command, expected) in [
        (
            Command::FinalizeCvss {
                vector: vector(CRITICAL),
            },
            expect![["denied: only the Fix Lead may make the CVSS vector final"]],
        ),
        (
            Command::FormFixTeam {
                members: vec![DAVE, ERIN],
            },
            expect![["denied: only the Fix Lead may form or change the Fix Team"]],
        ),
        (
            Command::PublishNotice {
                estimated_release: day0_plus("14d"),
                mitigation: "Disable the plugin.".into(),
                link: None,
            },
            expect![["denied: only the Fix Lead may publish the forthcoming-fix notice"]],
        ),
        (
            release_command(),
            expect![["denied: only the Fix Lead may release the fix"]],
        ),
        (
            Command::RecordCve {
                cve: cve("CVE-2026-12345"),
            },
            expect![["denied: only the Fix Lead may record the CVE"]],
        ),
        (
            Command::NotifyDistributors {
                patches: vec!["p".into()],
                affected_versions: None,
                fixed_versions: None,
            },
            expect![[
                "denied: only the Fix Lead may decide on and send the distributor pre-notification"
            ]],
        ),
    ] {
        // Neither a PST member who is not the lead nor a Fix Team member.
        let bob = outcome(w.try_run(w.person(BOB), command.clone()));
        let dave = outcome(w.try_run(w.person(DAVE), command));
        assert_eq!(bob, dave);
        expected.assert_eq(&bob);
    }
}

#[test]
fn a_fix_team_member_has_no_standing_on_another_case() {
    let mut a = case_with_team();
    a.ok(
        a.person(DAVE),
        Command::ProposeCvss {
            vector: vector(CRITICAL),
        },
    );
    let mut b = World::open_at(private_report(), Default::default(), 2, day0());
    b.assign(BOB);
    b.check(
        b.person(DAVE),
        Command::ProposeCvss { vector: vector(CRITICAL) },
        expect![["denied: only the Product Security Team, the Fix Lead or the Fix Team may propose a CVSS vector"]],
    );
    // Nor does leading case A make Alice the lead of case B.
    b.check(
        Actor::Person {
            user: ALICE,
            pst: false,
            admin: false,
        },
        Command::FinalizeCvss {
            vector: vector(CRITICAL),
        },
        expect![["denied: only the Fix Lead may make the CVSS vector final"]],
    );
    assert!(authorize(&b.person(DAVE), Operation::ViewCase, &b.case).is_err());
}

#[test]
fn the_reporter_only_follows_the_status_and_records_credit() {
    let mut w = case_with_team();
    assert!(authorize(&Actor::Reporter, Operation::ViewReporterStatus, &w.case).is_ok());
    assert_eq!(
        authorize(&Actor::Reporter, Operation::ViewCase, &w.case)
            .unwrap_err()
            .to_string(),
        "only the Product Security Team, the Fix Lead or the Fix Team may view the case"
    );
    w.check(
        Actor::Reporter,
        Command::ProposeCvss { vector: vector(CRITICAL) },
        expect![["denied: only the Product Security Team, the Fix Lead or the Fix Team may propose a CVSS vector"]],
    );
    w.check(
        Actor::Reporter,
        Command::MarkPubliclyDisclosed { link: None },
        expect![["denied: only the Product Security Team, the Fix Lead, the Fix Team or psirt itself may mark the case publicly disclosed"]],
    );
    w.check(
        Actor::Reporter,
        Command::RecordCredit(Credit {
            name: None,
            kind: CreditKind::Reporter,
        }),
        expect![["ok"]],
    );
    assert_eq!(
        w.events.last().unwrap().actor,
        psirt_core::ActorRef::Reporter
    );
}

#[test]
fn pst_only_operations() {
    // A Fix Team member and psirt itself are refused; the PST may.
    fn check(mut w: World, command: Command, expected: expect_test::Expect) {
        let dave = outcome(w.try_run(w.person(DAVE), command.clone()));
        let system = outcome(w.try_run(Actor::System, command.clone()));
        assert_eq!(dave, system);
        expected.assert_eq(&dave);
        w.ok(w.person(BOB), command);
    }
    check(
        case_with_team(),
        Command::AssignFixLead {
            lead: Some(BOB),
            override_reason: Some("handover".into()),
        },
        expect![["denied: only the Product Security Team may assign the Fix Lead"]],
    );
    let mut w = case_with_team();
    w.ok(
        w.person(DAVE),
        Command::ReportEmbargoBreak {
            what: "patch".into(),
            to_whom: "a blog".into(),
            when: day0(),
        },
    );
    check(
        w,
        Command::AssessEmbargoBreak {
            release_early: true,
            reason: "leak".into(),
            release_at: None,
        },
        expect![["denied: only the Product Security Team may assess an embargo break"]],
    );
    check(
        World::public(),
        Command::RequestPrivateHandling,
        expect![[
            "denied: only the Product Security Team may ask the reporter for private handling"
        ]],
    );
}

#[test]
fn an_outsider_learns_only_who_may_act() {
    let mut w = case_with_team();
    let message = w.refused(
        w.person(MALLORY),
        Command::ProposeCvss {
            vector: vector(CRITICAL),
        },
    );
    assert!(!message.contains(&w.case.summary));
    assert!(!message.contains("REPRODUCER"));
    // An instance admin is nobody on a case unless the PST roster says so.
    assert_eq!(
        standings(&w.person(MALLORY), Some(&w.case)),
        [Standing::Anyone, Standing::Person]
    );
    let admin = Actor::Person {
        user: MALLORY,
        pst: false,
        admin: true,
    };
    assert!(authorize(&admin, Operation::ViewCase, &w.case).is_err());
}

#[test]
fn a_distributor_sees_the_notice_of_a_notified_case_and_nothing_else() {
    let w = case_with_team();
    let notified = Actor::Distributor {
        user: ERIN,
        notified: true,
    };
    let other = Actor::Distributor {
        user: ERIN,
        notified: false,
    };
    // The notice, and nothing of the case: not its details, timeline,
    // mail or audit trail.
    assert!(authorize(&notified, Operation::ViewPreNotification, &w.case).is_ok());
    for op in [
        Operation::ViewCase,
        Operation::ViewMail,
        Operation::ViewCaseAudit,
        Operation::ViewReporterStatus,
        Operation::ViewDistributorFeedback,
    ] {
        assert!(authorize(&notified, op, &w.case).is_err(), "{op:?}");
    }
    // A case their organisation was not notified of is closed to them.
    let refused: Vec<String> = [
        Operation::ViewPreNotification,
        Operation::RecordDistributorFeedback,
        Operation::ReportEmbargoBreak,
    ]
    .into_iter()
    .map(|op| authorize(&other, op, &w.case).unwrap_err().to_string())
    .collect();
    expect![[r#"
        [
            "only the Product Security Team, the Fix Lead, the Fix Team or a distributor notified of this case may read the distributor pre-notification",
            "only a distributor notified of this case may record review and test results",
            "only the Product Security Team, the Fix Lead, the Fix Team or a distributor notified of this case may report an embargo break",
        ]
    "#]]
    .assert_debug_eq(&refused);
    // Being notified of a case grants nothing without the case: the
    // standing is relative to it.
    assert_eq!(
        format!("{:?}", standings(&notified, None)),
        "[Anyone, Person, Distributor]"
    );
    assert_eq!(
        format!("{:?}", standings(&notified, Some(&w.case))),
        "[Anyone, Person, Distributor, NotifiedDistributor]"
    );
    // A distributor runs the PST's list operations no more than anyone.
    assert!(authorize_instance(&notified, Operation::ManageDistributors).is_err());
}

/// The operations whose decision needs a fact about the thing asked about
/// (whose key, whose application), asked with and without each fact: the
/// fact alone grants nothing to one who lacks the standing under it.
#[test]
fn decisions_about_a_key_or_an_application() {
    let w = case_with_team();
    let member = Actor::Distributor {
        user: ERIN,
        notified: false,
    };
    let actors: [(&str, Actor); 6] = [
        ("person", w.person(MALLORY)),
        ("pst", w.person(BOB)),
        (
            "admin",
            Actor::Person {
                user: MALLORY,
                pst: false,
                admin: true,
            },
        ),
        ("member", member),
        ("system", Actor::System),
        ("anon", Actor::Anonymous),
    ];
    let facts: [(&str, About); 4] = [
        ("none", About::default()),
        (
            "own",
            About {
                own_address: true,
                ..About::default()
            },
        ),
        (
            "voucher",
            About {
                named_voucher: true,
                ..About::default()
            },
        ),
        (
            "person",
            About {
                org_person: true,
                ..About::default()
            },
        ),
    ];
    let mut table = String::new();
    for op in [
        Operation::PutKey,
        Operation::VouchForDistributor,
        Operation::ViewDistributorOrg,
    ] {
        for (fact, about) in facts {
            write!(table, "{:<20} {fact:<8}", format!("{op:?}")).unwrap();
            for (name, actor) in &actors {
                let cell = match authorize_about(actor, op, about) {
                    Ok(()) => name.to_string(),
                    Err(_) => "-".into(),
                };
                write!(table, " {cell:>7}").unwrap();
            }
            table.push('\n');
        }
    }
    expect![[r#"
        PutKey               none           -       -   admin       -  system       -
        PutKey               own       person     pst   admin  member  system       -
        PutKey               voucher        -       -   admin       -  system       -
        PutKey               person         -       -   admin       -  system       -
        VouchForDistributor  none           -       -       -       -       -       -
        VouchForDistributor  own            -       -       -       -       -       -
        VouchForDistributor  voucher        -       -       -  member       -       -
        VouchForDistributor  person         -       -       -       -       -       -
        ViewDistributorOrg   none           -     pst       -       -       -       -
        ViewDistributorOrg   own            -     pst       -       -       -       -
        ViewDistributorOrg   voucher        -     pst       -  member       -       -
        ViewDistributorOrg   person    person     pst   admin  member       -       -
    "#]]
    .assert_eq(&table);
    expect![[
        "only the member of the list the application names as voucher may vouch for an applicant"
    ]]
    .assert_eq(
        &authorize_instance(&member, Operation::VouchForDistributor)
            .unwrap_err()
            .to_string(),
    );
    // The draft pre-notification is the team's, never a distributor's,
    // notified or not.
    let notified = Actor::Distributor {
        user: ERIN,
        notified: true,
    };
    assert!(authorize(&notified, Operation::ViewDraftPreNotification, &w.case).is_err());
    assert!(
        authorize(
            &w.person(DAVE),
            Operation::ViewDraftPreNotification,
            &w.case
        )
        .is_ok()
    );
}
