//! Triage: the first decision on a report, before the Fix Lead's work.
//!
//! A case is accepted (the process continues), closed as not a
//! vulnerability, closed as a duplicate of another case or of a published
//! advisory, or moved to a public issue (the reporter is offered the text
//! to file, or, with their consent recorded, the team files it). Each
//! decision names a reason from [`TriageReason`] with the team's text, and
//! writes to the reporter from a canned reply ([`CannedReply`]) the project
//! may edit, and the team may edit again per message. Asking the reporter
//! for more information stops the case's clock until they answer; without
//! an answer within the policy's time, psirt closes the case
//! ([`information_request_expired`]).
//!
//! This module decides and renders only: the project's edited templates
//! arrive in the command, chosen by the caller, and nothing here reads a
//! store.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::engine::{Refusal, Rule, invalid, link, text};
use crate::event::Change;
use crate::ids::{CaseRef, CveId};

/// Why the team decided as it did: a short list, with free text beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriageReason {
    /// A vulnerability, confirmed or plausible enough to work on.
    Confirmed,
    /// Outside what the project's security policy covers.
    OutOfScope,
    /// The product works as documented.
    ExpectedBehaviour,
    /// The team could not reproduce it from what the report says.
    NotReproducible,
    /// A hardening suggestion, welcome in public, not a vulnerability.
    Hardening,
    /// Already known: tracked in public, fixed, or reported before.
    KnownIssue,
    /// Claims without evidence (such as generated text with no working
    /// proof of concept).
    Unsubstantiated,
    /// The reporter did not answer a request for more information.
    NoAnswer,
}

impl TriageReason {
    /// The reasons a person may give (`NoAnswer` is psirt's own).
    pub const ALL: [TriageReason; 7] = [
        TriageReason::Confirmed,
        TriageReason::OutOfScope,
        TriageReason::ExpectedBehaviour,
        TriageReason::NotReproducible,
        TriageReason::Hardening,
        TriageReason::KnownIssue,
        TriageReason::Unsubstantiated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriageReason::Confirmed => "confirmed",
            TriageReason::OutOfScope => "out_of_scope",
            TriageReason::ExpectedBehaviour => "expected_behaviour",
            TriageReason::NotReproducible => "not_reproducible",
            TriageReason::Hardening => "hardening",
            TriageReason::KnownIssue => "known_issue",
            TriageReason::Unsubstantiated => "unsubstantiated",
            TriageReason::NoAnswer => "no_answer",
        }
    }

    /// How the reporter's status page and the reply word it.
    pub fn title(self) -> &'static str {
        match self {
            TriageReason::Confirmed => "the team confirmed the vulnerability",
            TriageReason::OutOfScope => "outside the scope of the project's security policy",
            TriageReason::ExpectedBehaviour => "the behaviour is expected and documented",
            TriageReason::NotReproducible => "the team could not reproduce it",
            TriageReason::Hardening => "a hardening suggestion rather than a vulnerability",
            TriageReason::KnownIssue => "the issue is already known",
            TriageReason::Unsubstantiated => "the report does not show a working vulnerability",
            TriageReason::NoAnswer => "no answer to the request for more information",
        }
    }

    pub fn parse(s: &str) -> Option<TriageReason> {
        TriageReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a report duplicates: another case of the project, or an advisory
/// already published (a CVE or GHSA id, with its page where known).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DuplicateOf {
    Case {
        reference: CaseRef,
    },
    Advisory {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
}

impl fmt::Display for DuplicateOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DuplicateOf::Case { reference } => write!(f, "{reference}"),
            DuplicateOf::Advisory { id, url: Some(url) } => write!(f, "{id} ({url})"),
            DuplicateOf::Advisory { id, url: None } => write!(f, "{id}"),
        }
    }
}

/// Who files the public issue a report moves to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum PublicIssue {
    /// The reporter is offered the report's text to file it themself.
    Reporter,
    /// The team filed it, with the reporter's consent on the case.
    Team { url: String },
}

/// The triage decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum TriageOutcome {
    /// The process continues.
    Accepted,
    NotAVulnerability,
    Duplicate {
        of: DuplicateOf,
    },
    MovedToPublicIssue {
        issue: PublicIssue,
    },
    /// Closed by psirt: a request for more information went unanswered.
    Unanswered,
}

impl TriageOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            TriageOutcome::Accepted => "accepted",
            TriageOutcome::NotAVulnerability => "not_a_vulnerability",
            TriageOutcome::Duplicate { .. } => "duplicate",
            TriageOutcome::MovedToPublicIssue { .. } => "moved_to_public_issue",
            TriageOutcome::Unanswered => "unanswered",
        }
    }

    /// Every outcome but acceptance closes the case.
    pub fn closes(&self) -> bool {
        !matches!(self, TriageOutcome::Accepted)
    }

    /// What the reporter's status page says happened.
    pub fn headline(&self) -> String {
        match self {
            TriageOutcome::Accepted => "Accepted: the team is working on your report.".into(),
            TriageOutcome::NotAVulnerability => "Closed: not a vulnerability.".into(),
            TriageOutcome::Duplicate { of } => format!("Closed: a duplicate of {of}."),
            TriageOutcome::MovedToPublicIssue {
                issue: PublicIssue::Reporter,
            } => "Closed here: please file it as a public issue.".into(),
            TriageOutcome::MovedToPublicIssue {
                issue: PublicIssue::Team { url },
            } => format!("Closed here: moved to the public issue {url}."),
            TriageOutcome::Unanswered => {
                "Closed: the request for more information went unanswered.".into()
            }
        }
    }
}

/// A triage decision as recorded on the case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triage {
    pub outcome: TriageOutcome,
    pub reason: TriageReason,
    pub text: String,
    pub at: Timestamp,
}

/// The common answers to a reporter: a project keeps its own wording of
/// each, and a message may be edited again before it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CannedReply {
    Accepted,
    NotAVulnerability,
    OutOfScope,
    NeedMoreInformation,
    KnownIssue,
    Duplicate,
    PublicIssue,
    Unanswered,
}

impl CannedReply {
    pub const ALL: [CannedReply; 8] = [
        CannedReply::Accepted,
        CannedReply::NotAVulnerability,
        CannedReply::OutOfScope,
        CannedReply::NeedMoreInformation,
        CannedReply::KnownIssue,
        CannedReply::Duplicate,
        CannedReply::PublicIssue,
        CannedReply::Unanswered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CannedReply::Accepted => "accepted",
            CannedReply::NotAVulnerability => "not_a_vulnerability",
            CannedReply::OutOfScope => "out_of_scope",
            CannedReply::NeedMoreInformation => "need_more_information",
            CannedReply::KnownIssue => "known_issue",
            CannedReply::Duplicate => "duplicate",
            CannedReply::PublicIssue => "public_issue",
            CannedReply::Unanswered => "unanswered",
        }
    }

    pub fn parse(s: &str) -> Option<CannedReply> {
        CannedReply::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The wording a project starts with. Placeholders: `{reference}`,
    /// `{project}`, `{reason}`, `{text}` (the team's words), `{duplicate_of}`,
    /// `{issue}` (the public issue's address, or the request to file one)
    /// and `{deadline}` (when an unanswered request closes the case).
    pub fn default_text(self) -> &'static str {
        match self {
            CannedReply::Accepted => {
                "Thank you for your report {reference}. The {project} security team has \
                 triaged it and will work on a fix ({reason}).\n\n{text}"
            }
            CannedReply::NotAVulnerability => {
                "Thank you for your report {reference}. After review, the {project} security \
                 team does not consider it a vulnerability: {reason}.\n\n{text}\n\n\
                 The report stays private; the case is closed."
            }
            CannedReply::OutOfScope => {
                "Thank you for your report {reference}. It is {reason}, so the {project} \
                 security team closes it here.\n\n{text}"
            }
            CannedReply::NeedMoreInformation => {
                "Thank you for your report {reference}. The {project} security team needs \
                 more information before it can assess it:\n\n{text}\n\n\
                 Please answer through your status page or by replying to this message. \
                 Without an answer by {deadline}, the case will be closed."
            }
            CannedReply::KnownIssue => {
                "Thank you for your report {reference}. The {project} security team already \
                 knows of this issue ({reason}).\n\n{text}"
            }
            CannedReply::Duplicate => {
                "Thank you for your report {reference}. It describes the same issue as \
                 {duplicate_of}, so the {project} security team closes it as a duplicate.\n\n{text}"
            }
            CannedReply::PublicIssue => {
                "Thank you for your report {reference}. The {project} security team does not \
                 need to handle it privately ({reason}), and it is welcome as a public \
                 issue: {issue}.\n\n{text}"
            }
            CannedReply::Unanswered => {
                "Your report {reference} is closed: the {project} security team asked for more \
                 information and received no answer. You are welcome to report again with \
                 the details."
            }
        }
    }

    /// The reply a decision sends.
    pub fn for_decision(outcome: &TriageOutcome, reason: TriageReason) -> CannedReply {
        match (outcome, reason) {
            (TriageOutcome::Accepted, _) => CannedReply::Accepted,
            (TriageOutcome::NotAVulnerability, TriageReason::OutOfScope) => CannedReply::OutOfScope,
            (TriageOutcome::NotAVulnerability, TriageReason::KnownIssue) => CannedReply::KnownIssue,
            (TriageOutcome::NotAVulnerability, _) => CannedReply::NotAVulnerability,
            (TriageOutcome::Duplicate { .. }, _) => CannedReply::Duplicate,
            (TriageOutcome::MovedToPublicIssue { .. }, _) => CannedReply::PublicIssue,
            (TriageOutcome::Unanswered, _) => CannedReply::Unanswered,
        }
    }
}

/// The values a template's placeholders take.
struct Fill<'a> {
    case: &'a Case,
    reason: Option<TriageReason>,
    text: &'a str,
    duplicate_of: Option<&'a DuplicateOf>,
    issue: Option<&'a PublicIssue>,
    deadline: Option<Timestamp>,
}

fn render(template: &str, fill: &Fill<'_>) -> String {
    let issue = match fill.issue {
        Some(PublicIssue::Team { url }) => url.clone(),
        Some(PublicIssue::Reporter) => {
            "please file it yourself in the project's public issue tracker; the text of your report is below".into()
        }
        None => String::new(),
    };
    let mut out = template
        .replace("{reference}", &fill.case.reference.to_string())
        .replace("{project}", &fill.case.project)
        .replace("{reason}", fill.reason.map_or("", |r| r.title()))
        .replace("{text}", fill.text)
        .replace(
            "{duplicate_of}",
            &fill.duplicate_of.map(|d| d.to_string()).unwrap_or_default(),
        )
        .replace("{issue}", &issue)
        .replace(
            "{deadline}",
            &fill
                .deadline
                .map(|d| d.strftime("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_default(),
        );
    // The reporter files it themself: they get their own words back.
    if matches!(fill.issue, Some(PublicIssue::Reporter)) {
        out.push_str(&format!(
            "\n\n--- Your report ---\n{}\n\n{}\n",
            fill.case.summary,
            fill.case.details.expose()
        ));
    }
    out.trim().to_string()
}

/// The rules of triage, in the process's own words. They reach callers as
/// [`Rule::Triage`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageRule {
    AlreadyTriaged {
        outcome: &'static str,
    },
    AfterRelease,
    DuplicateOfItself,
    /// The team files the public issue only with the reporter's consent.
    ConsentNeeded,
    AlreadyAwaitingInformation,
    NoInformationRequest,
    /// The request for more information has not run out yet.
    NotExpired {
        closes_at: Timestamp,
    },
    /// "Accepted" goes with the reason "confirmed", and only with it.
    ReasonDoesNotFit {
        reason: &'static str,
        outcome: &'static str,
    },
}

impl fmt::Display for TriageRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TriageRule::AlreadyTriaged { outcome } => {
                write!(f, "the case was already triaged ({outcome})")
            }
            TriageRule::AfterRelease => write!(f, "the fix is released: triage is over"),
            TriageRule::DuplicateOfItself => write!(f, "a case cannot duplicate itself"),
            TriageRule::ConsentNeeded => write!(
                f,
                "the team files the public issue only with the reporter's consent: record it first (record_public_filing_consent)"
            ),
            TriageRule::AlreadyAwaitingInformation => {
                write!(f, "the case already waits for the reporter's answer")
            }
            TriageRule::NoInformationRequest => {
                write!(f, "the case does not wait for more information")
            }
            TriageRule::NotExpired { closes_at } => write!(
                f,
                "the request for more information runs until {}",
                closes_at.strftime("%Y-%m-%d %H:%M UTC")
            ),
            TriageRule::ReasonDoesNotFit { reason, outcome } => {
                write!(f, "the reason {reason} does not fit the decision {outcome}")
            }
        }
    }
}

fn refuse(rule: TriageRule) -> Refusal {
    Refusal::Rule(Rule::Triage(rule))
}

/// A person's triage decision, as [`crate::Command::Triage`] carries it.
/// `template`: the reply's wording (the project's canned reply, or the
/// team's edit of it); `None` takes psirt's default.
#[derive(Clone, Debug, PartialEq)]
pub struct TriageDecision {
    pub outcome: TriageOutcome,
    pub reason: TriageReason,
    pub text: String,
    pub template: Option<String>,
}

const TEXT_MAX: usize = 20_000;

fn triageable(case: &Case) -> Result<(), Refusal> {
    if let Some(t) = &case.triage {
        return Err(refuse(TriageRule::AlreadyTriaged {
            outcome: t.outcome.as_str(),
        }));
    }
    if case.release().is_some() {
        return Err(refuse(TriageRule::AfterRelease));
    }
    Ok(())
}

fn template(given: Option<String>, reply: CannedReply) -> Result<String, Refusal> {
    match given {
        Some(t) => text("template", &t, TEXT_MAX),
        None => Ok(reply.default_text().to_string()),
    }
}

/// Decides a triage decision: the decision and the reporter's message.
pub(crate) fn decide(case: &Case, decision: TriageDecision) -> Result<Vec<Change>, Refusal> {
    triageable(case)?;
    let TriageDecision {
        outcome,
        reason,
        text: body,
        template: given,
    } = decision;
    let body = text("text", &body, TEXT_MAX)?;
    let accepted = matches!(outcome, TriageOutcome::Accepted);
    if reason == TriageReason::NoAnswer
        || matches!(outcome, TriageOutcome::Unanswered)
        || accepted != (reason == TriageReason::Confirmed)
    {
        return Err(refuse(TriageRule::ReasonDoesNotFit {
            reason: reason.as_str(),
            outcome: outcome.as_str(),
        }));
    }
    let outcome = match outcome {
        TriageOutcome::Duplicate { of } => TriageOutcome::Duplicate {
            of: duplicate_of(case, of)?,
        },
        TriageOutcome::MovedToPublicIssue {
            issue: PublicIssue::Team { url },
        } => {
            if case.public_filing_consent.is_none() {
                return Err(refuse(TriageRule::ConsentNeeded));
            }
            TriageOutcome::MovedToPublicIssue {
                issue: PublicIssue::Team {
                    url: link("issue_url", &url, false)?,
                },
            }
        }
        other => other,
    };
    let reply = CannedReply::for_decision(&outcome, reason);
    let template = template(given, reply)?;
    let (duplicate_of, issue) = match &outcome {
        TriageOutcome::Duplicate { of } => (Some(of), None),
        TriageOutcome::MovedToPublicIssue { issue } => (None, Some(issue)),
        _ => (None, None),
    };
    let message = render(
        &template,
        &Fill {
            case,
            reason: Some(reason),
            text: &body,
            duplicate_of,
            issue,
            deadline: None,
        },
    );
    Ok(vec![
        Change::Triaged {
            outcome,
            reason,
            text: body,
        },
        Change::MessageToReporter { text: message },
    ])
}

fn duplicate_of(case: &Case, of: DuplicateOf) -> Result<DuplicateOf, Refusal> {
    match of {
        DuplicateOf::Case { reference } if reference == case.reference => {
            Err(refuse(TriageRule::DuplicateOfItself))
        }
        DuplicateOf::Case { reference } => Ok(DuplicateOf::Case { reference }),
        DuplicateOf::Advisory { id, url } => {
            let id = id.trim().to_string();
            let ghsa = id.len() == 19
                && id.starts_with("GHSA-")
                && id[5..]
                    .split('-')
                    .all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_alphanumeric()));
            if !ghsa && id.parse::<CveId>().is_err() {
                return Err(invalid(
                    "duplicate_of",
                    format!("{id:?} is neither a case reference, a CVE id nor a GHSA id"),
                ));
            }
            let url = url
                .filter(|u| !u.trim().is_empty())
                .map(|u| link("duplicate_url", &u, false))
                .transpose()?;
            Ok(DuplicateOf::Advisory { id, url })
        }
    }
}

/// The reporter agreed that the team files the report publicly; `how`
/// says where they said so.
pub(crate) fn decide_consent(case: &Case, how: &str) -> Result<Vec<Change>, Refusal> {
    triageable(case)?;
    Ok(vec![Change::PublicFilingConsented {
        how: text("how", how, TEXT_MAX)?,
    }])
}

/// Asks the reporter for more information: the case's clock stops until
/// they answer.
pub(crate) fn decide_request(
    case: &Case,
    questions: &str,
    given: Option<String>,
    now: Timestamp,
) -> Result<Vec<Change>, Refusal> {
    triageable(case)?;
    if case.information_requested_at.is_some() {
        return Err(refuse(TriageRule::AlreadyAwaitingInformation));
    }
    let questions = text("questions", questions, TEXT_MAX)?;
    let template = template(given, CannedReply::NeedMoreInformation)?;
    let deadline = now
        .saturating_add(case.policy.information_window().to_signed())
        .unwrap_or(Timestamp::MAX);
    let message = render(
        &template,
        &Fill {
            case,
            reason: None,
            text: &questions,
            duplicate_of: None,
            issue: None,
            deadline: Some(deadline),
        },
    );
    Ok(vec![
        Change::InformationRequested { questions },
        Change::MessageToReporter { text: message },
    ])
}

/// When an unanswered request for more information closes the case.
pub fn information_closes_at(case: &Case) -> Option<Timestamp> {
    let since = case.information_requested_at?;
    Some(
        since
            .saturating_add(case.policy.information_window().to_signed())
            .unwrap_or(Timestamp::MAX),
    )
}

/// psirt's question to itself: does `case` wait for an answer that is
/// overdue at `now`? Its job then runs [`crate::Command::CloseUnanswered`].
pub fn information_request_expired(case: &Case, now: Timestamp) -> bool {
    case.is_open() && information_closes_at(case).is_some_and(|at| now >= at)
}

/// psirt closes a case whose request for more information ran out.
pub(crate) fn decide_unanswered(
    case: &Case,
    template: Option<String>,
    now: Timestamp,
) -> Result<Vec<Change>, Refusal> {
    let Some(closes_at) = information_closes_at(case) else {
        return Err(refuse(TriageRule::NoInformationRequest));
    };
    if now < closes_at {
        return Err(refuse(TriageRule::NotExpired { closes_at }));
    }
    let template = self::template(template, CannedReply::Unanswered)?;
    let message = render(
        &template,
        &Fill {
            case,
            reason: Some(TriageReason::NoAnswer),
            text: "",
            duplicate_of: None,
            issue: None,
            deadline: None,
        },
    );
    Ok(vec![
        Change::Triaged {
            outcome: TriageOutcome::Unanswered,
            reason: TriageReason::NoAnswer,
            text: "No answer to the request for more information.".into(),
        },
        Change::MessageToReporter { text: message },
    ])
}

/// Folds the triage events into the case.
pub(crate) fn apply(case: &mut Case, change: &Change, at: Timestamp) {
    match change {
        Change::Triaged {
            outcome,
            reason,
            text,
        } => {
            case.resume(at);
            if outcome.closes() {
                case.closed_at = Some(at);
            }
            case.triage = Some(Triage {
                outcome: outcome.clone(),
                reason: *reason,
                text: text.clone(),
                at,
            });
        }
        Change::PublicFilingConsented { how } => case.public_filing_consent = Some(how.clone()),
        Change::InformationRequested { .. } => case.information_requested_at = Some(at),
        _ => {}
    }
}

impl Case {
    /// The clock runs again: the time it stood still is added to every
    /// pending due time.
    pub(crate) fn resume(&mut self, at: Timestamp) {
        if let Some(since) = self.information_requested_at.take() {
            let stood = at.as_second().saturating_sub(since.as_second()) / 60;
            self.paused_minutes = self.paused_minutes.saturating_add(stood.max(0));
        }
    }

    /// The case waits for the reporter's answer: its clock stands still.
    pub fn awaiting_information(&self) -> bool {
        self.information_requested_at.is_some()
    }
}
