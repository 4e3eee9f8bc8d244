//! Sign-in for people: password sign-in, invitation links, sign-out
//! (here and everywhere), and who the caller is. Opening a session sets the
//! cookie and hands out its CSRF token.

use super::*;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub user: Me,
    /// Send it back in the `X-CSRF-Token` header on every request that changes something.
    pub csrf_token: String,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: jiff::Timestamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub admin: bool,
}

impl Me {
    pub(crate) fn new(u: &User) -> Me {
        Me {
            id: u.id.get(),
            email: u.email.to_string(),
            name: u.name.clone(),
            admin: u.is_admin,
        }
    }
}

/// Signs in with e-mail and password; sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session",
    request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    state.limit_sign_in(&auth.caller)?;
    let wrong = || ApiError::Unauthenticated("wrong e-mail address or password".into());
    let email = req.email.trim().parse().map_err(|_| wrong())?;
    let user = state
        .store
        .check_password(&email, &req.password)
        .await?
        .ok_or_else(wrong)?;
    start_session(&state, &user, &auth.caller.origin).await
}

/// The `Set-Cookie` header for the session cookie: `value` for `max_age`
/// seconds (an empty value and 0 clear it).
fn session_cookie(state: &AppState, value: &str, max_age: i64) -> Result<HeaderMap, ApiError> {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(headers)
}

/// Opens a browser session for `user`: the cookie and its CSRF token.
async fn start_session(
    state: &AppState,
    user: &User,
    origin: &str,
) -> Result<(HeaderMap, axum::Json<SessionInfo>), ApiError> {
    let user = user.clone();
    let signing_in = Caller::new(Principal::User(user.clone()), origin.to_string());
    let session = state
        .store
        .by(&signing_in)
        .create_session(&user, now(), state.settings.session_ttl)
        .await?;
    let mut headers = session_cookie(
        state,
        session.cookie.reveal(),
        state.settings.session_ttl.as_secs(),
    )?;
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let info = SessionInfo {
        user: Me::new(&user),
        csrf_token: session.csrf,
        expires_at: session.expires_at,
    };
    Ok((headers, axum::Json(info)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    /// The password to sign in with from now on (at least 12 characters).
    pub password: String,
}

/// Uses an invitation's one-time link: sets the password of the account
/// it was sent to and signs in (the session cookie, as `POST
/// /api/v1/session`). A used or expired link is a 410 saying so.
#[utoipa::path(post, path = "/api/v1/invitations/{token}", tag = "session",
    params(("token" = String, Path, description = "The token of the invitation's link")),
    request_body = AcceptInvitation,
    responses((status = 200, body = SessionInfo), (status = 401, body = Problem), (status = 404, body = Problem), (status = 410, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub(crate) async fn accept_invitation(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(token): ApiPath<String>,
    ApiJson(req): ApiJson<AcceptInvitation>,
) -> Result<impl IntoResponse, ApiError> {
    // Guessing links is slowed like guessing passwords.
    state.limit_sign_in(&auth.caller)?;
    let invited = state
        .store
        .accept_invitation(&token, &req.password, &auth.caller.origin, now())
        .await?;
    start_session(&state, &invited.user, &auth.caller.origin).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub email: String,
    pub name: String,
    /// `distributor` or `pst`.
    pub purpose: String,
    pub organisation: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: jiff::Timestamp,
    /// Never used and past `expires_at`: the person needs a new one.
    pub expired: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InvitationsQuery {
    /// The project (default: the instance's default project).
    pub project: Option<String>,
}

/// The project's invitations not used yet (its PST): who was invited, to
/// what, until when. Never the links.
#[utoipa::path(get, path = "/api/v1/invitations", tag = "session", params(InvitationsQuery),
    responses((status = 200, body = Vec<InvitationView>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn list_invitations(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<InvitationsQuery>,
) -> Result<axum::Json<Vec<InvitationView>>, ApiError> {
    let project = q
        .project
        .unwrap_or_else(|| state.settings.default_project.clone());
    let list = state
        .store
        .pending_invitations(&auth.caller, &project, now())
        .await?;
    Ok(axum::Json(
        list.into_iter()
            .map(|i| InvitationView {
                email: i.email,
                name: i.name,
                purpose: i.purpose,
                organisation: i.organisation,
                created_at: i.created_at,
                expires_at: i.expires_at,
                expired: i.expired,
            })
            .collect(),
    ))
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204, description = "Signed out"), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn sign_out(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(cookie) = &auth.session_cookie {
        state.store.by(&auth.caller).end_session(cookie).await?;
    }
    let headers = session_cookie(&state, "", 0)?;
    Ok((StatusCode::NO_CONTENT, headers))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignedOut {
    /// Browser sessions ended, this one among them.
    pub sessions_ended: u64,
}

/// Signs out everywhere: ends every browser session of the caller's
/// account (API tokens stay; an administrator revokes those) and clears
/// this cookie.
#[utoipa::path(delete, path = "/api/v1/me/sessions", tag = "session",
    responses((status = 200, body = SignedOut), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn sign_out_everywhere(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<impl IntoResponse, ApiError> {
    let Principal::User(user) = &auth.caller.principal else {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    };
    let ended = state.store.by(&auth.caller).end_sessions(user.id).await?;
    let headers = session_cookie(&state, "", 0)?;
    Ok((
        headers,
        axum::Json(SignedOut {
            sessions_ended: ended,
        }),
    ))
}

/// Who the caller is.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
pub(crate) async fn me(auth: Auth) -> Result<axum::Json<Me>, ApiError> {
    match &auth.caller.principal {
        Principal::User(u) => Ok(axum::Json(Me::new(u))),
        _ => Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        )),
    }
}
