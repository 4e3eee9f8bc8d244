//! Cases: the list, the agenda, one case, its commands and its audit
//! trail. Reading a case is audited by the store.

use super::*;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include closed cases.
    #[serde(default)]
    pub all: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseSummary {
    pub reference: String,
    pub project: String,
    pub summary: String,
    pub open: bool,
    pub urgent: bool,
    pub fix_lead: Option<i64>,
    pub severity: Option<&'static str>,
    pub next_due: Option<MilestoneView>,
}

/// The cases the caller may see.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = Vec<CaseSummary>), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<axum::Json<Vec<CaseSummary>>, ApiError> {
    let cases = state.store.cases(&auth.caller, q.all).await?;
    Ok(axum::Json(
        cases
            .iter()
            .map(|c| CaseSummary {
                reference: c.reference.to_string(),
                project: c.project.clone(),
                summary: c.summary.clone(),
                open: c.is_open(),
                urgent: c.urgent(),
                fix_lead: c.fix_lead.map(|u| u.get()),
                severity: c.cvss_final.as_ref().map(|v| v.severity().as_str()),
                next_due: c
                    .next_due()
                    .map(|(m, _)| MilestoneView::new(&c.milestone(m))),
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// The instant to evaluate at (RFC 3339); default now.
    pub at: Option<String>,
}

/// What is overdue, due soon and next on every open case the caller may see.
#[utoipa::path(get, path = "/api/v1/agenda", tag = "cases", params(AgendaQuery),
    responses((status = 200, body = AgendaView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn agenda(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AgendaQuery>,
) -> Result<axum::Json<AgendaView>, ApiError> {
    let at = match q.at {
        Some(t) => t.parse().map_err(|e: jiff::Error| ApiError::Invalid {
            field: "at".into(),
            reason: e.to_string(),
        })?,
        None => now(),
    };
    let agenda = state.store.agenda(&auth.caller, at).await?;
    Ok(axum::Json(AgendaView::new(&agenda)))
}

/// A case with its milestones and timeline (embargoed; every read is audited).
#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = CaseView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_case(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<CaseView>, ApiError> {
    let record = state.store.case(&auth.caller, reference(&r)?).await?;
    Ok(axum::Json(CaseView::of(&record)))
}

/// Runs one command of the process on a case.
#[utoipa::path(post, path = "/api/v1/cases/{reference}/commands", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    request_body = CommandRequest,
    responses((status = 200, body = CaseView), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn run_command(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
    ApiJson(req): ApiJson<crate::commands::RawCommandRequest>,
) -> Result<axum::Json<CaseView>, ApiError> {
    let reference = reference(&r)?;
    let command = crate::commands::parse_command(req.command)?
        .resolve(&crate::commands::For {
            store: &state.store,
            caller: &auth.caller,
            reference,
        })
        .await?;
    let record = state
        .store
        .execute(
            &auth.caller,
            reference,
            command,
            req.expected_version,
            state.settings.clock.now(),
        )
        .await?;
    Ok(axum::Json(CaseView::of(&record)))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: u64,
    #[schema(value_type = String, format = DateTime)]
    pub at: jiff::Timestamp,
    pub actor: String,
    pub action: String,
    pub origin: String,
    pub detail: String,
}

/// Who saw or changed the case, and when (the PST of its project).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/audit", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<AuditEntryView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn case_audit(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<AuditEntryView>>, ApiError> {
    let entries = state.store.case_audit(&auth.caller, reference(&r)?).await?;
    Ok(axum::Json(
        entries
            .into_iter()
            .map(|e| AuditEntryView {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                action: e.action,
                origin: e.origin,
                detail: e.detail,
            })
            .collect(),
    ))
}
