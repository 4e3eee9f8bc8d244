//! What a person (or psirt itself) asks to do on an open case.
//!
//! Commands carry raw intent; [`crate::decide`] validates them against the
//! rules and turns them into [`crate::Change`]s.

use jiff::Timestamp;
use psirt_cvss::Vector;

use crate::case::{Credit, DistributorDecision};
use crate::duration::Duration;
use crate::fix_repo::{BranchCommit, CherryPickPlan, FixRepository};
use crate::ids::{CommitId, CveId, GitHubLogin, UserId};

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Sets the Fix Lead: with `lead: None`, the next in the round-robin
    /// ([`crate::next_fix_lead`]); anyone else is an override and needs a reason.
    AssignFixLead {
        lead: Option<UserId>,
        override_reason: Option<String>,
    },
    /// The Fix Lead names the Fix Team (the lead is always on it).
    FormFixTeam {
        members: Vec<UserId>,
    },
    AddFixTeamMember {
        member: UserId,
    },
    RemoveFixTeamMember {
        member: UserId,
        reason: String,
    },
    ProposeCvss {
        vector: Vector,
    },
    /// The Fix Lead's final call on the vector.
    FinalizeCvss {
        vector: Vector,
    },
    /// `author_user` is the author's account, where the caller could match
    /// the git identity to one; it is what stops self-approval.
    AddFixCommit {
        commit: CommitId,
        author: String,
        author_user: Option<UserId>,
        url: Option<String>,
    },
    /// An LGTM on one commit from the maintainer running the command.
    ApproveCommit {
        commit: CommitId,
    },
    /// The Fix Team tells the Fix Lead the fix branch is complete.
    MarkFixReady,
    ReopenFix {
        reason: String,
    },
    RecordMitigation {
        steps: String,
    },
    PublishNotice {
        estimated_release: Timestamp,
        mitigation: String,
        link: Option<String>,
    },
    DecideDistributors(DistributorDecision),
    /// The pre-notification: the patches, and where known the affected
    /// and fixed versions (free text, e.g. `>= 1.9.0, < 1.11.2`).
    NotifyDistributors {
        patches: Vec<String>,
        affected_versions: Option<String>,
        fixed_versions: Option<String>,
    },
    SetUpstreamEmbargo {
        upstream: String,
        until: Timestamp,
    },
    MarkPubliclyDisclosed {
        link: Option<String>,
    },
    RequestPrivateHandling,
    RecordPrivateHandlingAnswer {
        agreed: bool,
    },
    /// The low-severity slow-down; `extension: None` takes the policy's.
    SlowDown {
        reason: String,
        discussion: String,
        extension: Option<Duration>,
    },
    ReportEmbargoBreak {
        what: String,
        to_whom: String,
        when: Timestamp,
    },
    /// The PST's assessment of the oldest unassessed embargo break. When it
    /// releases early, `release_at` is the new public date (default: now);
    /// every notified distributor is told.
    AssessEmbargoBreak {
        release_early: bool,
        reason: String,
        release_at: Option<Timestamp>,
    },
    RecordCve {
        cve: CveId,
    },
    WaiveCve {
        reason: String,
    },
    DraftAnnouncement {
        text: String,
    },
    /// The Fix Lead records the release. `public_at` is the agreed
    /// public instant, which may lie ahead: by default now, or the
    /// embargo's end if that is later.
    Release {
        version: String,
        base_release: String,
        cherry_picks: Vec<CommitId>,
        public_at: Option<Timestamp>,
    },
    RecordCredit(Credit),
    RecordAdvisory {
        format: String,
        location: String,
    },
    /// One edit of the advisory record (affected products, weaknesses,
    /// description, references, aliases).
    EditRecord(crate::record::RecordEdit),
    /// A message for the reporter, shown on their status page.
    MessageReporter {
        text: String,
    },
    /// The reporter's answer, through their status link.
    ReporterReply {
        text: String,
    },
    HoldRetrospective {
        notes: String,
    },
    Close,
    /// Links the private repository and branch the fix is developed in.
    LinkFixRepository(FixRepository),
    /// The fix branch's commits as psirt just read them (`base..branch`,
    /// oldest first), authors matched to accounts by the caller.
    ReadFixBranch {
        commits: Vec<BranchCommit>,
    },
    /// The cherry-pick plan psirt computed by applying the fix commits.
    RecordCherryPickPlan(CherryPickPlan),
    /// The Fix Lead's resolution of a branch's conflict: the commits that
    /// carry the fix on that branch.
    ResolveCherryPick {
        branch: String,
        commits: Vec<CommitId>,
    },
    /// The Fix Lead asks psirt to reserve a CVE id from CVE Services.
    RequestCveReservation,
    /// The id psirt's job reserved.
    RecordReservedCve {
        cve: CveId,
    },
    /// The CVE record's state at CVE Services (`PUBLISHED`), once psirt's
    /// job published or updated the case's CNA container.
    RecordCveRecordState {
        cve: CveId,
        state: String,
    },
    /// The forthcoming-fix issue psirt's job opened (or found) on GitHub.
    RecordGitHubIssue {
        number: u64,
        url: String,
    },
    /// The case's repository security advisory as psirt's job left it:
    /// drafted, with these collaborators (the Fix Team's logins).
    RecordGitHubAdvisory {
        ghsa_id: String,
        url: String,
        collaborators: Vec<GitHubLogin>,
    },
    /// psirt's job published the advisory after the release.
    RecordGitHubAdvisoryPublished {
        ghsa_id: String,
    },
    /// psirt's job took every collaborator's access away after the release.
    RecordGitHubAccessRevoked {
        ghsa_id: String,
    },
    /// psirt's publication job, at the release's public instant: the case
    /// is public from now on everywhere at once.
    Publish,
    /// The low-severity slow-down for the holidays of the project's
    /// calendar before the release is due.
    SlowDownForHolidays {
        reason: String,
        discussion: String,
    },
    /// The final notice to distributors was approved for sending (the
    /// store runs it when its draft is approved).
    RecordFinalDistributorNotice,
    /// The triage decision, with the reporter's message.
    Triage(crate::triage::TriageDecision),
    /// The reporter agreed that the team files the report publicly.
    RecordPublicFilingConsent {
        how: String,
    },
    /// The canned reply "need more information": the clock stops until
    /// the reporter answers. `template`: the wording, `None` the default.
    RequestInformation {
        questions: String,
        template: Option<String>,
    },
    /// psirt closes a case whose request for more information ran out.
    CloseUnanswered {
        template: Option<String>,
    },
}

impl Command {
    /// The operation this command is, for access decisions and audit.
    pub fn operation(&self) -> crate::access::Operation {
        use crate::access::Operation as Op;
        match self {
            Command::AssignFixLead { .. } => Op::AssignFixLead,
            Command::FormFixTeam { .. }
            | Command::AddFixTeamMember { .. }
            | Command::RemoveFixTeamMember { .. } => Op::ManageFixTeam,
            Command::ProposeCvss { .. } => Op::ProposeCvss,
            Command::FinalizeCvss { .. } => Op::FinalizeCvss,
            Command::AddFixCommit { .. } | Command::ApproveCommit { .. } => Op::RecordFixWork,
            Command::MarkFixReady => Op::MarkFixReady,
            Command::ReopenFix { .. } => Op::ReopenFix,
            Command::RecordMitigation { .. } => Op::RecordFixWork,
            Command::PublishNotice { .. } => Op::PublishNotice,
            Command::DecideDistributors(_) | Command::NotifyDistributors { .. } => {
                Op::NotifyDistributors
            }
            Command::SetUpstreamEmbargo { .. } => Op::SetUpstreamEmbargo,
            Command::MarkPubliclyDisclosed { .. } => Op::MarkPubliclyDisclosed,
            Command::RequestPrivateHandling | Command::RecordPrivateHandlingAnswer { .. } => {
                Op::NegotiatePrivateHandling
            }
            Command::SlowDown { .. } | Command::SlowDownForHolidays { .. } => Op::SlowDown,
            Command::RecordFinalDistributorNotice => Op::ReviewMail,
            Command::Triage(_)
            | Command::RecordPublicFilingConsent { .. }
            | Command::RequestInformation { .. } => Op::Triage,
            Command::CloseUnanswered { .. } => Op::CloseUnanswered,
            Command::ReportEmbargoBreak { .. } => Op::ReportEmbargoBreak,
            Command::AssessEmbargoBreak { .. } => Op::AssessEmbargoBreak,
            Command::RecordCve { .. } | Command::WaiveCve { .. } => Op::RecordCve,
            Command::DraftAnnouncement { .. } => Op::DraftAnnouncement,
            Command::Release { .. } => Op::Release,
            Command::RecordCredit(_) => Op::RecordCredit,
            Command::RecordAdvisory { .. } | Command::EditRecord(_) => Op::RecordAdvisory,
            Command::MessageReporter { .. } => Op::MessageReporter,
            Command::ReporterReply { .. } => Op::ReplyAsReporter,
            Command::HoldRetrospective { .. } | Command::Close => Op::Close,
            Command::LinkFixRepository(_) => Op::RecordFixWork,
            Command::ReadFixBranch { .. } | Command::RecordCherryPickPlan(_) => {
                Op::ReadFixRepository
            }
            Command::ResolveCherryPick { .. } => Op::Release,
            Command::RequestCveReservation => Op::RecordCve,
            Command::RecordReservedCve { .. }
            | Command::RecordCveRecordState { .. }
            | Command::RecordGitHubIssue { .. }
            | Command::RecordGitHubAdvisory { .. }
            | Command::RecordGitHubAdvisoryPublished { .. }
            | Command::RecordGitHubAccessRevoked { .. }
            | Command::Publish => Op::RecordServiceResult,
        }
    }
}
