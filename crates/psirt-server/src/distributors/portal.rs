//! The portal over the API: a notified case's pre-notification, the
//! distributors' feedback, leaks and help with drafts, and which
//! organisations were notified.

use super::*;

/// The case's pre-notification as sent: the notice only (an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/pre-notification", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = PreNotificationView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn pre_notification(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<PreNotificationView>, ApiError> {
    let notice = state
        .store
        .pre_notification(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(PreNotificationView::new(&notice)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// `review` or `test`.
    pub kind: String,
    /// `issues_found` or `no_issues_found` ("tested, no issues found").
    pub outcome: String,
    pub text: String,
}

/// Parses a feedback kind and outcome, naming the field at fault.
pub(crate) fn feedback_kind(
    kind: &str,
    outcome: &str,
) -> Result<(FeedbackKind, Outcome), ApiError> {
    let kind = FeedbackKind::parse(kind.trim())
        .ok_or_else(|| invalid("kind", "must be review or test"))?;
    let outcome = Outcome::parse(outcome.trim())
        .ok_or_else(|| invalid("outcome", "must be issues_found or no_issues_found"))?;
    Ok((kind, outcome))
}

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Recorded {
    pub id: i64,
}

/// A notified distributor records a review or test result, including
/// "tested, no issues found".
#[utoipa::path(post, path = "/api/v1/cases/{reference}/distributor-feedback", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = FeedbackRequest,
    responses((status = 201, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn record_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<FeedbackRequest>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    let reference = reference(&r)?;
    let (kind, outcome) = feedback_kind(&req.kind, &req.outcome)?;
    let id = state
        .store
        .record_distributor_feedback(&auth.caller, reference, kind, outcome, &req.text, now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id })))
}

/// What distributors sent back on the case (the team; an audited read).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/distributor-feedback", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<FeedbackView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<FeedbackView>>, ApiError> {
    let feedback = state
        .store
        .distributor_feedback(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(feedback.iter().map(FeedbackView::new).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeakRequest {
    /// What leaked.
    pub what: String,
    /// To whom.
    pub to_whom: String,
    /// When (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub when: jiff::Timestamp,
    /// The organisation responsible, by name, where known.
    pub responsible: Option<String>,
}

/// What a leak report answers: never the case itself, which a
/// distributor may not see.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct LeakRecorded {
    pub reference: String,
    /// The embargo breaks now on the case, for the PST to assess.
    pub embargo_breaks: usize,
}

/// Reports a leak: opens the embargo-break assessment on the case and ties
/// the leak to the organisation responsible, where known.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/leaks", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = LeakRequest,
    responses((status = 201, body = LeakRecorded), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn report_leak(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<LeakRequest>,
) -> Result<(StatusCode, axum::Json<LeakRecorded>), ApiError> {
    let leak = NewLeak {
        what: req.what,
        to_whom: req.to_whom,
        when: req.when,
        responsible: req.responsible.filter(|r| !r.trim().is_empty()),
    };
    let record = state
        .store
        .report_leak(&auth.caller, reference(&r)?, leak, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(LeakRecorded {
            reference: record.case.reference.to_string(),
            embargo_breaks: record.case.embargo_breaks.len(),
        }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpRequestInput {
    /// `announcement_draft` or `release_notes`.
    pub topic: String,
    pub text: String,
}

/// The PST or the Fix Lead asks the notified distributors for help with
/// drafts or release notes.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/help-requests", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = HelpRequestInput,
    responses((status = 201, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn ask_for_help(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<HelpRequestInput>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    let reference = reference(&r)?;
    let topic = HelpTopic::parse(req.topic.trim())
        .ok_or_else(|| invalid("topic", "must be announcement_draft or release_notes"))?;
    let id = state
        .store
        .ask_distributors_for_help(&auth.caller, reference, topic, &req.text, now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id })))
}

/// The case's requests for help (the team and notified distributors; an
/// audited read).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/help-requests", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<HelpRequestView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn help_requests(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<HelpRequestView>>, ApiError> {
    let requests = state
        .store
        .help_requests(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(
        requests.iter().map(HelpRequestView::new).collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpAnswer {
    pub text: String,
}

/// A notified distributor answers a request for help.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/help-requests/{id}/answers", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"), ("id" = i64, Path, description = "The request")),
    request_body = HelpAnswer,
    responses((status = 201, body = Recorded), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem), (status = 409, body = Problem)))]
pub(crate) async fn answer_help(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, id)): ApiPath<(String, i64)>,
    ApiJson(req): ApiJson<HelpAnswer>,
) -> Result<(StatusCode, axum::Json<Recorded>), ApiError> {
    let reference = reference(&r)?;
    let id = state
        .store
        .answer_help_request(&auth.caller, reference, id, &req.text, now())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(Recorded { id })))
}

/// Per distributor with a copy of the case's pre-notification: notified,
/// pending, or not notified and why (those who may see the case's mail).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/distributor-notifications", tag = "distributors",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<NotificationStatusView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn notifications(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<NotificationStatusView>>, ApiError> {
    let rows = state
        .store
        .distributor_notifications(&auth.caller, reference(&r)?)
        .await?;
    Ok(axum::Json(
        rows.iter().map(NotificationStatusView::new).collect(),
    ))
}
