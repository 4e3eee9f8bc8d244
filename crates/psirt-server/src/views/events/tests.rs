//! Every kind of event through its view: the keys each shows, and the
//! same JSON the API showed before the views named their fields.

use expect_test::expect;
use psirt_core::{CaseRef, UserId};
use psirt_core::{Change, Credit, CreditKind, DistributorDecision, Policy, Reporter, Secret};

use super::EventData;

/// One of every kind of event, each field set (an `Option` to `Some`).
fn samples() -> Vec<Change> {
    let at: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let user = UserId::new(7);
    let commit = || "0123456789abcdef0123456789abcdef01234567".parse().unwrap();
    let vector = || {
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
            .parse()
            .unwrap()
    };
    let text = || "text".to_string();
    vec![
        Change::Reported {
            reference: CaseRef::new(2026, 1).unwrap(),
            project: "default".into(),
            summary: "summary".into(),
            details: Secret::new("SECRET DETAILS".into()),
            reporter: Some(Reporter {
                name: Some("Rita".into()),
                email: Some("rita@example.org".parse().unwrap()),
            }),
            public_link: Some(text()),
            already_public: true,
            ai_assisted: true,
            policy: Box::new(Policy::default()),
        },
        Change::Acknowledged,
        Change::FixLeadAssigned {
            lead: user,
            override_reason: Some(text()),
        },
        Change::FixTeamFormed {
            members: vec![user],
        },
        Change::FixTeamMemberAdded { member: user },
        Change::FixTeamMemberRemoved {
            member: user,
            reason: text(),
        },
        Change::CvssProposed { vector: vector() },
        Change::CvssFinalized { vector: vector() },
        Change::FixCommitAdded {
            commit: commit(),
            author: text(),
            author_user: Some(user),
            url: Some(text()),
        },
        Change::CommitApproved {
            commit: commit(),
            maintainer: user,
        },
        Change::FixMarkedReady,
        Change::FixReopened { reason: text() },
        Change::MitigationRecorded { steps: text() },
        Change::NoticePublished {
            estimated_release: at,
            mitigation: text(),
            link: Some(text()),
        },
        Change::DistributorsDecided(DistributorDecision {
            notify: true,
            rationale: text(),
            embargo_end: Some(at),
            long_embargo_reason: Some(text()),
            off_slot_reason: Some(text()),
        }),
        Change::DistributorsNotified {
            patches: vec![text()],
            embargo_end: at,
            affected_versions: Some(text()),
            fixed_versions: Some(text()),
        },
        Change::UpstreamEmbargoSet {
            upstream: text(),
            until: at,
        },
        Change::PubliclyDisclosed { link: Some(text()) },
        Change::PrivateHandlingRequested,
        Change::PrivateHandlingAnswered { agreed: true },
        Change::SlowedDown {
            reason: text(),
            discussion: text(),
            extension: "7d".parse().unwrap(),
        },
        Change::EmbargoBreakReported {
            what: text(),
            to_whom: text(),
            when: at,
        },
        Change::EmbargoBreakAssessed {
            release_early: true,
            reason: text(),
            release_at: Some(at),
        },
        Change::CveRecorded {
            cve: "CVE-2026-12345".parse().unwrap(),
        },
        Change::CveWaived { reason: text() },
        Change::AnnouncementDrafted { text: text() },
        Change::Released {
            version: text(),
            base_release: text(),
            cherry_picks: vec![commit()],
            public_at: Some(at),
        },
        Change::Published,
        Change::CreditRecorded(Credit {
            name: Some(text()),
            kind: CreditKind::Finder,
        }),
        Change::AdvisoryRecorded {
            format: text(),
            location: text(),
        },
        Change::MessageToReporter { text: text() },
        Change::ReporterReplied { text: text() },
        Change::RetrospectiveHeld { notes: text() },
        Change::Closed,
        Change::FixRepositoryLinked(psirt_core::FixRepository {
            location: text(),
            branch: text(),
            base: text(),
            release_branches: vec![text()],
            tag_pattern: text(),
        }),
        Change::FixCommitRead {
            commit: commit(),
            author_name: text(),
            author_email: text(),
            author_user: Some(UserId::new(3)),
            title: text(),
        },
        Change::FixCommitReplaced { commit: commit() },
        Change::CherryPickPlanned(psirt_core::CherryPickPlan {
            commits: vec![commit()],
            branches: vec![
                psirt_core::BranchPlan {
                    branch: text(),
                    tag: Some(text()),
                    outcome: psirt_core::PlanOutcome::Clean {
                        commits: vec![commit()],
                        patches: Secret::new("SECRET DETAILS".into()),
                        sha256: text(),
                    },
                },
                psirt_core::BranchPlan {
                    branch: text(),
                    tag: None,
                    outcome: psirt_core::PlanOutcome::AlreadyContains,
                },
                psirt_core::BranchPlan {
                    branch: text(),
                    tag: Some(text()),
                    outcome: psirt_core::PlanOutcome::Conflicts {
                        commit: commit(),
                        files: vec![text()],
                    },
                },
                psirt_core::BranchPlan {
                    branch: text(),
                    tag: None,
                    outcome: psirt_core::PlanOutcome::Failed { reason: text() },
                },
            ],
        }),
        Change::CherryPickResolved {
            branch: text(),
            commits: vec![commit()],
        },
        Change::CveReservationRequested,
        Change::CveReserved {
            cve: "CVE-2026-12345".parse().unwrap(),
        },
        Change::CveRecordStateChanged {
            cve: "CVE-2026-12345".parse().unwrap(),
            state: text(),
        },
        Change::RecordEdited(psirt_core::RecordEdit::AddAlias { alias: text() }),
        Change::GitHubIssueCreated {
            number: 12,
            url: text(),
        },
        Change::GitHubAdvisoryDrafted {
            ghsa_id: text(),
            url: text(),
        },
        Change::GitHubCollaboratorsSet {
            ghsa_id: text(),
            logins: vec!["alice".parse().unwrap()],
        },
        Change::GitHubAdvisoryPublished { ghsa_id: text() },
        Change::GitHubAccessRevoked {
            ghsa_id: text(),
            logins: vec!["alice".parse().unwrap()],
        },
        Change::SlowedDownForHolidays {
            reason: text(),
            discussion: text(),
            holidays: vec!["2026-12-25".parse().unwrap()],
            extension: "1d".parse().unwrap(),
        },
        Change::FixTeamAccessEnded {
            members: vec![user],
        },
        Change::DistributorAccessEnded,
        Change::DistributorsFinalNoticeSent,
        Change::Triaged {
            outcome: psirt_core::TriageOutcome::Duplicate {
                of: psirt_core::DuplicateOf::Advisory {
                    id: "CVE-2026-12345".into(),
                    url: Some(text()),
                },
            },
            reason: psirt_core::TriageReason::KnownIssue,
            text: text(),
        },
        Change::Triaged {
            outcome: psirt_core::TriageOutcome::MovedToPublicIssue {
                issue: psirt_core::PublicIssue::Team { url: text() },
            },
            reason: psirt_core::TriageReason::Hardening,
            text: text(),
        },
        Change::Triaged {
            outcome: psirt_core::TriageOutcome::Accepted,
            reason: psirt_core::TriageReason::Confirmed,
            text: text(),
        },
        Change::PublicFilingConsented { how: text() },
        Change::InformationRequested { questions: text() },
    ]
}

/// How the timeline's `data` was made before the views: the core
/// event serialized, then `type`, `details` and `policy` deleted. The
/// views must give clients the same JSON.
fn serialized_then_deleted(change: &Change) -> serde_json::Value {
    let mut data = serde_json::to_value(change).unwrap();
    let obj = data.as_object_mut().unwrap();
    obj.remove("type");
    obj.remove("details");
    obj.remove("policy");
    // The patch sets of a cherry-pick plan were deleted too.
    if let Some(branches) = obj.get_mut("branches").and_then(|b| b.as_array_mut()) {
        for b in branches {
            if let Some(o) = b.get_mut("outcome").and_then(|o| o.as_object_mut()) {
                o.remove("patches");
            }
        }
    }
    data
}

#[test]
fn every_event_view_shows_what_the_api_showed() {
    for change in samples() {
        let shown = serde_json::to_string(&EventData::of(&change)).unwrap();
        assert!(!shown.contains("SECRET DETAILS"), "{shown}");
        assert_eq!(
            serde_json::to_value(EventData::of(&change)).unwrap(),
            serialized_then_deleted(&change),
            "{}",
            change.name()
        );
    }
    // Also with every `Option` absent (the skipped fields stay absent).
    let bare = Change::DistributorsNotified {
        patches: Vec::new(),
        embargo_end: "2026-03-01T12:00:00Z".parse().unwrap(),
        affected_versions: None,
        fixed_versions: None,
    };
    assert_eq!(
        serde_json::to_value(EventData::of(&bare)).unwrap(),
        serialized_then_deleted(&bare)
    );
}

/// The keys each kind of event shows: a field added to a core event
/// appears here only once its view names it (the match in
/// `EventData::of` names every field, so it does not compile before
/// the field is shown or left out).
#[test]
fn the_keys_of_each_event_view() {
    let samples = samples();
    let names: std::collections::BTreeSet<&str> = samples.iter().map(|c| c.name()).collect();
    assert_eq!(
        names.len(),
        55,
        "a new kind of event: add a sample (and check what its view shows)"
    );
    let listing: String = samples
        .iter()
        .map(|change| {
            let data = serde_json::to_value(EventData::of(change)).unwrap();
            let keys: Vec<&str> = data
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            match keys.as_slice() {
                [] => format!("{}: (nothing)\n", change.name()),
                _ => format!("{}: {}\n", change.name(), keys.join(", ")),
            }
        })
        .collect();
    expect![[r#"
        reported: ai_assisted, already_public, project, public_link, reference, reporter, summary
        acknowledged: (nothing)
        fix_lead_assigned: lead, override_reason
        fix_team_formed: members
        fix_team_member_added: member
        fix_team_member_removed: member, reason
        cvss_proposed: vector
        cvss_finalized: vector
        fix_commit_added: author, author_user, commit, url
        commit_approved: commit, maintainer
        fix_marked_ready: (nothing)
        fix_reopened: reason
        mitigation_recorded: steps
        notice_published: estimated_release, link, mitigation
        distributors_decided: embargo_end, long_embargo_reason, notify, off_slot_reason, rationale
        distributors_notified: affected_versions, embargo_end, fixed_versions, patches
        upstream_embargo_set: until, upstream
        publicly_disclosed: link
        private_handling_requested: (nothing)
        private_handling_answered: agreed
        slowed_down: discussion, extension, reason
        embargo_break_reported: to_whom, what, when
        embargo_break_assessed: reason, release_at, release_early
        cve_recorded: cve
        cve_waived: reason
        announcement_drafted: text
        released: base_release, cherry_picks, public_at, version
        published: (nothing)
        credit_recorded: kind, name
        advisory_recorded: format, location
        message_to_reporter: text
        reporter_replied: text
        retrospective_held: notes
        closed: (nothing)
        fix_repository_linked: base, branch, location, release_branches, tag_pattern
        fix_commit_read: author_email, author_name, author_user, commit, title
        fix_commit_replaced: commit
        cherry_pick_planned: branches, commits
        cherry_pick_resolved: branch, commits
        cve_reservation_requested: (nothing)
        cve_reserved: cve
        cve_record_state_changed: cve, state
        record_edited: alias, edit
        github_issue_created: number, url
        github_advisory_drafted: ghsa_id, url
        github_collaborators_set: ghsa_id, logins
        github_advisory_published: ghsa_id
        github_access_revoked: ghsa_id, logins
        slowed_down_for_holidays: discussion, extension, holidays, reason
        fix_team_access_ended: members
        distributor_access_ended: (nothing)
        distributors_final_notice_sent: (nothing)
        triaged: of, outcome, reason, text
        triaged: issue, outcome, reason, text
        triaged: outcome, reason, text
        public_filing_consented: how
        information_requested: questions
    "#]]
    .assert_eq(&listing);
}
