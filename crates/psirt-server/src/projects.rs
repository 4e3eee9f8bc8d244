//! Projects over the JSON API, for the instance's administrators: what
//! `psirt project` and `psirt pst` do on the command line. A project, its
//! policy (read and replaced; open cases keep theirs), its announcement
//! list, its PST roster with each member's availability for the Fix Lead
//! rotation, and the founding members of its distributors list.
//!
//! Every handler asks `psirt_core::authorize_instance` for
//! `Operation::ManageProjects` first (deny by default), and writes through
//! `Store::by(caller)`, so the audit log names the administrator.

use axum::extract::State;
use axum::http::StatusCode;
use psirt_core::{EmailAddress, Policy};
use psirt_store::PstMember;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{Me, email_field};
use crate::auth::Auth;
use crate::distributors::{PersonInput, person, unaddressable_name};
use crate::error::{ApiError, ApiJson, ApiPath, Problem};
use crate::views::DistributorOrgView;
use crate::{AppState, now};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    pub slug: String,
    pub name: String,
    /// The policy (default: the seed's): a preset's name (`"kubernetes"`)
    /// or an object with the same keys as a policy TOML file.
    #[schema(value_type = Option<Object>)]
    pub policy: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub created: String,
}

/// Creates a project with its policy (administrators).
#[utoipa::path(post, path = "/api/v1/projects", tag = "admin", request_body = NewProject,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_project(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<NewProject>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let policy = match req.policy {
        Some(v) => policy_from("policy", v)?,
        None => psirt_core::Policy::default(),
    };
    state
        .store
        .by(&auth.caller)
        .add_project(&req.slug, &req.name, &policy, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created { created: req.slug }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PstRequest {
    pub email: String,
}

/// Adds an account to a project's PST (administrators).
#[utoipa::path(post, path = "/api/v1/projects/{slug}/pst", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    request_body = PstRequest,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_pst_member(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(slug): ApiPath<String>,
    ApiJson(req): ApiJson<PstRequest>,
) -> Result<(StatusCode, axum::Json<Created>), ApiError> {
    let email = email_field("email", &req.email)?;
    let user = state.store.user_by_email(&email).await?;
    state
        .store
        .by(&auth.caller)
        .add_pst_member(&slug, user.id, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            created: format!("{} on the PST of {slug}", user.email),
        }),
    ))
}

/// A policy from a request body, every key checked (unknown keys are
/// refused); a bad value is a 422 naming its key under `prefix`
/// (`policy.release_within`, or `release_within` for a policy body).
pub(crate) fn policy_from(prefix: &str, mut value: serde_json::Value) -> Result<Policy, ApiError> {
    // A preset by its name: "kubernetes", "seed".
    if let Some(name) = value.as_str() {
        return psirt_core::preset(name).ok_or_else(|| ApiError::Invalid {
            field: if prefix.is_empty() { "body" } else { prefix }.into(),
            reason: format!(
                "{name:?} is not a preset; one of {}, or a policy object",
                psirt_core::PRESETS.join(", ")
            ),
        });
    }
    // A calendar given as an iCalendar file's text becomes its dates.
    psirt_formats::holidays::expand_policy_calendar(&mut value).map_err(|e| ApiError::Invalid {
        field: match prefix {
            "" => "calendar.ics".into(),
            p => format!("{p}.calendar.ics"),
        },
        reason: e.to_string(),
    })?;
    let policy: Policy =
        serde_path_to_error::deserialize(value).map_err(|e: serde_path_to_error::Error<_>| {
            let path = e.path().to_string();
            let field = match (prefix, path.as_str()) {
                ("", ".") => "body".to_string(),
                (p, ".") => p.to_string(),
                ("", path) => path.to_string(),
                (p, path) => format!("{p}.{path}"),
            };
            ApiError::Invalid {
                field,
                reason: e.into_inner().to_string(),
            }
        })?;
    policy.validate().map_err(|e| ApiError::Invalid {
        field: if prefix.is_empty() { "body" } else { prefix }.into(),
        reason: e.to_string(),
    })?;
    Ok(policy)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectView {
    pub slug: String,
    pub name: String,
    /// Where forthcoming-fix notices and release announcements go; none:
    /// they are not written.
    pub announce_address: Option<String>,
}

impl ProjectView {
    fn new(p: &psirt_store::Project) -> ProjectView {
        ProjectView {
            slug: p.slug.clone(),
            name: p.name.clone(),
            announce_address: p.announce_address.as_ref().map(ToString::to_string),
        }
    }
}

/// Every project (administrators).
#[utoipa::path(get, path = "/api/v1/projects", tag = "admin",
    responses((status = 200, body = Vec<ProjectView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_projects(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<ProjectView>>, ApiError> {
    let projects = state.store.projects().await?;
    Ok(axum::Json(projects.iter().map(ProjectView::new).collect()))
}

/// One project (administrators).
#[utoipa::path(get, path = "/api/v1/projects/{slug}", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    responses((status = 200, body = ProjectView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_project(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<axum::Json<ProjectView>, ApiError> {
    Ok(axum::Json(ProjectView::new(
        &state.store.project(&slug).await?,
    )))
}

/// The policy new cases of the project start with, with every key
/// (administrators); the same keys as a policy TOML file.
#[utoipa::path(get, path = "/api/v1/projects/{slug}/policy", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    responses((status = 200, body = Object, description = "The policy"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn get_policy(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let policy = state.store.project_policy(&slug).await?;
    Ok(axum::Json(
        serde_json::to_value(&policy).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

/// Replaces the project's policy for cases opened from now on; open cases
/// keep the policy they started with (administrators). Keys left out take
/// the seed's values; an unknown key or a bad value is a 422 naming it.
#[utoipa::path(put, path = "/api/v1/projects/{slug}/policy", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    request_body(content = Object, description = "The policy: the same keys as a policy TOML file"),
    responses((status = 200, body = Object, description = "The policy now"), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn put_policy(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(slug): ApiPath<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let policy = policy_from("", body)?;
    state
        .store
        .by(&auth.caller)
        .set_project_policy(&slug, &policy)
        .await?;
    Ok(axum::Json(
        serde_json::to_value(&policy).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnounceRequest {
    /// The announcement list's address; `null`: nowhere (the notice and
    /// the announcement are then not written).
    pub address: Option<String>,
}

/// Sets where the project's forthcoming-fix notices and release
/// announcements go (administrators).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/announce", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    request_body = AnnounceRequest,
    responses((status = 200, body = ProjectView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn set_announce(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(slug): ApiPath<String>,
    ApiJson(req): ApiJson<AnnounceRequest>,
) -> Result<axum::Json<ProjectView>, ApiError> {
    let address: Option<EmailAddress> = match req.address.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(email_field("address", a)?),
    };
    state
        .store
        .by(&auth.caller)
        .set_announce_address(&slug, address.as_ref())
        .await?;
    Ok(axum::Json(ProjectView::new(
        &state.store.project(&slug).await?,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PstMemberView {
    pub user: Me,
    /// In the Fix Lead rotation; an unavailable member is skipped.
    pub available: bool,
    /// The rotation turn this member last took, if any.
    pub last_turn: Option<u64>,
}

impl PstMemberView {
    fn new(m: &PstMember) -> PstMemberView {
        PstMemberView {
            user: Me::new(&m.user),
            available: m.available,
            last_turn: m.last_turn,
        }
    }
}

/// The project's PST in rotation order, with who is available
/// (administrators).
#[utoipa::path(get, path = "/api/v1/projects/{slug}/pst", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    responses((status = 200, body = Vec<PstMemberView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_pst(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<axum::Json<Vec<PstMemberView>>, ApiError> {
    // An unknown project is a 404, not an empty roster.
    state.store.project(&slug).await?;
    let members = state.store.pst(&slug).await?;
    Ok(axum::Json(members.iter().map(PstMemberView::new).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRequest {
    /// `false` takes the member out of the Fix Lead rotation until set back.
    pub available: bool,
}

/// Marks a PST member available or unavailable for the Fix Lead rotation
/// (administrators).
#[utoipa::path(put, path = "/api/v1/projects/{slug}/pst/{email}", tag = "admin",
    params(("slug" = String, Path, description = "The project"), ("email" = String, Path, description = "The member's address")),
    request_body = AvailabilityRequest,
    responses((status = 200, body = PstMemberView), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such project, or the address is not on its PST"), (status = 422, body = Problem)))]
pub(crate) async fn set_availability(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((slug, email)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<AvailabilityRequest>,
) -> Result<axum::Json<PstMemberView>, ApiError> {
    let not_on = || ApiError::NotFound(format!("{email} is not on the PST of {slug}"));
    let address: EmailAddress = email.parse().map_err(|_| not_on())?;
    let user = state
        .store
        .user_by_email(&address)
        .await
        .map_err(|_| not_on())?;
    state
        .store
        .by(&auth.caller)
        .set_available(&slug, user.id, req.available)
        .await
        .map_err(|e| match e {
            psirt_store::StoreError::NotFound(_) => not_on(),
            e => e.into(),
        })?;
    let members = state.store.pst(&slug).await?;
    let member = members
        .iter()
        .find(|m| m.user.id == user.id)
        .ok_or_else(not_on)?;
    Ok(axum::Json(PstMemberView::new(member)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FoundingInput {
    /// The organisation (created approved when it is not on the list yet).
    pub organisation: String,
    /// The founding member, with their key: already on the list before
    /// psirt, their acceptance of the embargo policy is recorded as given.
    pub person: PersonInput,
}

/// Enrols a founding member of the project's distributors list (what
/// `psirt distributor found` does; administrators): criterion 7 needs a
/// first member to vouch for the others. The organisation is approved and
/// the person's acceptance recorded as given before psirt, on its
/// timeline and in the audit log.
#[utoipa::path(post, path = "/api/v1/projects/{slug}/founding-distributors", tag = "admin",
    params(("slug" = String, Path, description = "The project")),
    request_body = FoundingInput,
    responses((status = 201, body = DistributorOrgView), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "The organisation is on the list but not approved"), (status = 422, body = Problem)))]
pub(crate) async fn found_distributor(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(slug): ApiPath<String>,
    ApiJson(req): ApiJson<FoundingInput>,
) -> Result<(StatusCode, axum::Json<DistributorOrgView>), ApiError> {
    let mut errors = Vec::new();
    if req.organisation.trim().is_empty() {
        errors.push(("organisation".to_string(), "must not be empty".to_string()));
    }
    if let Some(reason) = unaddressable_name(&req.organisation) {
        errors.push(("organisation".into(), reason));
    }
    let person = person("person", &req.person, now(), &mut errors);
    let (Some(person), true) = (person, errors.is_empty()) else {
        let (field, reason) = errors.remove(0);
        return Err(ApiError::Invalid { field, reason });
    };
    let org = state
        .store
        .by(&auth.caller)
        .found_distributor(&slug, req.organisation.trim(), person, now())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DistributorOrgView::new(&org)),
    ))
}
