//! The list's organisations over the API: applications, the voucher's
//! answer, each person's acceptance of the embargo policy, the PST's
//! decisions, an organisation's own people, and its leak counts.

use super::*;

/// Applies for the distributors list (no account needed). Nothing is
/// stored unless every field is right; the people named get accounts
/// and an invitation to set a password and sign in. Naming an
/// existing account never changes its name or key: a key given waits, as
/// `key_pending`, until the person accepts the embargo policy signed in.
#[utoipa::path(post, path = "/api/v1/distributors/applications", tag = "distributors",
    request_body = ApplicationInput,
    responses((status = 201, body = DistributorOrgView, description = "Applied; waits for the voucher"),
        (status = 409, body = Problem, description = "An organisation of that name already applied"),
        (status = 422, body = Problem, description = "A field is wrong; `field` names it, e.g. `people[0].key`"),
        (status = 429, body = Problem)))]
pub(crate) async fn apply(
    State(state): State<AppState>,
    _quota: crate::limits::IntakeQuota,
    auth: Auth,
    ApiJson(req): ApiJson<ApplicationInput>,
) -> Result<(StatusCode, axum::Json<DistributorOrgView>), ApiError> {
    let application = req
        .check(&state.settings.default_project, now())
        .map_err(|mut errors| {
            let (field, reason) = errors.remove(0);
            invalid(field, reason)
        })?;
    let org = state
        .store
        .apply_distributor(&auth.caller, application, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DistributorOrgView::receipt(&org)),
    ))
}

/// A project's organisations (its PST).
#[utoipa::path(get, path = "/api/v1/distributors", tag = "distributors", params(ProjectQuery),
    responses((status = 200, body = Vec<DistributorOrgView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_orgs(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<Vec<DistributorOrgView>>, ApiError> {
    let project = q.or_default(&state);
    let orgs = state.store.distributor_orgs(&auth.caller, &project).await?;
    Ok(axum::Json(
        orgs.iter().map(DistributorOrgView::new).collect(),
    ))
}

/// The organisations the caller is a person of, or vouches for.
#[utoipa::path(get, path = "/api/v1/me/distributors", tag = "distributors",
    responses((status = 200, body = Vec<DistributorOrgView>), (status = 401, body = Problem)))]
pub(crate) async fn my_orgs(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<Vec<DistributorOrgView>>, ApiError> {
    let orgs = state.store.distributor_orgs_of(&auth.caller).await?;
    Ok(axum::Json(
        orgs.iter().map(DistributorOrgView::new).collect(),
    ))
}

/// One organisation with its answers, people and timeline (its PST, its
/// own people, its voucher): the applicant sees the outcome and reason here.
#[utoipa::path(get, path = "/api/v1/distributors/{org}", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_org(
    State(state): State<AppState>,
    auth: Auth,
    org: OrgParam,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    let org = org.id(&state).await?;
    let org = state.store.distributor_org(&auth.caller, org).await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VouchRequest {
    /// `true` confirms, `false` declines (with a reason the applicant sees).
    pub confirm: bool,
    pub reason: Option<String>,
}

/// The member the application names confirms or declines vouching.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/vouch", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    request_body = VouchRequest,
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not waiting for a voucher"), (status = 422, body = Problem)))]
pub(crate) async fn vouch(
    State(state): State<AppState>,
    auth: Auth,
    org: OrgParam,
    ApiJson(req): ApiJson<VouchRequest>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    let org = org.id(&state).await?;
    let org = if req.confirm {
        state
            .store
            .vouch_distributor(&auth.caller, org, req.reason.as_deref(), now())
            .await?
    } else {
        let reason = req.reason.as_deref().unwrap_or("");
        state
            .store
            .decline_distributor(&auth.caller, org, reason, now())
            .await?
    };
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

/// The caller accepts the embargo policy for themself, as a person of the
/// organisation; the time is recorded. Until then they see nothing.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/accept", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "The caller is not a person of it"), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn accept(
    State(state): State<AppState>,
    auth: Auth,
    org: OrgParam,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    let org = org.id(&state).await?;
    let org = state
        .store
        .accept_embargo_policy(&auth.caller, org, now())
        .await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

/// The PST's decisions on an organisation.
#[derive(Debug, Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
    Suspend,
    Reinstate,
    Remove,
}

impl DecisionKind {
    pub const ALL: [DecisionKind; 5] = [
        DecisionKind::Approve,
        DecisionKind::Reject,
        DecisionKind::Suspend,
        DecisionKind::Reinstate,
        DecisionKind::Remove,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
            DecisionKind::Suspend => "suspend",
            DecisionKind::Reinstate => "reinstate",
            DecisionKind::Remove => "remove",
        }
    }

    pub fn parse(s: &str) -> Option<DecisionKind> {
        DecisionKind::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The store's decision; every one but approval needs a reason.
    pub fn with(self, reason: Option<String>) -> Result<OrgDecision, ApiError> {
        let reason = reason.map(|r| r.trim().to_string()).unwrap_or_default();
        if self != DecisionKind::Approve && reason.is_empty() {
            return Err(invalid(
                "reason",
                "give the reason: the organisation sees it",
            ));
        }
        Ok(match self {
            DecisionKind::Approve => OrgDecision::Approve,
            DecisionKind::Reject => OrgDecision::Reject { reason },
            DecisionKind::Suspend => OrgDecision::Suspend { reason },
            DecisionKind::Reinstate => OrgDecision::Reinstate { reason },
            DecisionKind::Remove => OrgDecision::Remove { reason },
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: DecisionKind,
    /// Required for all but `approve`; the organisation sees it.
    pub reason: Option<String>,
}

/// The PST approves, rejects, suspends, reinstates or removes an
/// organisation. Suspension and removal take effect at once: every page,
/// API call and pending copy of a pre-notification.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/decision", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    request_body = DecisionRequest,
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "Not in a state that allows this decision"), (status = 422, body = Problem)))]
pub(crate) async fn decide(
    State(state): State<AppState>,
    auth: Auth,
    org: OrgParam,
    ApiJson(req): ApiJson<DecisionRequest>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    let org = org.id(&state).await?;
    let decision = req.decision.with(req.reason)?;
    let org = state
        .store
        .decide_distributor(&auth.caller, org, decision, now())
        .await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

fn first_error(errors: Vec<(String, String)>) -> ApiError {
    let (field, reason) = errors
        .into_iter()
        .next()
        .unwrap_or_else(|| ("body".into(), "invalid".into()));
    invalid(field, reason)
}

/// A current member adds a person of their own team (with their key); the
/// person sees nothing until they accept the embargo policy themself.
#[utoipa::path(post, path = "/api/v1/distributors/{org}/people", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ProjectQuery),
    request_body = PersonInput,
    responses((status = 201, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_person(
    State(state): State<AppState>,
    auth: Auth,
    org: OrgParam,
    ApiJson(req): ApiJson<PersonInput>,
) -> Result<(StatusCode, axum::Json<DistributorOrgView>), ApiError> {
    let org = org.id(&state).await?;
    let mut errors = Vec::new();
    let person = person("", &req, now(), &mut errors).ok_or_else(|| first_error(errors))?;
    let org = state
        .store
        .add_distributor_person(&auth.caller, org, person, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DistributorOrgView::receipt(&org)),
    ))
}

/// Removes a person (a current member of the organisation, or the PST);
/// their pending copies are discarded at once.
#[utoipa::path(delete, path = "/api/v1/distributors/{org}/people/{email}", tag = "distributors",
    params(("org" = String, Path, description = ORG_PARAM), ("email" = String, Path, description = "The person's address"), ProjectQuery),
    responses((status = 200, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn remove_person(
    State(state): State<AppState>,
    auth: Auth,
    org: OrgParam,
    ApiPath((_org, email)): ApiPath<(String, String)>,
) -> Result<axum::Json<DistributorOrgView>, ApiError> {
    let org = org.id(&state).await?;
    let email: EmailAddress = email
        .parse()
        .map_err(|_| ApiError::NotFound(format!("person {email:?} not found")))?;
    let org = state
        .store
        .remove_distributor_person(&auth.caller, org, &email, now())
        .await?;
    Ok(axum::Json(DistributorOrgView::new(&org)))
}

/// Leaks reported per organisation, most first (the PST).
#[utoipa::path(get, path = "/api/v1/distributors/leaks", tag = "distributors", params(ProjectQuery),
    responses((status = 200, body = Vec<LeakCountView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn leak_counts(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<Vec<LeakCountView>>, ApiError> {
    let project = q.or_default(&state);
    let counts = state.store.leak_counts(&auth.caller, &project).await?;
    Ok(axum::Json(counts.iter().map(LeakCountView::new).collect()))
}

/// The cases notified to the caller's organisation, while under embargo
/// (an audited read).
#[utoipa::path(get, path = "/api/v1/me/notified-cases", tag = "distributors", params(ProjectQuery),
    responses((status = 200, body = Vec<NotifiedCaseView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn notified_cases(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ProjectQuery>,
) -> Result<axum::Json<Vec<NotifiedCaseView>>, ApiError> {
    let project = q.or_default(&state);
    let cases = state.store.notified_cases(&auth.caller, &project).await?;
    Ok(axum::Json(
        cases.iter().map(NotifiedCaseView::new).collect(),
    ))
}
