//! Administration: accounts (creating, revoking) and the audit log's
//! hash-chain check.

use super::*;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    pub intact: bool,
    pub entries: u64,
    /// The head hash, to keep elsewhere and compare later.
    pub head: Option<String>,
    /// The first broken entry, when the chain is broken.
    pub problem: Option<String>,
}

/// Walks the audit log's hash chain (administrators).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "admin",
    responses((status = 200, body = AuditVerification), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn verify_audit(
    State(state): State<AppState>,
) -> Result<axum::Json<AuditVerification>, ApiError> {
    Ok(axum::Json(match state.store.audit_verify().await? {
        psirt_store::AuditReport::Intact { entries, head } => AuditVerification {
            intact: true,
            entries,
            head: Some(head),
            problem: None,
        },
        psirt_store::AuditReport::Broken(b) => AuditVerification {
            intact: false,
            entries: 0,
            head: None,
            problem: Some(b.to_string()),
        },
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Pst,
    Member,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The project whose PST a `pst` user joins (default: the default project).
    pub project: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct NewUserCreated {
    pub user: Me,
    /// Shown once.
    pub token: String,
}

impl std::fmt::Debug for NewUserCreated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserCreated")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// Creates an account (administrators).
#[utoipa::path(post, path = "/api/v1/users", tag = "admin", request_body = NewUser,
    responses((status = 201, body = NewUserCreated), (status = 401, body = Problem), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<NewUser>,
) -> Result<(StatusCode, axum::Json<NewUserCreated>), ApiError> {
    let email = email_field("email", &req.email)?;
    let project = req
        .project
        .unwrap_or_else(|| state.settings.default_project.clone());
    if matches!(req.role, Role::Pst) {
        state.store.project_policy(&project).await?;
    }
    let store = state.store.by(&auth.caller);
    let (user, token) = store
        .add_user(&email, &req.name, matches!(req.role, Role::Admin), now())
        .await?;
    if matches!(req.role, Role::Pst) {
        store.add_pst_member(&project, user.id, now()).await?;
    }
    Ok((
        StatusCode::CREATED,
        axum::Json(NewUserCreated {
            user: Me::new(&user),
            token: token.reveal().to_string(),
        }),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Revoked {
    /// API tokens that were live.
    pub revoked: u64,
    /// Browser sessions that were open.
    pub sessions_ended: u64,
}

/// Revokes an account's access (administrators): every API token and
/// every browser session of it end at once.
#[utoipa::path(post, path = "/api/v1/users/{email}/revoke", tag = "admin",
    params(("email" = String, Path, description = "The account's e-mail address")),
    responses((status = 200, body = Revoked), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn revoke_tokens(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(email): ApiPath<String>,
) -> Result<axum::Json<Revoked>, ApiError> {
    let email = email
        .parse()
        .map_err(|_| ApiError::NotFound(format!("user {email:?} not found")))?;
    let user = state.store.user_by_email(&email).await?;
    let ended = state
        .store
        .by(&auth.caller)
        .revoke_tokens(user.id, now())
        .await?;
    Ok(axum::Json(Revoked {
        revoked: ended.tokens,
        sessions_ended: ended.sessions,
    }))
}

/// A GitHub login as the API takes and gives it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct GitHubLoginBody {
    /// The account's GitHub login (case-insensitive, kept in lower case);
    /// `null` clears it.
    pub login: Option<String>,
}

/// Sets (or clears) the caller's own GitHub login: the one that makes
/// them a collaborator on the draft GitHub advisory of a case whose Fix
/// Team they are on. One account per login.
#[utoipa::path(put, path = "/api/v1/me/github-login", tag = "session", request_body = GitHubLoginBody,
    responses((status = 200, body = GitHubLoginBody), (status = 401, body = Problem),
        (status = 409, body = Problem, description = "Another account has this login"),
        (status = 422, body = Problem, description = "Not a GitHub login; the reason names it")))]
pub(crate) async fn put_own_github_login(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<GitHubLoginBody>,
) -> Result<axum::Json<GitHubLoginBody>, ApiError> {
    let Principal::User(user) = &auth.caller.principal else {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    };
    let login: Option<psirt_core::GitHubLogin> =
        req.login
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(|e: psirt_core::IdError| ApiError::Invalid {
                field: "login".into(),
                reason: e.to_string(),
            })?;
    state
        .store
        .by(&auth.caller)
        .set_github_login(user.id, login.as_ref(), state.settings.clock.now())
        .await?;
    Ok(axum::Json(GitHubLoginBody {
        login: login.map(|l| l.to_string()),
    }))
}
