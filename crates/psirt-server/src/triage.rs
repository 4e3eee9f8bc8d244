//! Triage over the API: the `triage` command's values read into the
//! core's types, the reply each message starts from (the team's edit, the
//! project's canned reply, or psirt's default), and the project's canned
//! replies, read and edited by its PST.
//!
//! Deciding is the core's (`psirt_core::decide`); who may edit the
//! templates is `authorize`'s, asked by the store.

use axum::extract::State;
use psirt_core::{CannedReply, DuplicateOf, PublicIssue, TriageOutcome, TriageReason};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Auth;
use crate::commands::{For, invalid};
use crate::error::{ApiError, ApiJson, ApiPath, Problem};
use crate::{AppState, now};

/// The decision from the command's `outcome` and its companions.
pub fn outcome(
    outcome: &str,
    duplicate_of: Option<String>,
    duplicate_url: Option<String>,
    issue_url: Option<String>,
) -> Result<TriageOutcome, ApiError> {
    let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
    let (duplicate_of, duplicate_url, issue_url) =
        (given(duplicate_of), given(duplicate_url), given(issue_url));
    let unexpected = |field: &str| {
        invalid(
            &format!("command.{field}"),
            format!("does not go with the outcome {outcome}"),
        )
    };
    if outcome != "duplicate" && (duplicate_of.is_some() || duplicate_url.is_some()) {
        return Err(unexpected("duplicate_of"));
    }
    if outcome != "moved_to_public_issue" && issue_url.is_some() {
        return Err(unexpected("issue_url"));
    }
    Ok(match outcome {
        "accepted" => TriageOutcome::Accepted,
        "not_a_vulnerability" => TriageOutcome::NotAVulnerability,
        "duplicate" => {
            let of = duplicate_of.ok_or_else(|| {
                invalid(
                    "command.duplicate_of",
                    "missing: a case reference, a CVE or a GHSA id",
                )
            })?;
            TriageOutcome::Duplicate {
                of: match of.trim().parse() {
                    Ok(reference) => DuplicateOf::Case { reference },
                    Err(_) => DuplicateOf::Advisory {
                        id: of,
                        url: duplicate_url,
                    },
                },
            }
        }
        "moved_to_public_issue" => TriageOutcome::MovedToPublicIssue {
            issue: match issue_url {
                Some(url) => PublicIssue::Team { url },
                None => PublicIssue::Reporter,
            },
        },
        other => {
            return Err(invalid(
                "command.outcome",
                format!(
                    "{other:?} is not one of accepted, not_a_vulnerability, duplicate, moved_to_public_issue"
                ),
            ));
        }
    })
}

pub fn reason(reason: &str) -> Result<TriageReason, ApiError> {
    TriageReason::parse(reason).ok_or_else(|| {
        let all: Vec<&str> = TriageReason::ALL.iter().map(|r| r.as_str()).collect();
        invalid(
            "command.reason",
            format!("{reason:?} is not one of {}", all.join(", ")),
        )
    })
}

/// The wording a message starts from: the team's edit for this message,
/// else the project's canned reply, else psirt's default (`None`).
pub(crate) async fn template(
    to: &For<'_>,
    reply: CannedReply,
    message: Option<String>,
) -> Result<Option<String>, ApiError> {
    if let Some(m) = message.filter(|m| !m.trim().is_empty()) {
        return Ok(Some(m));
    }
    Ok(to
        .store
        .reply_template_for_case(to.reference, reply)
        .await?)
}

/// One canned reply of a project.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyTemplateView {
    /// accepted, not_a_vulnerability, out_of_scope, need_more_information,
    /// known_issue, duplicate, public_issue, unanswered.
    pub name: &'static str,
    /// The wording, with placeholders `{reference}`, `{project}`,
    /// `{reason}`, `{text}`, `{duplicate_of}`, `{issue}`, `{deadline}`.
    pub body: String,
    /// The project's own wording (else psirt's default).
    pub edited: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplateRequest {
    /// The new wording; `null` goes back to psirt's default.
    pub body: Option<String>,
}

fn reply_name(name: &str) -> Result<CannedReply, ApiError> {
    CannedReply::parse(name).ok_or_else(|| {
        let all: Vec<&str> = CannedReply::ALL.iter().map(|r| r.as_str()).collect();
        ApiError::NotFound(format!(
            "no canned reply {name:?}; there are {}",
            all.join(", ")
        ))
    })
}

/// The project's canned replies to reporters (its PST).
#[utoipa::path(get, path = "/api/v1/projects/{slug}/replies", tag = "cases",
    params(("slug" = String, Path, description = "The project")),
    responses((status = 200, body = Vec<ReplyTemplateView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_replies(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(slug): ApiPath<String>,
) -> Result<axum::Json<Vec<ReplyTemplateView>>, ApiError> {
    let templates = state.store.reply_templates(&auth.caller, &slug).await?;
    Ok(axum::Json(
        templates
            .into_iter()
            .map(|t| ReplyTemplateView {
                name: t.reply.as_str(),
                body: t.body,
                edited: t.edited,
            })
            .collect(),
    ))
}

/// Sets the project's wording of one canned reply, or with `body: null`
/// goes back to psirt's default (its PST).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/replies/{name}", tag = "cases",
    params(("slug" = String, Path, description = "The project"), ("name" = String, Path, description = "The canned reply")),
    request_body = ReplyTemplateRequest,
    responses((status = 200, body = Vec<ReplyTemplateView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn set_reply(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((slug, name)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<ReplyTemplateRequest>,
) -> Result<axum::Json<Vec<ReplyTemplateView>>, ApiError> {
    // Asked first, so that nobody outside the PST learns which names
    // exist: the store decides `ManageReplyTemplates` here.
    state.store.reply_templates(&auth.caller, &slug).await?;
    let reply = reply_name(&name)?;
    state
        .store
        .set_reply_template(&auth.caller, &slug, reply, req.body.as_deref(), now())
        .await?;
    list_replies(State(state), auth, ApiPath(slug)).await
}

/// An earlier case of the same project like this one: a likely duplicate.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionView {
    /// PSIRT-YYYY-NNNN.
    pub reference: String,
    /// Its one-line summary.
    pub summary: String,
    pub open: bool,
    /// How alike, from 0 to 1: the text's likeness raised by each kind of
    /// exact key both share. The same on SQLite and PostgreSQL.
    pub score: f64,
    /// The text's part alone, from 0 to 1.
    pub text_score: f64,
    /// The kinds of exact key both mention: cve, url, package, purl.
    pub matched: Vec<&'static str>,
}

impl SuggestionView {
    pub(crate) fn of(s: &psirt_store::Suggestion) -> SuggestionView {
        SuggestionView {
            reference: s.reference.to_string(),
            summary: s.summary.clone(),
            open: s.open,
            score: (s.likeness.score * 1000.0).round() / 1000.0,
            text_score: (s.likeness.text * 1000.0).round() / 1000.0,
            matched: s.likeness.matched.iter().map(|k| k.as_str()).collect(),
        }
    }
}

/// The likely duplicates of a case: the earlier cases of its project most
/// like it, best first, at most five (whoever may read the case; audited
/// as a read, `case.similar`).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/similar", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<SuggestionView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn similar_cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<SuggestionView>>, ApiError> {
    let reference = crate::api::reference(&r)?;
    let suggestions = state.store.similar(&auth.caller, reference).await?;
    Ok(axum::Json(
        suggestions.iter().map(SuggestionView::of).collect(),
    ))
}
