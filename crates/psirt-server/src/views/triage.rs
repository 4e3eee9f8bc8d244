//! Triage as the API shows it: the decision on the case, the request for
//! more information it waits on, and the timeline's triage entries.
//!
//! The core's triage types are not the wire format: each shape here is
//! built field by field, so a change in the core is a compile error here
//! before it is a change in the API.

use psirt_core::{DuplicateOf, PublicIssue, TriageOutcome};

use super::*;

/// The triage decision on a case.
#[derive(Serialize, ToSchema)]
pub struct TriageView {
    /// accepted, not_a_vulnerability, duplicate, moved_to_public_issue,
    /// unanswered.
    pub outcome: &'static str,
    /// One of the short list (`confirmed`, `out_of_scope`, …).
    pub reason: &'static str,
    /// How the reporter's status page words the reason.
    pub reason_title: &'static str,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// What it duplicates: a case reference, a CVE or a GHSA id.
    pub duplicate_of: Option<String>,
    pub duplicate_url: Option<String>,
    /// The public issue the team filed.
    pub public_issue_url: Option<String>,
    /// The reporter was offered the text to file the issue themself.
    pub offered_to_reporter: bool,
}

/// The request for more information the case waits on.
#[derive(Serialize, ToSchema)]
pub struct AwaitingInformationView {
    #[schema(value_type = String, format = DateTime)]
    pub since: Timestamp,
    /// When psirt closes the case without an answer.
    #[schema(value_type = String, format = DateTime)]
    pub closes_at: Timestamp,
}

impl TriageView {
    pub fn new(t: &psirt_core::Triage) -> TriageView {
        let (duplicate_of, duplicate_url) = match &t.outcome {
            TriageOutcome::Duplicate {
                of: DuplicateOf::Case { reference },
            } => (Some(reference.to_string()), None),
            TriageOutcome::Duplicate {
                of: DuplicateOf::Advisory { id, url },
            } => (Some(id.clone()), url.clone()),
            _ => (None, None),
        };
        let (public_issue_url, offered_to_reporter) = match &t.outcome {
            TriageOutcome::MovedToPublicIssue {
                issue: PublicIssue::Team { url },
            } => (Some(url.clone()), false),
            TriageOutcome::MovedToPublicIssue {
                issue: PublicIssue::Reporter,
            } => (None, true),
            _ => (None, false),
        };
        TriageView {
            outcome: t.outcome.as_str(),
            reason: t.reason.as_str(),
            reason_title: t.reason.title(),
            text: t.text.clone(),
            at: t.at,
            duplicate_of,
            duplicate_url,
            public_issue_url,
            offered_to_reporter,
        }
    }
}

impl AwaitingInformationView {
    pub fn of(case: &Case) -> Option<AwaitingInformationView> {
        Some(AwaitingInformationView {
            since: case.information_requested_at?,
            closes_at: psirt_core::information_closes_at(case)?,
        })
    }
}

/// The `data` of a `triaged` timeline entry.
#[derive(Serialize)]
pub struct TriagedData<'a> {
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub of: Option<DuplicateData<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<IssueData<'a>>,
    pub reason: &'static str,
    pub text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DuplicateData<'a> {
    Case {
        reference: psirt_core::CaseRef,
    },
    Advisory {
        id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum IssueData<'a> {
    Reporter,
    Team { url: &'a str },
}

impl<'a> TriagedData<'a> {
    pub fn new(
        outcome: &'a TriageOutcome,
        reason: psirt_core::TriageReason,
        text: &'a str,
    ) -> TriagedData<'a> {
        let (of, issue) = match outcome {
            TriageOutcome::Accepted
            | TriageOutcome::NotAVulnerability
            | TriageOutcome::Unanswered => (None, None),
            TriageOutcome::Duplicate { of } => (
                Some(match of {
                    DuplicateOf::Case { reference } => DuplicateData::Case {
                        reference: *reference,
                    },
                    DuplicateOf::Advisory { id, url } => DuplicateData::Advisory {
                        id,
                        url: url.as_deref(),
                    },
                }),
                None,
            ),
            TriageOutcome::MovedToPublicIssue { issue } => (
                None,
                Some(match issue {
                    PublicIssue::Reporter => IssueData::Reporter,
                    PublicIssue::Team { url } => IssueData::Team { url },
                }),
            ),
        };
        TriagedData {
            outcome: outcome.as_str(),
            of,
            issue,
            reason: reason.as_str(),
            text,
        }
    }
}
