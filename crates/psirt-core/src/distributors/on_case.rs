//! What an organisation does on a case it was notified of (review and test
//! results, answers to the PST's requests for help) and a leak on a case
//! that names it responsible: each decided by [`decide_org_on_case`], which
//! asks `authorize` with the case and returns the organisation's change
//! (its event) or a refusal. The texts themselves are embargoed and stay
//! with the case's rows: the events say only what was done.

use serde::{Deserialize, Serialize};

use crate::access::{Actor, Operation, authorize};
use crate::case::Case;
use crate::engine::{Refusal, Rule};

use super::decide::{OrgChange, check_leak_blame};
use super::org::Org;

/// What a distributor sends back on a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    Review,
    Test,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Review => "review",
            FeedbackKind::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<FeedbackKind> {
        match s {
            "review" => Some(FeedbackKind::Review),
            "test" => Some(FeedbackKind::Test),
            _ => None,
        }
    }
}

/// What a review or test found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    IssuesFound,
    /// "Inform the list of the work done even if no issues were encountered."
    NoIssuesFound,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::IssuesFound => "issues_found",
            Outcome::NoIssuesFound => "no_issues_found",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s.replace('-', "_").as_str() {
            "issues_found" => Some(Outcome::IssuesFound),
            "no_issues_found" => Some(Outcome::NoIssuesFound),
            _ => None,
        }
    }
}

/// What is asked of an organisation about one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgCaseCommand {
    /// A notified distributor records a review or test result.
    RecordFeedback {
        kind: FeedbackKind,
        outcome: Outcome,
    },
    /// A notified distributor answers the PST's request for help `request`.
    AnswerHelp { request: i64 },
    /// A leak reported on the case names this organisation (`responsible`,
    /// its id) as responsible; `reporter_org` is the organisation of the
    /// one reporting, if they are of one.
    BlameLeak {
        responsible: i64,
        reporter_org: Option<i64>,
    },
}

/// Decides `command` on `org` (the caller's organisation notified on
/// `case`, or for a leak the one named responsible; `None` when there is
/// none) for `actor`'s standing on the case: `authorize` first, then the
/// list's rules. The leak itself is the case's `ReportEmbargoBreak`,
/// decided by `crate::decide` before this.
pub fn decide_org_on_case(
    org: Option<&Org>,
    actor: &Actor,
    case: &Case,
    command: OrgCaseCommand,
) -> Result<Vec<OrgChange>, Refusal> {
    let change = match command {
        OrgCaseCommand::RecordFeedback { kind, outcome } => {
            authorize(actor, Operation::RecordDistributorFeedback, case)?;
            OrgChange::FeedbackRecorded {
                case: case.reference,
                kind,
                outcome,
            }
        }
        OrgCaseCommand::AnswerHelp { request } => {
            authorize(actor, Operation::AnswerHelpRequest, case)?;
            OrgChange::HelpAnswered {
                case: case.reference,
                request,
            }
        }
        OrgCaseCommand::BlameLeak {
            responsible,
            reporter_org,
        } => {
            authorize(actor, Operation::ReportEmbargoBreak, case)?;
            check_leak_blame(actor, Some(responsible), reporter_org)?;
            OrgChange::LeakBlamed {
                case: case.reference,
            }
        }
    };
    if org.is_none() {
        return Err(Rule::NotAPerson {
            who: None,
            organisation: "an organisation notified on this case".into(),
        }
        .into());
    }
    Ok(vec![change])
}
