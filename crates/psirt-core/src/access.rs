//! The one place that decides who may do what, on a case or on the instance.
//!
//! Deny by default: an operation is allowed only if the actor holds one of
//! the standings its row in [`Operation::allowed`] names. Case standings
//! are relative to one case (being Fix Lead of case A says nothing about
//! case B), and being an instance admin grants nothing on cases: admins
//! manage accounts, the PST manages cases. [`authorize`] and
//! [`authorize_instance`] are two doors to the same decision, `decide`.

use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use crate::case::Case;
use crate::ids::UserId;
use crate::summary::CaseSummary;

/// Who is asking, with what the caller already knows about them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person. `pst` says whether they are on the Product
    /// Security Team of the case's project (for instance operations: of any
    /// project); `admin`, whether they administer the instance.
    Person {
        user: UserId,
        pst: bool,
        admin: bool,
    },
    /// A person of a distributor organisation who accepted the embargo
    /// policy themself, whose organisation is approved (not suspended or
    /// removed) and who was not removed from it. Anyone else of a
    /// distributor organisation is a plain `Person` with no standing.
    /// `notified`: their organisation was pre-notified on this case (for
    /// instance operations, and for an organisation's own affairs: false).
    Distributor { user: UserId, notified: bool },
    /// Whoever holds the case's private status link.
    Reporter,
    /// psirt itself (intake, background jobs).
    System,
    /// Nobody signed in.
    Anonymous,
}

impl Actor {
    pub fn as_ref(&self) -> crate::event::ActorRef {
        match *self {
            Actor::Person { user, .. } | Actor::Distributor { user, .. } => {
                crate::event::ActorRef::User(user)
            }
            Actor::Reporter => crate::event::ActorRef::Reporter,
            Actor::System | Actor::Anonymous => crate::event::ActorRef::System,
        }
    }
}

/// What an actor is to one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Everyone, signed in or not.
    Anyone,
    /// Any signed-in person.
    Person,
    /// An instance administrator.
    Admin,
    Pst,
    FixLead,
    FixTeam,
    Reporter,
    System,
    /// A current, accepted member of an approved distributor organisation
    /// (of the case's project, or of the organisation or project asked about).
    Distributor,
    /// A `Distributor` whose organisation was pre-notified on this case.
    NotifiedDistributor,
    /// A signed-in person acting on their own address (their key on file).
    AddressHolder,
    /// A `Distributor` whom the application asked about names as its
    /// voucher.
    NamedVoucher,
    /// A signed-in person the organisation asked about names (removed
    /// ones excepted), whether or not they accepted its embargo policy.
    OrgPerson,
}

/// Facts about the actor and the thing asked about, when that thing is
/// neither a case nor the whole instance: the caller states them (from the
/// store's rows), `authorize_about` decides from them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct About {
    /// The address concerned (a key's) is the actor's own account's.
    pub own_address: bool,
    /// The application concerned names the actor as its voucher.
    pub named_voucher: bool,
    /// The organisation concerned names the actor among its people (and
    /// has not removed them).
    pub org_person: bool,
}

/// Everything that can be done to or read from a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Anonymous intake of a vulnerability report.
    SubmitReport,
    /// Health and the API description.
    ReadPublic,
    /// Sign in with a password.
    SignIn,
    /// See and end one's own session.
    OwnAccount,
    /// List the cases one may see (each filtered by `ViewCase`).
    ListCases,
    /// What is due on the cases one may see.
    ViewAgenda,
    /// Create accounts, issue and revoke their tokens.
    ManageAccounts,
    /// Create projects, set policies, manage PST rosters.
    ManageProjects,
    /// Check the audit log's hash chain.
    VerifyAudit,
    /// Read the instance's operational figures (`/metrics`): request
    /// counts, the outbox's depth and age, steps waiting or failed.
    ReadMetrics,
    /// Read the case's embargoed details and timeline.
    ViewCase,
    /// Who saw the case, and when.
    ViewCaseAudit,
    /// The case's mail: what was sent, to whom, and its delivery state.
    ViewMail,
    /// Approve, edit or discard the drafts the process wrote (notice,
    /// pre-notification, announcement) before anything is sent.
    ReviewMail,
    /// Inbound mail that opened no case: malformed, undecryptable or
    /// automatic messages kept for a person to look at.
    ReviewInbound,
    /// Write to the reporter (shown on their status page).
    MessageReporter,
    /// The reporter writes back through their status link.
    ReplyAsReporter,
    /// Read what the reporter may see: status and messages for them.
    ViewReporterStatus,
    AssignFixLead,
    ManageFixTeam,
    ProposeCvss,
    FinalizeCvss,
    RecordFixWork,
    MarkFixReady,
    ReopenFix,
    PublishNotice,
    NotifyDistributors,
    SetUpstreamEmbargo,
    MarkPubliclyDisclosed,
    NegotiatePrivateHandling,
    SlowDown,
    ReportEmbargoBreak,
    AssessEmbargoBreak,
    RecordCve,
    DraftAnnouncement,
    Release,
    RecordCredit,
    RecordAdvisory,
    Close,
    /// Read the pre-notification of a case: the notice sent to
    /// distributors, not the case (reporter, details and timeline stay
    /// with the team).
    ViewPreNotification,
    /// What distributors sent back on a case: feedback, leaks, answers to
    /// requests for help, and which of them were notified.
    ViewDistributorFeedback,
    /// Record review or test results on a notified case, including
    /// "tested, no issues found".
    RecordDistributorFeedback,
    /// Answer the PST's request for help with drafts and release notes.
    AnswerHelpRequest,
    /// Ask the notified distributors for help with drafts or release notes.
    AskDistributorsForHelp,
    /// Apply for the private distributors list (the form is public).
    ApplyAsDistributor,
    /// Accept the embargo policy, for oneself.
    AcceptEmbargoPolicy,
    /// Confirm or decline vouching for an applicant organisation: only
    /// the member its application names.
    VouchForDistributor,
    /// Add or remove people of one's own distributor organisation.
    ManageDistributorTeam,
    /// The cases notified to one's organisation, while under embargo.
    ListNotifiedCases,
    /// Review applications, approve, reject, suspend or remove
    /// organisations, and see leak counts per organisation.
    ManageDistributors,
    /// Remove a person from an organisation: one of its own current
    /// members, or the PST.
    RemoveDistributorPerson,
    /// Read the pre-notification while it is still a draft, before the
    /// Fix Lead approved it: the team only, never a distributor.
    ViewDraftPreNotification,
    /// See one organisation with its people and timeline: its PST, its
    /// own people, and the member its application names as voucher.
    ViewDistributorOrg,
    /// End a person's acceptance of the embargo policy once the policy's
    /// period since they accepted ran out: psirt itself, on its clock.
    LapseEmbargoAcceptance,
    /// Put an OpenPGP key on file for an address: its own account, an
    /// account manager, or psirt itself (the operator on the machine's
    /// command line, `psirt key add`, acts as psirt: whoever runs the
    /// binary holds the database anyway).
    PutKey,
    /// Read the fix branch and record its commits and cherry-pick plan
    /// (psirt's job does it too).
    ReadFixRepository,
    /// Record what psirt's jobs obtained from other systems (a reserved
    /// CVE id, a published record's state): psirt only.
    RecordServiceResult,
    /// Triage a report: accept it, close it (not a vulnerability, a
    /// duplicate), move it to a public issue, or ask for more information.
    Triage,
    /// Close a case whose request for more information went unanswered:
    /// psirt only, when the policy's time ran out.
    CloseUnanswered,
    /// Edit the project's canned replies to reporters: its PST.
    ManageReplyTemplates,
}

impl Operation {
    pub const ALL: [Operation; 60] = [
        Operation::SubmitReport,
        Operation::ReadPublic,
        Operation::SignIn,
        Operation::OwnAccount,
        Operation::ListCases,
        Operation::ViewAgenda,
        Operation::ManageAccounts,
        Operation::ManageProjects,
        Operation::VerifyAudit,
        Operation::ReadMetrics,
        Operation::ViewCase,
        Operation::ViewCaseAudit,
        Operation::ViewMail,
        Operation::ReviewMail,
        Operation::ReviewInbound,
        Operation::MessageReporter,
        Operation::ReplyAsReporter,
        Operation::ViewReporterStatus,
        Operation::AssignFixLead,
        Operation::ManageFixTeam,
        Operation::ProposeCvss,
        Operation::FinalizeCvss,
        Operation::RecordFixWork,
        Operation::MarkFixReady,
        Operation::ReopenFix,
        Operation::PublishNotice,
        Operation::NotifyDistributors,
        Operation::SetUpstreamEmbargo,
        Operation::MarkPubliclyDisclosed,
        Operation::NegotiatePrivateHandling,
        Operation::SlowDown,
        Operation::ReportEmbargoBreak,
        Operation::AssessEmbargoBreak,
        Operation::RecordCve,
        Operation::DraftAnnouncement,
        Operation::Release,
        Operation::RecordCredit,
        Operation::RecordAdvisory,
        Operation::Close,
        Operation::ViewPreNotification,
        Operation::ViewDistributorFeedback,
        Operation::RecordDistributorFeedback,
        Operation::AnswerHelpRequest,
        Operation::AskDistributorsForHelp,
        Operation::ApplyAsDistributor,
        Operation::AcceptEmbargoPolicy,
        Operation::VouchForDistributor,
        Operation::ManageDistributorTeam,
        Operation::ListNotifiedCases,
        Operation::ManageDistributors,
        Operation::RemoveDistributorPerson,
        Operation::ViewDraftPreNotification,
        Operation::ViewDistributorOrg,
        Operation::PutKey,
        Operation::ReadFixRepository,
        Operation::RecordServiceResult,
        Operation::LapseEmbargoAcceptance,
        Operation::Triage,
        Operation::CloseUnanswered,
        Operation::ManageReplyTemplates,
    ];

    /// Who may do it. The seed's words decide each row: "the Fix Lead makes
    /// the final call on the calculated CVSS", "the Fix Lead will create a
    /// github issue", "the PST will assess the damage", and so on.
    pub fn allowed(self) -> &'static [Standing] {
        use Standing::*;
        const ON_CASE: &[Standing] = &[Pst, FixLead, FixTeam];
        match self {
            Operation::SubmitReport | Operation::ReadPublic | Operation::SignIn => &[Anyone],
            Operation::OwnAccount => &[Person],
            Operation::ListCases | Operation::ViewAgenda => &[Person],
            Operation::ManageAccounts
            | Operation::ManageProjects
            | Operation::VerifyAudit
            | Operation::ReadMetrics => &[Admin],
            Operation::ViewCase => ON_CASE,
            Operation::ViewCaseAudit => &[Pst],
            Operation::ViewMail => ON_CASE,
            // "The Fix Lead will email the patches", "the Fix Lead will
            // inform all users": the Fix Lead sends, the PST may stand in.
            Operation::ReviewMail => &[Pst, FixLead],
            Operation::ReviewInbound => &[Pst],
            Operation::MessageReporter => ON_CASE,
            Operation::ReplyAsReporter => &[Reporter],
            Operation::ViewReporterStatus => &[Pst, FixLead, FixTeam, Reporter],
            Operation::AssignFixLead => &[Pst],
            Operation::ManageFixTeam => &[FixLead],
            Operation::ProposeCvss => ON_CASE,
            Operation::FinalizeCvss => &[FixLead],
            Operation::RecordFixWork => ON_CASE,
            Operation::MarkFixReady => &[FixLead, FixTeam],
            Operation::ReopenFix => &[FixLead],
            Operation::PublishNotice => &[FixLead],
            Operation::NotifyDistributors => &[FixLead],
            Operation::SetUpstreamEmbargo => &[Pst, FixLead],
            Operation::MarkPubliclyDisclosed => &[Pst, FixLead, FixTeam, System],
            Operation::NegotiatePrivateHandling => &[Pst],
            // "The Fix Team can decide to slow the release process down."
            Operation::SlowDown => &[Pst, FixLead, FixTeam],
            // "You must urgently inform [the PST] of exactly what
            // information leaked and to whom": a notified distributor too.
            Operation::ReportEmbargoBreak => &[Pst, FixLead, FixTeam, NotifiedDistributor],
            Operation::AssessEmbargoBreak => &[Pst],
            Operation::RecordCve => &[FixLead],
            Operation::DraftAnnouncement => ON_CASE,
            Operation::Release => &[FixLead],
            Operation::RecordCredit => &[Pst, FixLead, FixTeam, Reporter],
            // psirt records the advisories it publishes at the instant.
            Operation::RecordAdvisory => &[Pst, FixLead, System],
            Operation::Close => &[Pst, FixLead],
            Operation::ViewPreNotification => &[Pst, FixLead, FixTeam, NotifiedDistributor],
            Operation::ViewDistributorFeedback => ON_CASE,
            // "Review and/or test the proposed patches [...] and inform the
            // list of the work done even if no issues were encountered."
            Operation::RecordDistributorFeedback => &[NotifiedDistributor],
            // "Help draft emails to the public disclosure mailing list.
            // Help with release notes."
            Operation::AnswerHelpRequest => &[NotifiedDistributor],
            Operation::AskDistributorsForHelp => &[Pst, FixLead],
            Operation::ApplyAsDistributor => &[Anyone],
            Operation::AcceptEmbargoPolicy => &[Person],
            // "Have someone already on the list vouch for the person
            // requesting membership."
            Operation::VouchForDistributor => &[NamedVoucher],
            // "Before any information from the list is shared with
            // respective members of your team [...] they must agree to the
            // same terms": a member adds them; they accept themselves.
            Operation::ManageDistributorTeam => &[Distributor],
            Operation::ListNotifiedCases => &[Distributor],
            Operation::ManageDistributors => &[Pst],
            Operation::RemoveDistributorPerson => &[Distributor, Pst],
            Operation::ViewDraftPreNotification => ON_CASE,
            Operation::ViewDistributorOrg => &[OrgPerson, NamedVoucher, Pst],
            Operation::PutKey => &[AddressHolder, Admin, System],
            Operation::ReadFixRepository => &[Pst, FixLead, FixTeam, System],
            Operation::RecordServiceResult => &[System],
            Operation::LapseEmbargoAcceptance => &[System],
            // Issue 18: "PST and the Fix Lead may triage".
            Operation::Triage => &[Pst, FixLead],
            Operation::CloseUnanswered => &[System],
            Operation::ManageReplyTemplates => &[Pst],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Operation::SubmitReport => "submit a report",
            Operation::ReadPublic => "read public information",
            Operation::SignIn => "sign in",
            Operation::OwnAccount => "use one's own account",
            Operation::ListCases => "list cases",
            Operation::ViewAgenda => "view the agenda",
            Operation::ManageAccounts => "manage accounts",
            Operation::ManageProjects => "manage projects",
            Operation::VerifyAudit => "verify the audit log",
            Operation::ReadMetrics => "read the instance's operational figures",
            Operation::ViewCase => "view the case",
            Operation::ViewCaseAudit => "see who viewed the case",
            Operation::ViewMail => "see the case's mail",
            Operation::ReviewMail => "review the case's draft mail",
            Operation::ReviewInbound => "review inbound mail that opened no case",
            Operation::MessageReporter => "write to the reporter",
            Operation::ReplyAsReporter => "reply as the reporter",
            Operation::ViewReporterStatus => "view the reporter's status page",
            Operation::AssignFixLead => "assign the Fix Lead",
            Operation::ManageFixTeam => "form or change the Fix Team",
            Operation::ProposeCvss => "propose a CVSS vector",
            Operation::FinalizeCvss => "make the CVSS vector final",
            Operation::RecordFixWork => "record fix commits, LGTMs and mitigations",
            Operation::MarkFixReady => "mark the fix ready",
            Operation::ReopenFix => "reopen the fix",
            Operation::PublishNotice => "publish the forthcoming-fix notice",
            Operation::NotifyDistributors => "decide on and send the distributor pre-notification",
            Operation::SetUpstreamEmbargo => "set an upstream embargo",
            Operation::MarkPubliclyDisclosed => "mark the case publicly disclosed",
            Operation::NegotiatePrivateHandling => "ask the reporter for private handling",
            Operation::SlowDown => "slow the case down",
            Operation::ReportEmbargoBreak => "report an embargo break",
            Operation::AssessEmbargoBreak => "assess an embargo break",
            Operation::RecordCve => "record the CVE",
            Operation::DraftAnnouncement => "draft the announcement",
            Operation::Release => "release the fix",
            Operation::RecordCredit => "record a credit",
            Operation::RecordAdvisory => "record an advisory",
            Operation::Close => "close the case",
            Operation::ViewPreNotification => "read the distributor pre-notification",
            Operation::ViewDistributorFeedback => "see what distributors sent back",
            Operation::RecordDistributorFeedback => "record review and test results",
            Operation::AnswerHelpRequest => "answer a request for help",
            Operation::AskDistributorsForHelp => "ask distributors for help",
            Operation::ApplyAsDistributor => "apply for the distributors list",
            Operation::AcceptEmbargoPolicy => "accept the embargo policy",
            Operation::VouchForDistributor => "vouch for an applicant",
            Operation::ManageDistributorTeam => "add or remove people of the organisation",
            Operation::ListNotifiedCases => "list the cases notified to the organisation",
            Operation::ManageDistributors => "manage the distributors list",
            Operation::RemoveDistributorPerson => "remove a person from the organisation",
            Operation::ViewDraftPreNotification => "read the draft pre-notification",
            Operation::ViewDistributorOrg => "see the organisation",
            Operation::PutKey => "put an OpenPGP key on file for this address",
            Operation::ReadFixRepository => "read the fix repository",
            Operation::RecordServiceResult => "record what psirt obtained from another system",
            Operation::LapseEmbargoAcceptance => {
                "end an acceptance of the embargo policy that ran out"
            }
            Operation::Triage => "triage the report",
            Operation::CloseUnanswered => {
                "close a case whose request for information went unanswered"
            }
            Operation::ManageReplyTemplates => "edit the project's canned replies",
        }
    }
}

/// An access refusal. It says what was refused and who may do it, never
/// anything about the case's content.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("only {who} may {what}")]
pub struct Denied {
    pub operation: Operation,
    pub what: &'static str,
    pub who: String,
}

/// Whether the operation concerns one case (and so needs one to decide).
impl Operation {
    pub fn on_case(self) -> bool {
        !matches!(
            self,
            Operation::SubmitReport
                | Operation::ReadPublic
                | Operation::SignIn
                | Operation::OwnAccount
                | Operation::ListCases
                | Operation::ViewAgenda
                | Operation::ManageAccounts
                | Operation::ManageProjects
                | Operation::VerifyAudit
                | Operation::ReadMetrics
                | Operation::ReviewInbound
                | Operation::ApplyAsDistributor
                | Operation::AcceptEmbargoPolicy
                | Operation::VouchForDistributor
                | Operation::ManageDistributorTeam
                | Operation::ListNotifiedCases
                | Operation::ManageDistributors
                | Operation::RemoveDistributorPerson
                | Operation::ViewDistributorOrg
                | Operation::PutKey
                | Operation::LapseEmbargoAcceptance
                | Operation::ManageReplyTemplates
        )
    }
}

/// What a case decision reads of the case: the case itself, or its
/// summary (for listings, which read the projection), which carries the
/// same Fix Lead and Fix Team.
#[derive(Clone, Copy)]
enum Subject<'a> {
    Case(&'a Case),
    Summary(&'a CaseSummary),
}

impl Subject<'_> {
    fn fix_lead(self) -> Option<UserId> {
        match self {
            Subject::Case(c) => c.fix_lead(),
            Subject::Summary(s) => s.fix_lead,
        }
    }

    fn fix_team(&self) -> &BTreeSet<UserId> {
        match self {
            Subject::Case(c) => &c.fix_team,
            Subject::Summary(s) => &s.fix_team,
        }
    }

    /// `user`'s access as a Fix Team member ended with the case.
    fn access_ended(self, user: UserId) -> bool {
        match self {
            Subject::Case(c) => c.ended.fix_team_member_cut(user),
            Subject::Summary(s) => s.access_ended.contains(&user),
        }
    }

    /// The notified distributors' access ended with the publication.
    fn distributor_access_ended(self) -> bool {
        match self {
            Subject::Case(c) => c.ended.distributor_access.is_some(),
            // Listings never give a distributor standing.
            Subject::Summary(_) => true,
        }
    }
}

/// The actor's standings, on `case` where there is one.
pub fn standings(actor: &Actor, case: Option<&Case>) -> Vec<Standing> {
    standings_about(actor, case.map(Subject::Case), About::default())
}

/// [`standings`] with the facts `about` the thing asked about.
fn standings_about(actor: &Actor, case: Option<Subject<'_>>, about: About) -> Vec<Standing> {
    let mut s = vec![Standing::Anyone];
    match *actor {
        Actor::Person { user, pst, admin } => {
            s.push(Standing::Person);
            if about.own_address {
                s.push(Standing::AddressHolder);
            }
            if about.org_person {
                s.push(Standing::OrgPerson);
            }
            if admin {
                s.push(Standing::Admin);
            }
            if pst {
                s.push(Standing::Pst);
            }
            if let Some(case) = case {
                if case.fix_lead() == Some(user) {
                    s.push(Standing::FixLead);
                }
                // Access that ends with the case: a Fix Team member not on
                // the PST loses it when the policy says (release or close).
                if case.fix_team().contains(&user) && !case.access_ended(user) {
                    s.push(Standing::FixTeam);
                }
            }
        }
        Actor::Distributor { notified, .. } => {
            s.push(Standing::Person);
            s.push(Standing::Distributor);
            if about.own_address {
                s.push(Standing::AddressHolder);
            }
            if about.named_voucher {
                s.push(Standing::NamedVoucher);
            }
            if about.org_person {
                s.push(Standing::OrgPerson);
            }
            // A notified distributor's portal access to the case ends
            // at its publication.
            if notified && case.is_some_and(|c| !c.distributor_access_ended()) {
                s.push(Standing::NotifiedDistributor);
            }
        }
        Actor::Reporter => s.push(Standing::Reporter),
        Actor::System => s.push(Standing::System),
        Actor::Anonymous => {}
    }
    s
}

/// Decides whether `actor` may perform the case operation `op` on `case`.
pub fn authorize(actor: &Actor, op: Operation, case: &Case) -> Result<(), Denied> {
    decide(actor, op, Some(Subject::Case(case)), About::default())
}

/// [`authorize`] on a case's summary: the same decision, for listings that
/// read summaries instead of folding each case.
pub fn authorize_summary(actor: &Actor, op: Operation, case: &CaseSummary) -> Result<(), Denied> {
    decide(actor, op, Some(Subject::Summary(case)), About::default())
}

/// Decides whether `actor` may perform the instance operation `op`.
pub fn authorize_instance(actor: &Actor, op: Operation) -> Result<(), Denied> {
    decide(actor, op, None, About::default())
}

/// [`authorize_instance`] with the facts `about` the thing asked about
/// (whose key, whose application): what own-key and voucher operations
/// need.
pub fn authorize_about(actor: &Actor, op: Operation, about: About) -> Result<(), Denied> {
    decide(actor, op, None, about)
}

/// The decision. A case operation asked without its case is denied.
fn decide(
    actor: &Actor,
    op: Operation,
    case: Option<Subject<'_>>,
    about: About,
) -> Result<(), Denied> {
    let allowed = op.allowed();
    let scoped = op.on_case() == case.is_some();
    if scoped
        && standings_about(actor, case, about)
            .iter()
            .any(|s| allowed.contains(s))
    {
        return Ok(());
    }
    let who: Vec<&str> = allowed
        .iter()
        .map(|s| match s {
            Standing::Anyone => "anyone",
            Standing::Person => "a signed-in person",
            Standing::Admin => "an administrator",
            Standing::Pst => "the Product Security Team",
            Standing::FixLead => "the Fix Lead",
            Standing::FixTeam => "the Fix Team",
            Standing::Reporter => "the reporter",
            Standing::System => "psirt itself",
            Standing::Distributor => {
                "a member of the distributors list who accepted its embargo policy"
            }
            Standing::NotifiedDistributor => "a distributor notified of this case",
            Standing::AddressHolder => "the address's own account",
            Standing::NamedVoucher => "the member of the list the application names as voucher",
            Standing::OrgPerson => "the organisation's own people",
        })
        .collect();
    let who = match who.as_slice() {
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
        [] => "no one".to_string(),
    };
    Err(Denied {
        operation: op,
        what: op.as_str(),
        who,
    })
}
