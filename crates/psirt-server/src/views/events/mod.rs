//! The timeline's shapes: one view per kind of event, naming each field
//! it shows.
//!
//! [`EventData::of`] is an exhaustive match on the core's `Change` that
//! destructures every field by name, never with `..`: a field added to a
//! core event is a compile error here until it is either named in its
//! view or left out on purpose (`field: _`), so nothing new reaches the
//! API by default. Left out: the report's details, shown once on the case
//! (and only to those who may see it), and the policy snapshot, which is
//! the case's own. The leaf values (ids, vectors, instants, durations)
//! keep their own text forms.

use jiff::Timestamp;
use psirt_core::cvss::Vector;
use psirt_core::{
    CaseRef, Change, CommitId, CreditKind, CveId, Duration, EmailAddress, GitHubLogin, UserId,
};
use serde::Serialize;

use super::record_edit::RecordEditData;

/// The `data` of a timeline entry, by the entry's `type`.
#[derive(Serialize)]
#[serde(untagged)]
pub enum EventData<'a> {
    Reported {
        reference: CaseRef,
        project: &'a str,
        summary: &'a str,
        reporter: Option<ReporterData<'a>>,
        public_link: Option<&'a str>,
        already_public: bool,
        /// Shown only when the reporter said so (as the event stores it).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        ai_assisted: bool,
    },
    FixLeadAssigned {
        lead: UserId,
        override_reason: Option<&'a str>,
    },
    FixTeamFormed {
        members: &'a [UserId],
    },
    Member {
        member: UserId,
    },
    MemberRemoved {
        member: UserId,
        reason: &'a str,
    },
    Cvss {
        vector: &'a Vector,
    },
    FixCommitAdded {
        commit: &'a CommitId,
        author: &'a str,
        author_user: Option<UserId>,
        url: Option<&'a str>,
    },
    CommitApproved {
        commit: &'a CommitId,
        maintainer: UserId,
    },
    Reason {
        reason: &'a str,
    },
    MitigationRecorded {
        steps: &'a str,
    },
    NoticePublished {
        estimated_release: Timestamp,
        mitigation: &'a str,
        link: Option<&'a str>,
    },
    DistributorsDecided {
        notify: bool,
        rationale: &'a str,
        embargo_end: Option<Timestamp>,
        long_embargo_reason: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        off_slot_reason: Option<&'a str>,
    },
    DistributorsNotified {
        patches: &'a [String],
        embargo_end: Timestamp,
        #[serde(skip_serializing_if = "Option::is_none")]
        affected_versions: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        fixed_versions: Option<&'a str>,
    },
    UpstreamEmbargoSet {
        upstream: &'a str,
        until: Timestamp,
    },
    Link {
        link: Option<&'a str>,
    },
    PrivateHandlingAnswered {
        agreed: bool,
    },
    SlowedDown {
        reason: &'a str,
        discussion: &'a str,
        extension: Duration,
    },
    SlowedDownForHolidays {
        reason: &'a str,
        discussion: &'a str,
        holidays: &'a [jiff::civil::Date],
        extension: Duration,
    },
    FixTeamAccessEnded {
        members: &'a [UserId],
    },
    EmbargoBreakReported {
        what: &'a str,
        to_whom: &'a str,
        when: Timestamp,
    },
    EmbargoBreakAssessed {
        release_early: bool,
        reason: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        release_at: Option<Timestamp>,
    },
    CveRecorded {
        cve: &'a CveId,
    },
    Text {
        text: &'a str,
    },
    Released {
        version: &'a str,
        base_release: &'a str,
        cherry_picks: &'a [CommitId],
        #[serde(skip_serializing_if = "Option::is_none")]
        public_at: Option<Timestamp>,
    },
    CreditRecorded {
        name: Option<&'a str>,
        kind: CreditKind,
    },
    AdvisoryRecorded {
        format: &'a str,
        location: &'a str,
    },
    RetrospectiveHeld {
        notes: &'a str,
    },
    FixRepositoryLinked {
        location: &'a str,
        branch: &'a str,
        base: &'a str,
        release_branches: &'a [String],
        tag_pattern: &'a str,
    },
    FixCommitRead {
        commit: &'a CommitId,
        author_name: &'a str,
        author_email: &'a str,
        author_user: Option<UserId>,
        title: &'a str,
    },
    Commit {
        commit: &'a CommitId,
    },
    /// The plan per branch; the patch sets stay off the timeline (they are
    /// embargoed, and the case's `fix_repository` shows them to the team).
    CherryPickPlanned {
        commits: &'a [CommitId],
        branches: Vec<BranchPlanData<'a>>,
    },
    CherryPickResolved {
        branch: &'a str,
        commits: &'a [CommitId],
    },
    CveRecordStateChanged {
        cve: &'a CveId,
        state: &'a str,
    },
    GitHubIssueCreated {
        number: u64,
        url: &'a str,
    },
    GitHubAdvisoryDrafted {
        ghsa_id: &'a str,
        url: &'a str,
    },
    /// Who was given, or lost, access to the GitHub advisory.
    GitHubLogins {
        ghsa_id: &'a str,
        logins: &'a [GitHubLogin],
    },
    GitHubAdvisory {
        ghsa_id: &'a str,
    },
    /// An edit of the advisory record: the record holds public facts only
    /// (`psirt_core::check_edit` admits nothing else), and its view names
    /// each of them ([`RecordEditData`]).
    RecordEdited(RecordEditData<'a>),
    Triaged(super::TriagedData<'a>),
    PublicFilingConsented {
        how: &'a str,
    },
    InformationRequested {
        questions: &'a str,
    },
    /// An event that carries nothing but its type.
    Nothing {},
}

/// One release branch of a cherry-pick plan, as the timeline shows it.
#[derive(Serialize)]
pub struct BranchPlanData<'a> {
    pub branch: &'a str,
    pub tag: Option<&'a str>,
    pub outcome: OutcomeData<'a>,
}

/// A branch's outcome without its patch set.
#[derive(Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum OutcomeData<'a> {
    Clean {
        commits: &'a [CommitId],
        sha256: &'a str,
    },
    AlreadyContains,
    Conflicts {
        commit: &'a CommitId,
        files: &'a [String],
    },
    Failed {
        reason: &'a str,
    },
}

/// Who reported, as the `reported` entry shows them.
#[derive(Serialize)]
pub struct ReporterData<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a EmailAddress>,
}

impl<'a> EventData<'a> {
    /// The fields of `change` that the timeline shows.
    pub fn of(change: &'a Change) -> EventData<'a> {
        match change {
            Change::Reported {
                reference,
                project,
                summary,
                details: _,
                reporter,
                public_link,
                already_public,
                ai_assisted,
                policy: _,
            } => EventData::Reported {
                reference: *reference,
                project,
                summary,
                reporter: reporter.as_ref().map(|r| {
                    let psirt_core::Reporter { name, email } = r;
                    ReporterData {
                        name: name.as_deref(),
                        email: email.as_ref(),
                    }
                }),
                public_link: public_link.as_deref(),
                already_public: *already_public,
                ai_assisted: *ai_assisted,
            },
            Change::Acknowledged
            | Change::FixMarkedReady
            | Change::PrivateHandlingRequested
            | Change::Published
            | Change::Closed => EventData::Nothing {},
            Change::FixLeadAssigned {
                lead,
                override_reason,
            } => EventData::FixLeadAssigned {
                lead: *lead,
                override_reason: override_reason.as_deref(),
            },
            Change::FixTeamFormed { members } => EventData::FixTeamFormed { members },
            Change::FixTeamMemberAdded { member } => EventData::Member { member: *member },
            Change::FixTeamMemberRemoved { member, reason } => EventData::MemberRemoved {
                member: *member,
                reason,
            },
            Change::CvssProposed { vector } | Change::CvssFinalized { vector } => {
                EventData::Cvss { vector }
            }
            Change::FixCommitAdded {
                commit,
                author,
                author_user,
                url,
            } => EventData::FixCommitAdded {
                commit,
                author,
                author_user: *author_user,
                url: url.as_deref(),
            },
            Change::CommitApproved { commit, maintainer } => EventData::CommitApproved {
                commit,
                maintainer: *maintainer,
            },
            Change::FixReopened { reason } | Change::CveWaived { reason } => {
                EventData::Reason { reason }
            }
            Change::MitigationRecorded { steps } => EventData::MitigationRecorded { steps },
            Change::NoticePublished {
                estimated_release,
                mitigation,
                link,
            } => EventData::NoticePublished {
                estimated_release: *estimated_release,
                mitigation,
                link: link.as_deref(),
            },
            Change::DistributorsDecided(decision) => {
                let psirt_core::DistributorDecision {
                    notify,
                    rationale,
                    embargo_end,
                    long_embargo_reason,
                    off_slot_reason,
                } = decision;
                EventData::DistributorsDecided {
                    notify: *notify,
                    rationale,
                    embargo_end: *embargo_end,
                    long_embargo_reason: long_embargo_reason.as_deref(),
                    off_slot_reason: off_slot_reason.as_deref(),
                }
            }
            Change::DistributorsNotified {
                patches,
                embargo_end,
                affected_versions,
                fixed_versions,
            } => EventData::DistributorsNotified {
                patches,
                embargo_end: *embargo_end,
                affected_versions: affected_versions.as_deref(),
                fixed_versions: fixed_versions.as_deref(),
            },
            Change::UpstreamEmbargoSet { upstream, until } => EventData::UpstreamEmbargoSet {
                upstream,
                until: *until,
            },
            Change::PubliclyDisclosed { link } => EventData::Link {
                link: link.as_deref(),
            },
            Change::PrivateHandlingAnswered { agreed } => {
                EventData::PrivateHandlingAnswered { agreed: *agreed }
            }
            Change::SlowedDown {
                reason,
                discussion,
                extension,
            } => EventData::SlowedDown {
                reason,
                discussion,
                extension: *extension,
            },
            Change::SlowedDownForHolidays {
                reason,
                discussion,
                holidays,
                extension,
            } => EventData::SlowedDownForHolidays {
                reason,
                discussion,
                holidays,
                extension: *extension,
            },
            Change::FixTeamAccessEnded { members } => EventData::FixTeamAccessEnded { members },
            Change::DistributorAccessEnded | Change::DistributorsFinalNoticeSent => {
                EventData::Nothing {}
            }
            Change::Triaged {
                outcome,
                reason,
                text,
            } => EventData::Triaged(super::TriagedData::new(outcome, *reason, text)),
            Change::PublicFilingConsented { how } => EventData::PublicFilingConsented { how },
            Change::InformationRequested { questions } => {
                EventData::InformationRequested { questions }
            }
            Change::EmbargoBreakReported {
                what,
                to_whom,
                when,
            } => EventData::EmbargoBreakReported {
                what,
                to_whom,
                when: *when,
            },
            Change::EmbargoBreakAssessed {
                release_early,
                reason,
                release_at,
            } => EventData::EmbargoBreakAssessed {
                release_early: *release_early,
                reason,
                release_at: *release_at,
            },
            Change::CveRecorded { cve } => EventData::CveRecorded { cve },
            Change::AnnouncementDrafted { text }
            | Change::MessageToReporter { text }
            | Change::ReporterReplied { text } => EventData::Text { text },
            Change::Released {
                version,
                base_release,
                cherry_picks,
                public_at,
            } => EventData::Released {
                version,
                base_release,
                cherry_picks,
                public_at: *public_at,
            },
            Change::CreditRecorded(credit) => {
                let psirt_core::Credit { name, kind } = credit;
                EventData::CreditRecorded {
                    name: name.as_deref(),
                    kind: *kind,
                }
            }
            Change::AdvisoryRecorded { format, location } => {
                EventData::AdvisoryRecorded { format, location }
            }
            Change::RetrospectiveHeld { notes } => EventData::RetrospectiveHeld { notes },
            Change::FixRepositoryLinked(repo) => {
                let psirt_core::FixRepository {
                    location,
                    branch,
                    base,
                    release_branches,
                    tag_pattern,
                } = repo;
                EventData::FixRepositoryLinked {
                    location,
                    branch,
                    base,
                    release_branches,
                    tag_pattern,
                }
            }
            Change::FixCommitRead {
                commit,
                author_name,
                author_email,
                author_user,
                title,
            } => EventData::FixCommitRead {
                commit,
                author_name,
                author_email,
                author_user: *author_user,
                title,
            },
            Change::FixCommitReplaced { commit } => EventData::Commit { commit },
            Change::CherryPickPlanned(plan) => {
                let psirt_core::CherryPickPlan { commits, branches } = plan;
                EventData::CherryPickPlanned {
                    commits,
                    branches: branches.iter().map(BranchPlanData::of).collect(),
                }
            }
            Change::CherryPickResolved { branch, commits } => {
                EventData::CherryPickResolved { branch, commits }
            }
            Change::CveReservationRequested => EventData::Nothing {},
            Change::CveReserved { cve } => EventData::CveRecorded { cve },
            Change::CveRecordStateChanged { cve, state } => {
                EventData::CveRecordStateChanged { cve, state }
            }
            Change::RecordEdited(edit) => EventData::RecordEdited(RecordEditData::of(edit)),
            Change::GitHubIssueCreated { number, url } => EventData::GitHubIssueCreated {
                number: *number,
                url,
            },
            Change::GitHubAdvisoryDrafted { ghsa_id, url } => {
                EventData::GitHubAdvisoryDrafted { ghsa_id, url }
            }
            Change::GitHubCollaboratorsSet { ghsa_id, logins }
            | Change::GitHubAccessRevoked { ghsa_id, logins } => {
                EventData::GitHubLogins { ghsa_id, logins }
            }
            Change::GitHubAdvisoryPublished { ghsa_id } => EventData::GitHubAdvisory { ghsa_id },
        }
    }
}

impl<'a> BranchPlanData<'a> {
    fn of(plan: &'a psirt_core::BranchPlan) -> BranchPlanData<'a> {
        let psirt_core::BranchPlan {
            branch,
            tag,
            outcome,
        } = plan;
        let outcome = match outcome {
            psirt_core::PlanOutcome::Clean {
                commits,
                patches: _,
                sha256,
            } => OutcomeData::Clean { commits, sha256 },
            psirt_core::PlanOutcome::AlreadyContains => OutcomeData::AlreadyContains,
            psirt_core::PlanOutcome::Conflicts { commit, files } => {
                OutcomeData::Conflicts { commit, files }
            }
            psirt_core::PlanOutcome::Failed { reason } => OutcomeData::Failed { reason },
        };
        BranchPlanData {
            branch,
            tag: tag.as_deref(),
            outcome,
        }
    }
}

#[cfg(test)]
mod tests;
