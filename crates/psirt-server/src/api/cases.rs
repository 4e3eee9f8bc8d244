//! Cases: the list, the agenda, one case, its commands and its audit
//! trail. Reading a case is audited by the store.

use super::*;
use crate::auth::{Reader, unknown_token};

/// A page of the case list: keyset-paged by case (oldest first), at most
/// `psirt_store::MAX_PAGE` (200) cases a page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include closed cases (the same as `state=all`; ignored when `state`
    /// is given).
    #[serde(default)]
    pub all: bool,
    /// Cases per page, from 1 to 200 (default 50); more is refused (422).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, as given (opaque).
    pub cursor: Option<String>,
    /// Only the cases of this project.
    pub project: Option<String>,
    /// `open` (the default: not closed), `closed`, `released` (closed since
    /// or not) or `all`.
    pub state: Option<String>,
    /// Only the cases whose Fix Lead is this user id.
    pub fix_lead: Option<i64>,
}

impl ListQuery {
    /// The store's query; a bad value is a 422 naming its parameter.
    pub(crate) fn to_store(&self) -> Result<psirt_store::ListQuery, ApiError> {
        let state = match &self.state {
            Some(s) => s.parse()?,
            None if self.all => psirt_store::StateFilter::All,
            None => psirt_store::StateFilter::Open,
        };
        let fix_lead = self.fix_lead.map(psirt_core::UserId::new);
        Ok(psirt_store::ListQuery {
            limit: match self.limit {
                Some(n) => psirt_store::PageSize::new(n)?,
                None => psirt_store::PageSize::default(),
            },
            cursor: self.cursor.clone(),
            project: self.project.clone(),
            state,
            fix_lead,
        })
    }
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

impl CaseSummary {
    pub fn of(c: &psirt_core::CaseSummary) -> CaseSummary {
        CaseSummary {
            reference: c.reference.to_string(),
            project: c.project.clone(),
            summary: c.summary.clone(),
            open: c.open,
            urgent: c.urgent,
            fix_lead: c.fix_lead.map(|u| u.get()),
            severity: c.score.map(|s| s.severity().as_str()),
            next_due: c.next_due.map(|(m, d)| MilestoneView::pending(m, d)),
        }
    }
}

/// One page of cases, and where the next one starts.
#[derive(Debug, Serialize, ToSchema)]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The cases the caller may see, one page at a time.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    responses((status = 200, body = CasePage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn list_cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<axum::Json<CasePage>, ApiError> {
    let page = state.store.case_page(&auth.caller, &q.to_store()?).await?;
    Ok(axum::Json(CasePage {
        cases: page.items.iter().map(CaseSummary::of).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A page of the agenda: the open cases the caller may see, most pressing
/// first, at most `psirt_store::MAX_PAGE` (200) a page.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaQuery {
    /// The instant to evaluate at (RFC 3339); default now.
    pub at: Option<String>,
    /// Cases per page, from 1 to 200 (default 50); more is refused (422).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page, as given (opaque).
    pub cursor: Option<String>,
    /// Only the cases of this project.
    pub project: Option<String>,
    /// Only the cases whose Fix Lead is this user id.
    pub fix_lead: Option<i64>,
}

/// One page of the agenda, and where the next one starts.
#[derive(Serialize, ToSchema)]
pub struct AgendaPage {
    #[serde(flatten)]
    pub agenda: AgendaView,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What is overdue, due soon and next on the open cases the caller may
/// see, one page at a time, most pressing first.
#[utoipa::path(get, path = "/api/v1/agenda", tag = "cases", params(AgendaQuery),
    responses((status = 200, body = AgendaPage), (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn agenda(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<AgendaQuery>,
) -> Result<axum::Json<AgendaPage>, ApiError> {
    let at = match q.at {
        Some(t) => t.parse().map_err(|e: jiff::Error| ApiError::Invalid {
            field: "at".into(),
            reason: e.to_string(),
        })?,
        None => now(),
    };
    let query = ListQuery {
        all: false,
        limit: q.limit,
        cursor: q.cursor,
        project: q.project,
        state: None,
        fix_lead: q.fix_lead,
    }
    .to_store()?;
    let (agenda, page) = state.store.agenda_page(&auth.caller, &query, at).await?;
    Ok(axum::Json(AgendaPage {
        agenda: AgendaView::new(&agenda),
        next_cursor: page.next_cursor,
    }))
}

/// A case with its milestones and timeline (embargoed; every read is audited).
#[utoipa::path(get, path = "/api/v1/cases/{reference}", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = CaseView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_case(
    State(state): State<AppState>,
    reader: Reader,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<CaseView>, ApiError> {
    let record = match reader {
        Reader::Caller(auth) => state.store.case(&auth.caller, reference(&r)?).await?,
        Reader::Token { token, origin } => {
            let reference = match reference(&r) {
                Ok(reference) => reference,
                Err(e) => {
                    // An unknown token is refused first, as behind the
                    // doors that authenticate it themselves.
                    state
                        .store
                        .authenticate(&token.0)
                        .await?
                        .ok_or_else(unknown_token)?;
                    return Err(e);
                }
            };
            let (_, record) = state
                .store
                .case_for_token(&token.0, &origin, reference)
                .await?
                .ok_or_else(unknown_token)?;
            record
        }
    };
    Ok(axum::Json(case_view(&state, &record).await?))
}

/// The case's view with its policy's effects at the server's clock.
async fn case_view(
    state: &AppState,
    record: &psirt_store::CaseRecord,
) -> Result<CaseView, ApiError> {
    let roster: Vec<psirt_core::RosterEntry> = match record.case.policy.triage_rotation {
        true => state
            .store
            .pst(&record.case.project)
            .await?
            .into_iter()
            .map(|m| psirt_core::RosterEntry {
                user: m.user.id,
                available: m.available,
                last_turn: m.last_turn,
            })
            .collect(),
        false => Vec::new(),
    };
    Ok(CaseView::of(record).at(&record.case, state.settings.clock.now(), &roster))
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
    Ok(axum::Json(case_view(&state, &record).await?))
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
