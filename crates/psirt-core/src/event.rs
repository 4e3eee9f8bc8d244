//! What happened on a case: the timeline.
//!
//! Events are the only record of a case; its state is their fold. They are
//! persisted as they are serialized here, so renaming a variant or a field is
//! a storage migration, not a refactoring. Events are never edited in place:
//! a correction is a new event.

use jiff::Timestamp;
use psirt_cvss::Vector;
use serde::{Deserialize, Serialize};

use crate::case::{Credit, DistributorDecision};
use crate::duration::Duration;
use crate::fix_repo::{CherryPickPlan, FixRepository};
use crate::ids::{CaseRef, CommitId, CveId, EmailAddress, GitHubLogin, Secret, UserId};
use crate::policy::Policy;

/// One entry of a case's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position on the case's timeline, from 1.
    pub seq: u64,
    pub at: Timestamp,
    pub actor: ActorRef,
    pub change: Change,
}

/// Who caused an event, as the timeline shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum ActorRef {
    User(UserId),
    /// The reporter, through their private status link.
    Reporter,
    /// psirt itself: intake, jobs.
    System,
}

/// The person who reported the vulnerability, if they gave their details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
}

/// A report as it reaches the team: the input of [`crate::open_case`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewReport {
    pub project: String,
    pub summary: String,
    /// Location, impact and steps to reproduce: embargoed.
    pub details: Secret<String>,
    pub reporter: Option<Reporter>,
    /// Set when the vulnerability is already public: where it was disclosed.
    pub public_link: Option<String>,
    pub already_public: bool,
    /// The reporter said they used AI tools to find or write the report.
    pub ai_assisted: bool,
}

/// A state change, with everything needed to replay it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum Change {
    Reported {
        reference: CaseRef,
        project: String,
        summary: String,
        details: Secret<String>,
        reporter: Option<Reporter>,
        /// `Some` when the report was of a public disclosure.
        public_link: Option<String>,
        already_public: bool,
        /// The reporter said they used AI tools to find or write it
        /// (absent from events stored before the question was asked).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        ai_assisted: bool,
        /// Boxed: the policy is the largest part of any event, and only
        /// the first event of a case carries it.
        policy: Box<Policy>,
    },
    Acknowledged,
    FixLeadAssigned {
        lead: UserId,
        /// `None`: chosen by the round-robin; `Some`: a recorded override.
        override_reason: Option<String>,
    },
    FixTeamFormed {
        members: Vec<UserId>,
    },
    FixTeamMemberAdded {
        member: UserId,
    },
    FixTeamMemberRemoved {
        member: UserId,
        reason: String,
    },
    CvssProposed {
        vector: Vector,
    },
    CvssFinalized {
        vector: Vector,
    },
    FixCommitAdded {
        commit: CommitId,
        /// The commit's author as git names them.
        author: String,
        /// The author's psirt account, where they have one.
        author_user: Option<UserId>,
        url: Option<String>,
    },
    /// An LGTM, given by the maintainer who recorded it: nobody can approve
    /// in somebody else's name.
    CommitApproved {
        commit: CommitId,
        maintainer: UserId,
    },
    FixMarkedReady,
    FixReopened {
        reason: String,
    },
    MitigationRecorded {
        steps: String,
    },
    NoticePublished {
        estimated_release: Timestamp,
        mitigation: String,
        link: Option<String>,
    },
    DistributorsDecided(DistributorDecision),
    DistributorsNotified {
        patches: Vec<String>,
        embargo_end: Timestamp,
        /// Absent from events stored before they were recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        affected_versions: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fixed_versions: Option<String>,
    },
    UpstreamEmbargoSet {
        upstream: String,
        until: Timestamp,
    },
    PubliclyDisclosed {
        link: Option<String>,
    },
    PrivateHandlingRequested,
    PrivateHandlingAnswered {
        agreed: bool,
    },
    SlowedDown {
        reason: String,
        discussion: String,
        extension: Duration,
    },
    EmbargoBreakReported {
        what: String,
        to_whom: String,
        when: Timestamp,
    },
    EmbargoBreakAssessed {
        release_early: bool,
        reason: String,
        /// The new public date when it releases early (events recorded
        /// before this field have none: the moment of the decision).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        release_at: Option<Timestamp>,
    },
    CveRecorded {
        cve: CveId,
    },
    CveWaived {
        reason: String,
    },
    AnnouncementDrafted {
        text: String,
    },
    Released {
        version: String,
        base_release: String,
        cherry_picks: Vec<CommitId>,
        /// The agreed public instant; absent in events written before it
        /// existed, when the release itself was the instant.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        public_at: Option<Timestamp>,
    },
    /// The release's public instant came and psirt published the case.
    Published,
    CreditRecorded(Credit),
    AdvisoryRecorded {
        format: String,
        location: String,
    },
    /// One edit of the advisory record.
    RecordEdited(crate::record::RecordEdit),
    /// Written to the reporter by the team; shown on the status page.
    MessageToReporter {
        text: String,
    },
    ReporterReplied {
        text: String,
    },
    RetrospectiveHeld {
        notes: String,
    },
    Closed,
    FixRepositoryLinked(FixRepository),
    /// A commit read from the fix branch.
    FixCommitRead {
        commit: CommitId,
        author_name: String,
        author_email: String,
        author_user: Option<UserId>,
        title: String,
    },
    /// A commit no longer on the fix branch (force-pushed away): it needs
    /// no LGTM any more, and its LGTMs count for nothing.
    FixCommitReplaced {
        commit: CommitId,
    },
    CherryPickPlanned(CherryPickPlan),
    CherryPickResolved {
        branch: String,
        commits: Vec<CommitId>,
    },
    CveReservationRequested,
    /// Reserved by psirt at CVE Services: the case's CVE id.
    CveReserved {
        cve: CveId,
    },
    CveRecordStateChanged {
        cve: CveId,
        state: String,
    },
    /// psirt opened the forthcoming-fix issue in the public repository.
    GitHubIssueCreated {
        number: u64,
        url: String,
    },
    /// psirt drafted the case's repository security advisory on GitHub.
    GitHubAdvisoryDrafted {
        ghsa_id: String,
        url: String,
    },
    /// Who may see and edit the draft: the Fix Team's GitHub logins.
    GitHubCollaboratorsSet {
        ghsa_id: String,
        logins: Vec<GitHubLogin>,
    },
    GitHubAdvisoryPublished {
        ghsa_id: String,
    },
    /// Everyone's access to the advisory taken away on release: `logins`
    /// are those who lost it.
    GitHubAccessRevoked {
        ghsa_id: String,
        logins: Vec<GitHubLogin>,
    },
    /// The low-severity slow-down "in the face of holidays": the pending
    /// due times move by one day per holiday of the project's calendar
    /// before the release is due.
    SlowedDownForHolidays {
        reason: String,
        discussion: String,
        holidays: Vec<jiff::civil::Date>,
        extension: Duration,
    },
    /// With the release (or the close), as the policy says: these Fix Team
    /// members, not on the PST, lose the case's private parts.
    FixTeamAccessEnded {
        members: Vec<UserId>,
    },
    /// With the release: the notified distributors' portal access to the
    /// case ends (it is public).
    DistributorAccessEnded,
    /// The final notice to the notified distributors was approved for
    /// sending.
    DistributorsFinalNoticeSent,
    /// The triage decision; every outcome but acceptance closes the case
    /// (which the team can still read).
    Triaged {
        #[serde(flatten)]
        outcome: crate::triage::TriageOutcome,
        reason: crate::triage::TriageReason,
        text: String,
    },
    /// The reporter agreed that the team files the report as a public
    /// issue; `how` says where they said so.
    PublicFilingConsented {
        how: String,
    },
    /// The team asked the reporter for more information: the case's clock
    /// stands still until they answer.
    InformationRequested {
        questions: String,
    },
}

impl Change {
    /// The event's name on the timeline.
    pub fn name(&self) -> &'static str {
        match self {
            Change::Reported { .. } => "reported",
            Change::Acknowledged => "acknowledged",
            Change::FixLeadAssigned { .. } => "fix_lead_assigned",
            Change::FixTeamFormed { .. } => "fix_team_formed",
            Change::FixTeamMemberAdded { .. } => "fix_team_member_added",
            Change::FixTeamMemberRemoved { .. } => "fix_team_member_removed",
            Change::CvssProposed { .. } => "cvss_proposed",
            Change::CvssFinalized { .. } => "cvss_finalized",
            Change::FixCommitAdded { .. } => "fix_commit_added",
            Change::CommitApproved { .. } => "commit_approved",
            Change::FixMarkedReady => "fix_marked_ready",
            Change::FixReopened { .. } => "fix_reopened",
            Change::MitigationRecorded { .. } => "mitigation_recorded",
            Change::NoticePublished { .. } => "notice_published",
            Change::DistributorsDecided(_) => "distributors_decided",
            Change::DistributorsNotified { .. } => "distributors_notified",
            Change::UpstreamEmbargoSet { .. } => "upstream_embargo_set",
            Change::PubliclyDisclosed { .. } => "publicly_disclosed",
            Change::PrivateHandlingRequested => "private_handling_requested",
            Change::PrivateHandlingAnswered { .. } => "private_handling_answered",
            Change::SlowedDown { .. } => "slowed_down",
            Change::EmbargoBreakReported { .. } => "embargo_break_reported",
            Change::EmbargoBreakAssessed { .. } => "embargo_break_assessed",
            Change::CveRecorded { .. } => "cve_recorded",
            Change::CveWaived { .. } => "cve_waived",
            Change::AnnouncementDrafted { .. } => "announcement_drafted",
            Change::Released { .. } => "released",
            Change::Published => "published",
            Change::CreditRecorded(_) => "credit_recorded",
            Change::AdvisoryRecorded { .. } => "advisory_recorded",
            Change::RecordEdited(_) => "record_edited",
            Change::MessageToReporter { .. } => "message_to_reporter",
            Change::ReporterReplied { .. } => "reporter_replied",
            Change::RetrospectiveHeld { .. } => "retrospective_held",
            Change::Closed => "closed",
            Change::FixRepositoryLinked(_) => "fix_repository_linked",
            Change::FixCommitRead { .. } => "fix_commit_read",
            Change::FixCommitReplaced { .. } => "fix_commit_replaced",
            Change::CherryPickPlanned(_) => "cherry_pick_planned",
            Change::CherryPickResolved { .. } => "cherry_pick_resolved",
            Change::CveReservationRequested => "cve_reservation_requested",
            Change::CveReserved { .. } => "cve_reserved",
            Change::CveRecordStateChanged { .. } => "cve_record_state_changed",
            Change::GitHubIssueCreated { .. } => "github_issue_created",
            Change::GitHubAdvisoryDrafted { .. } => "github_advisory_drafted",
            Change::GitHubCollaboratorsSet { .. } => "github_collaborators_set",
            Change::GitHubAdvisoryPublished { .. } => "github_advisory_published",
            Change::GitHubAccessRevoked { .. } => "github_access_revoked",
            Change::SlowedDownForHolidays { .. } => "slowed_down_for_holidays",
            Change::FixTeamAccessEnded { .. } => "fix_team_access_ended",
            Change::DistributorAccessEnded => "distributor_access_ended",
            Change::DistributorsFinalNoticeSent => "distributors_final_notice_sent",
            Change::Triaged { .. } => "triaged",
            Change::PublicFilingConsented { .. } => "public_filing_consented",
            Change::InformationRequested { .. } => "information_requested",
        }
    }
}
