//! The rules: may this actor run this command on this case now?
//!
//! [`decide`] is the only function that turns a command into changes. It
//! first asks [`authorize`] (who), then checks the process rules (what and
//! when), and either refuses with the rule that said no or returns the
//! changes to record. It never changes the case itself: the caller stores
//! the changes and folds them, so a refusal leaves nothing behind.

mod disclosure;
mod fix;
mod release;

use jiff::Timestamp;
use psirt_cvss::{Vector, Version};

use crate::access::{Actor, Denied, authorize};
use crate::case::Case;
use crate::command::Command;
use crate::event::{Change, NewReport};
use crate::ids::CaseRef;
use crate::policy::Policy;
use crate::rotation::RosterEntry;

pub use crate::rule::Rule;
pub use disclosure::distributors_suggested;
pub use release::{may_release, public_instant};

/// Why a command was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0}")]
    Rule(Rule),
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl From<Rule> for Refusal {
    fn from(rule: Rule) -> Refusal {
        Refusal::Rule(rule)
    }
}

pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A person's free text on a case (a reason, notes, steps, a message to
/// the reporter, …): a [`crate::Text`], so trimmed, not empty, bounded,
/// and without a control character other than a newline or a tab; a
/// refusal names the field. Kept as the `String` the changes carry.
pub(crate) fn text(field: &'static str, value: &str, max: usize) -> Result<String, Refusal> {
    crate::Text::new(field, value, max).map(crate::Text::into_string)
}

/// Verbatim material kept as it came (a report's body, a reporter's reply
/// by mail, a patch, what git or a service answered): trimmed, not empty,
/// without NUL, bounded, and otherwise as given, since refusing a stray
/// control character there would lose what someone sent. Fields with a
/// stricter form (a summary, a title) check it on top.
pub(crate) fn verbatim(field: &'static str, value: &str, max: usize) -> Result<String, Refusal> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.contains('\0') {
        return Err(invalid(field, "must not contain a NUL character"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_string())
}

/// A link: an absolute http(s) URL, or where `mail` is allowed, a mailto:
/// URL or a Message-ID in angle brackets (a mailing-list discussion).
pub(crate) fn link(field: &'static str, value: &str, mail: bool) -> Result<String, Refusal> {
    let value = text(field, value, 2048)?;
    let web = ["https://", "http://"]
        .iter()
        .any(|p| value.len() > p.len() && value.starts_with(p));
    let mail_ok = mail
        && (value.starts_with("mailto:")
            || (value.starts_with('<') && value.ends_with('>') && value.contains('@')));
    if value.chars().any(char::is_whitespace) || !(web || mail_ok) {
        let expected = if mail {
            "an http(s) URL, a mailto: URL or a <Message-ID>"
        } else {
            "an http(s) URL"
        };
        return Err(invalid(field, format!("{value:?} is not {expected}")));
    }
    Ok(value)
}

fn optional_link(field: &'static str, value: Option<&str>) -> Result<Option<String>, Refusal> {
    value
        .filter(|v| !v.trim().is_empty())
        .map(|v| link(field, v, false))
        .transpose()
}

const SHORT: usize = 300;
const LONG: usize = 100_000;

/// Validates a new report and returns the changes that open the case: the
/// report itself and its acknowledgement, recorded together so that an
/// acknowledged report is never lost.
pub fn open_case(
    report: NewReport,
    reference: CaseRef,
    policy: Policy,
) -> Result<Vec<Change>, Refusal> {
    let summary = verbatim("summary", &report.summary, SHORT)?;
    if summary.contains(['\n', '\r']) {
        return Err(invalid("summary", "must be a single line"));
    }
    if summary.chars().any(char::is_control) {
        return Err(invalid(
            "summary",
            "must not contain control characters (such as ESC or BEL)",
        ));
    }
    let details = verbatim("details", report.details.expose(), 1_000_000)?;
    let public_link = optional_link("public_link", report.public_link.as_deref())?;
    if public_link.is_some() && !report.already_public {
        return Err(invalid(
            "public_link",
            "is only given for a report of a vulnerability that is already public",
        ));
    }
    let reporter = report.reporter.map(|mut r| {
        r.name = r
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty());
        r
    });
    if let Some(name) = reporter.as_ref().and_then(|r| r.name.as_ref())
        && name.chars().count() > SHORT
    {
        return Err(invalid(
            "reporter_name",
            format!("must be at most {SHORT} characters"),
        ));
    }
    let project = text("project", &report.project, 64)?;
    policy
        .validate()
        .map_err(|e| invalid("policy", e.to_string()))?;
    Ok(vec![
        Change::Reported {
            reference,
            project,
            summary,
            details: crate::ids::Secret::new(details),
            reporter,
            public_link,
            already_public: report.already_public,
            ai_assisted: report.ai_assisted,
            policy: Box::new(policy),
        },
        Change::Acknowledged,
    ])
}

/// What `decide` needs to know beyond the case.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub now: Timestamp,
    /// The case's project PST in roster order, with the rotation's state.
    pub pst: &'a [RosterEntry],
}

/// Decides a command on a case: the changes to record, or the refusal.
pub fn decide(
    case: &Case,
    actor: &Actor,
    command: Command,
    ctx: Context<'_>,
) -> Result<Vec<Change>, Refusal> {
    authorize(actor, command.operation(), case)?;
    if !case.is_open() {
        return Err(Rule::CaseClosed.into());
    }
    let now = ctx.now;
    let change = match command {
        command @ (Command::LinkFixRepository(_)
        | Command::ReadFixBranch { .. }
        | Command::RecordCherryPickPlan(_)
        | Command::ResolveCherryPick { .. }) => return crate::fix_repo::decide(case, command),
        command @ (Command::RequestCveReservation
        | Command::RecordReservedCve { .. }
        | Command::RecordCveRecordState { .. }) => {
            return crate::cve_services::decide(case, command);
        }
        Command::SlowDownForHolidays { reason, discussion } => {
            disclosure::slow_down_allowed(case)?;
            return crate::calendar::decide_holiday_slow_down(case, &reason, &discussion, now);
        }
        Command::RecordFinalDistributorNotice => return crate::ending::decide_final_notice(case),
        Command::Publish => return crate::ending::decide_publication(case, now),
        Command::Triage(decision) => return crate::triage::decide(case, decision),
        Command::RecordPublicFilingConsent { how } => {
            return crate::triage::decide_consent(case, &how);
        }
        Command::RequestInformation {
            questions,
            template,
        } => return crate::triage::decide_request(case, &questions, template, now),
        Command::CloseUnanswered { template } => {
            return crate::triage::decide_unanswered(case, template, now);
        }
        command @ (Command::RecordGitHubIssue { .. }
        | Command::RecordGitHubAdvisory { .. }
        | Command::RecordGitHubAdvisoryPublished { .. }
        | Command::RecordGitHubAccessRevoked { .. }) => {
            return crate::github::decide(case, command);
        }
        command @ (Command::AssignFixLead { .. }
        | Command::FormFixTeam { .. }
        | Command::AddFixTeamMember { .. }
        | Command::RemoveFixTeamMember { .. }
        | Command::AddFixCommit { .. }
        | Command::ApproveCommit { .. }
        | Command::MarkFixReady
        | Command::ReopenFix { .. }
        | Command::RecordMitigation { .. }) => fix::decide(case, actor, command, ctx)?,
        Command::ProposeCvss { .. }
        | Command::FinalizeCvss { .. }
        | Command::PublishNotice { .. }
            if case.release().is_some() =>
        {
            return Err(Rule::AlreadyReleased.into());
        }
        Command::ProposeCvss { vector } => Change::CvssProposed {
            vector: scorable(vector)?,
        },
        Command::FinalizeCvss { vector } => Change::CvssFinalized {
            vector: scorable(vector)?,
        },
        command @ (Command::PublishNotice { .. }
        | Command::DecideDistributors(_)
        | Command::NotifyDistributors { .. }
        | Command::SetUpstreamEmbargo { .. }
        | Command::MarkPubliclyDisclosed { .. }
        | Command::RequestPrivateHandling
        | Command::RecordPrivateHandlingAnswer { .. }
        | Command::SlowDown { .. }
        | Command::ReportEmbargoBreak { .. }
        | Command::AssessEmbargoBreak { .. }) => disclosure::decide(case, command, now)?,
        command @ (Command::Release { .. }
        | Command::RecordAdvisory { .. }
        | Command::HoldRetrospective { .. }
        | Command::Close) => return release::decide(case, command, ctx),
        Command::RecordCve { cve } => {
            if case.cves.contains(&cve) {
                return Err(Rule::CveAlreadyRecorded.into());
            }
            Change::CveRecorded { cve }
        }
        Command::WaiveCve { reason } => {
            if !case.cves.is_empty() {
                return Err(Rule::WaiverWithCve.into());
            }
            Change::CveWaived {
                reason: text("reason", &reason, LONG)?,
            }
        }
        Command::DraftAnnouncement { text: body } => {
            if case.release().is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            Change::AnnouncementDrafted {
                text: text("text", &body, LONG)?,
            }
        }
        Command::RecordCredit(mut credit) => {
            credit.name = credit.name.map(|n| text("name", &n, SHORT)).transpose()?;
            Change::CreditRecorded(credit)
        }
        Command::EditRecord(edit) => {
            Change::RecordEdited(crate::record::check_edit(&case.record, edit)?)
        }
        Command::MessageReporter { text: body } => Change::MessageToReporter {
            text: text("text", &body, LONG)?,
        },
        Command::ReporterReply { text: body } => Change::ReporterReplied {
            text: verbatim("text", &body, LONG)?,
        },
    };
    Ok(vec![change])
}

fn scorable(vector: Vector) -> Result<Vector, Refusal> {
    if vector.version() == Version::V3_0 {
        return Err(Rule::CvssV30IsReadOnly.into());
    }
    Ok(vector)
}
