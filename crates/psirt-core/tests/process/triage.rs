//! Triage: a report is accepted, closed as not a vulnerability or as a
//! duplicate, moved to a public issue, or waits for more information with
//! its clock stopped. Each decision needs a reason, writes to the
//! reporter, is on the timeline, and leaves the case readable to the team.

use expect_test::expect;
use psirt_core::{
    Actor, CannedReply, CaseRef, Change, Command, DuplicateOf, Milestone, MilestoneStatus,
    Operation, Policy, PublicIssue, Severity, Targets, TriageDecision, TriageOutcome, TriageReason,
    authorize, information_request_expired,
};

use crate::harness::*;

fn triage(outcome: TriageOutcome, reason: TriageReason) -> Command {
    Command::Triage(TriageDecision {
        outcome,
        reason,
        text: "See the threat model in SECURITY.md.".into(),
        template: None,
    })
}

/// The message the reporter was sent by the last command.
fn last_message(w: &World) -> String {
    w.events[w.last..]
        .iter()
        .find_map(|e| match &e.change {
            Change::MessageToReporter { text } => Some(text.clone()),
            _ => None,
        })
        .expect("the reporter is written to")
}

#[test]
fn closing_as_not_a_vulnerability_writes_to_the_reporter_and_keeps_the_case_readable() {
    let mut w = World::private();
    w.advance("3h");
    w.ok(
        w.person(BOB),
        triage(
            TriageOutcome::NotAVulnerability,
            TriageReason::ExpectedBehaviour,
        ),
    );
    assert!(!w.case.is_open());
    let names: Vec<&str> = w.events[w.last..].iter().map(|e| e.change.name()).collect();
    assert_eq!(names, ["triaged", "message_to_reporter"]);
    expect![[r#"
        Thank you for your report PSIRT-2026-0001. After review, the coredns security team does not consider it a vulnerability: the behaviour is expected and documented.

        See the threat model in SECURITY.md.

        The report stays private; the case is closed."#]]
    .assert_eq(&last_message(&w));
    // The reporter is mailed, and the team still reads the case.
    assert_eq!(w.mails().len(), 1);
    assert_eq!(
        authorize(&w.person(BOB), Operation::ViewCase, &w.case),
        Ok(())
    );
    // Nothing else happens on a closed case.
    w.check(
        w.person(BOB),
        triage(TriageOutcome::Accepted, TriageReason::Confirmed),
        expect!["CaseClosed: the case is closed: nothing on it can change any more"],
    );
}

#[test]
fn only_the_pst_and_the_fix_lead_triage() {
    let mut w = World::private();
    w.check(
        w.person(DAVE),
        triage(TriageOutcome::Accepted, TriageReason::Confirmed),
        expect!["denied: only the Product Security Team or the Fix Lead may triage the report"],
    );
    w.check(
        Actor::Reporter,
        triage(TriageOutcome::Accepted, TriageReason::Confirmed),
        expect!["denied: only the Product Security Team or the Fix Lead may triage the report"],
    );
    w.check(
        Actor::System,
        Command::CloseUnanswered { template: None },
        expect!["Triage: the case does not wait for more information"],
    );
    w.check(
        w.person(ALICE),
        Command::CloseUnanswered { template: None },
        expect!["denied: only psirt itself may close a case whose request for information went unanswered"],
    );
}

#[test]
fn the_fix_lead_accepts_and_the_process_continues() {
    let mut w = World::private();
    w.assign(CAROL);
    w.ok(
        w.person(CAROL),
        triage(TriageOutcome::Accepted, TriageReason::Confirmed),
    );
    assert!(w.case.is_open());
    assert!(last_message(&w).contains("will work on a fix"));
    w.check(
        w.person(ALICE),
        triage(TriageOutcome::NotAVulnerability, TriageReason::OutOfScope),
        expect!["Triage: the case was already triaged (accepted)"],
    );
}

#[test]
fn each_decision_needs_a_fitting_reason_and_text() {
    let mut w = World::private();
    w.check(
        w.person(BOB),
        triage(TriageOutcome::Accepted, TriageReason::OutOfScope),
        expect!["Triage: the reason out_of_scope does not fit the decision accepted"],
    );
    w.check(
        w.person(BOB),
        triage(TriageOutcome::NotAVulnerability, TriageReason::Confirmed),
        expect!["Triage: the reason confirmed does not fit the decision not_a_vulnerability"],
    );
    w.check(
        w.person(BOB),
        Command::Triage(TriageDecision {
            outcome: TriageOutcome::NotAVulnerability,
            reason: TriageReason::Hardening,
            text: "  ".into(),
            template: None,
        }),
        expect!["invalid text: must not be empty"],
    );
}

#[test]
fn a_duplicate_links_the_case_or_the_advisory_it_duplicates() {
    let mut w = World::private();
    let me = w.case.reference;
    w.check(
        w.person(BOB),
        triage(
            TriageOutcome::Duplicate {
                of: DuplicateOf::Case { reference: me },
            },
            TriageReason::KnownIssue,
        ),
        expect!["Triage: a case cannot duplicate itself"],
    );
    w.check(
        w.person(BOB),
        triage(
            TriageOutcome::Duplicate {
                of: DuplicateOf::Advisory {
                    id: "CVE-2026".into(),
                    url: None,
                },
            },
            TriageReason::KnownIssue,
        ),
        expect![[r#"invalid duplicate_of: "CVE-2026" is neither a case reference, a CVE id nor a GHSA id"#]],
    );
    w.ok(
        w.person(BOB),
        triage(
            TriageOutcome::Duplicate {
                of: DuplicateOf::Advisory {
                    id: "GHSA-abcd-1234-wxyz".into(),
                    url: Some("https://github.com/coredns/coredns/security/advisories/GHSA-abcd-1234-wxyz".into()),
                },
            },
            TriageReason::KnownIssue,
        ),
    );
    assert!(
        last_message(&w).contains("the same issue as GHSA-abcd-1234-wxyz (https://github.com/")
    );
    let mut other = World::private();
    other.ok(
        other.person(BOB),
        triage(
            TriageOutcome::Duplicate {
                of: DuplicateOf::Case {
                    reference: CaseRef::new(2026, 7).unwrap(),
                },
            },
            TriageReason::KnownIssue,
        ),
    );
    assert!(last_message(&other).contains("the same issue as PSIRT-2026-0007"));
}

#[test]
fn moving_to_a_public_issue_offers_the_text_or_needs_the_reporters_consent() {
    let mut w = World::private();
    let filed = triage(
        TriageOutcome::MovedToPublicIssue {
            issue: PublicIssue::Team {
                url: "https://github.com/coredns/coredns/issues/42".into(),
            },
        },
        TriageReason::Hardening,
    );
    w.check(
        w.person(BOB),
        filed.clone(),
        expect!["Triage: the team files the public issue only with the reporter's consent: record it first (record_public_filing_consent)"],
    );
    w.ok(
        w.person(BOB),
        Command::RecordPublicFilingConsent {
            how: "The reporter agreed on the status page on 2 March.".into(),
        },
    );
    w.ok(w.person(BOB), filed);
    assert!(last_message(&w).contains("https://github.com/coredns/coredns/issues/42"));

    // Offered to the reporter: they get their own words back to file.
    let mut offered = World::private();
    offered.ok(
        offered.person(BOB),
        triage(
            TriageOutcome::MovedToPublicIssue {
                issue: PublicIssue::Reporter,
            },
            TriageReason::Hardening,
        ),
    );
    let text = last_message(&offered);
    assert!(text.contains("please file it yourself"), "{text}");
    assert!(text.contains("REPRODUCER: dig @127.0.0.1"), "{text}");
}

#[test]
fn a_message_can_be_edited_from_the_canned_reply() {
    let mut w = World::private();
    w.ok(
        w.person(BOB),
        Command::Triage(TriageDecision {
            outcome: TriageOutcome::NotAVulnerability,
            reason: TriageReason::OutOfScope,
            text: "Plugins outside the tree are not ours.".into(),
            template: Some("{reference}: {reason}. {text} -- the {project} PST".into()),
        }),
    );
    expect!["PSIRT-2026-0001: outside the scope of the project's security policy. Plugins outside the tree are not ours. -- the coredns PST"]
        .assert_eq(&last_message(&w));
    assert_eq!(
        CannedReply::for_decision(&TriageOutcome::NotAVulnerability, TriageReason::OutOfScope),
        CannedReply::OutOfScope
    );
}

#[test]
fn need_more_information_stops_the_clock_until_the_reporter_answers() {
    let mut w = World::open(
        private_report(),
        Policy {
            triage_within: Some(duration("2d")),
            ..Policy::default()
        },
    );
    w.advance("1d");
    w.ok(
        w.person(BOB),
        Command::RequestInformation {
            questions: "Which version did you test?".into(),
            template: None,
        },
    );
    assert!(last_message(&w).contains("Which version did you test?"));
    assert!(last_message(&w).contains("Without an answer by 2026-03-17 09:00 UTC"));
    // While it waits, nothing is due and nothing is reminded.
    assert_eq!(w.dues(), "");
    w.advance("5d");
    w.ok(
        Actor::Reporter,
        Command::ReporterReply {
            text: "1.11.1 on Linux.".into(),
        },
    );
    // Five days stood still: every due time moved by five days.
    expect![[r#"
        triaged                +7d
        fix_lead_assigned      +6d
        fix_team_formed        +6d
        cvss_scored            +12d
        fix_ready              +12d
        notice_published       +12d
        distributors_notified  +19d
        released               +26d
    "#]]
    .assert_eq(&w.dues());
}

#[test]
fn an_unanswered_request_closes_the_case_after_the_policys_time() {
    let mut w = World::open(
        private_report(),
        Policy {
            information_window: Some(duration("3d")),
            ..Policy::default()
        },
    );
    w.ok(
        w.person(BOB),
        Command::RequestInformation {
            questions: "Please send the proof of concept.".into(),
            template: None,
        },
    );
    w.check(
        w.person(BOB),
        Command::RequestInformation {
            questions: "And the version?".into(),
            template: None,
        },
        expect!["Triage: the case already waits for the reporter's answer"],
    );
    w.advance("2d");
    assert!(!information_request_expired(&w.case, w.now));
    w.check(
        Actor::System,
        Command::CloseUnanswered { template: None },
        expect!["Triage: the request for more information runs until 2026-03-05 09:00 UTC"],
    );
    w.advance("1d");
    assert!(information_request_expired(&w.case, w.now));
    w.ok(Actor::System, Command::CloseUnanswered { template: None });
    assert!(!w.case.is_open());
    let triage = w.case.triage.as_ref().unwrap();
    assert_eq!(triage.outcome, TriageOutcome::Unanswered);
    assert_eq!(triage.reason, TriageReason::NoAnswer);
    assert!(last_message(&w).contains("received no answer"));
}

#[test]
fn the_triage_target_times_the_triage_decision() {
    let mut targets = std::collections::BTreeMap::new();
    targets.insert(
        Severity::Critical,
        Targets {
            triage: Some(duration("12h")),
            ..Targets::default()
        },
    );
    let mut w = World::open(
        private_report(),
        Policy {
            response_targets: targets,
            ..Policy::default()
        },
    );
    w.ok(
        w.person(BOB),
        Command::ProposeCvss {
            vector: vector(CRITICAL),
        },
    );
    let due = w.case.milestone(Milestone::Triaged);
    match due.status {
        MilestoneStatus::Pending { due: Some(d) } => {
            assert_eq!(w.rel(d.at), "+12h");
            assert_eq!(d.target, Some(Severity::Critical));
        }
        other => panic!("{other:?}"),
    }
    // CVSS scored keeps the general due time.
    assert_eq!(
        w.case
            .milestone(Milestone::CvssScored)
            .due()
            .map(|d| w.rel(d.at)),
        Some("+7d".into())
    );
    w.advance("2h");
    w.ok(
        w.person(BOB),
        triage(TriageOutcome::Accepted, TriageReason::Confirmed),
    );
    assert_eq!(
        w.case.milestone(Milestone::Triaged).status,
        MilestoneStatus::Done { at: w.now }
    );
}

#[test]
fn the_triage_event_round_trips_through_json() {
    let mut w = World::private();
    w.ok(
        w.person(BOB),
        triage(
            TriageOutcome::Duplicate {
                of: DuplicateOf::Case {
                    reference: CaseRef::new(2026, 3).unwrap(),
                },
            },
            TriageReason::KnownIssue,
        ),
    );
    let event = &w.events[w.last];
    let json = serde_json::to_string(&event.change).unwrap();
    expect![[r#"{"type":"triaged","outcome":"duplicate","of":{"kind":"case","reference":"PSIRT-2026-0003"},"reason":"known_issue","text":"See the threat model in SECURITY.md."}"#]]
        .assert_eq(&json);
    let back: Change = serde_json::from_str(&json).unwrap();
    assert_eq!(back, event.change);
}
