//! Sign-in with its pre-session token, the landing page after it, and
//! sign-out (here and everywhere).

use super::*;

/// The pre-session cookie that pairs with the sign-in form's `csrf` field,
/// so another site cannot sign a browser in to an account of its choosing.
pub(super) const SIGN_IN_COOKIE: &str = "psirt_signin";

pub(super) fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    max_age: i64,
) -> Result<HeaderValue, WebError> {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| WebError::Internal(e.to_string()))
}

pub(super) fn sign_in_page(token: &str, email: &str, error: Option<&str>) -> Markup {
    let mut values = Fields::default();
    values.set("email", email);
    let mut errors = Errors::default();
    if let Some(e) = error {
        errors.form = Some(e.to_string());
    }
    layout(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            p { "For members of the Product Security Team and the Fix Teams. Reporters follow their report through their private status link." }
            form.narrow method="post" action="/signin" {
                input type="hidden" name="csrf" value=(token);
                (error_summary(&errors))
                (Input { form: "signin", name: "email", label: "E-mail address", kind: Kind::Email, required: true, hint: None }.render(&values, &errors))
                (Input { form: "signin", name: "password", label: "Password", kind: Kind::Password, required: true, hint: None }.render(&values, &errors))
                button type="submit" { "Sign in" }
            }
        },
    )
}

pub(crate) async fn sign_in_form(
    State(state): State<AppState>,
    visitor: Visitor,
) -> Result<Response, WebError> {
    if let Some(who) = &visitor.signed_in {
        return Ok(Redirect::to(landing(&state, &who.caller).await?).into_response());
    }
    let token = random_token()?;
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie_header(&state, SIGN_IN_COOKIE, &token, "/signin", 3600)?,
    );
    Ok((headers, ok(sign_in_page(&token, "", None))).into_response())
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    request_headers: HeaderMap,
    PlainForm(f): PlainForm,
) -> Result<Response, WebError> {
    let caller = Caller::new(Principal::Anonymous, visitor.origin.clone());
    let paired = request_headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SIGN_IN_COOKIE)
        .map(|(_, v)| v.to_string());
    let email_text = f.get("email").trim().to_string();
    let retry = |error: &str, status: StatusCode| -> Result<Response, WebError> {
        let token = random_token()?;
        let mut headers = HeaderMap::new();
        headers.insert(
            header::SET_COOKIE,
            cookie_header(&state, SIGN_IN_COOKIE, &token, "/signin", 3600)?,
        );
        Ok((
            headers,
            page_response(status, sign_in_page(&token, &email_text, Some(error))),
        )
            .into_response())
    };
    match paired {
        Some(c) if !c.is_empty() && same(&c, f.get("csrf")) => {}
        _ => {
            return retry(
                "the sign-in form had expired (or came from another site); please sign in again",
                StatusCode::FORBIDDEN,
            );
        }
    }
    if let Err(e) = state.limit_sign_in(&caller) {
        return Err(e.into());
    }
    let wrong = "wrong e-mail address or password";
    let Ok(email) = email_text.parse() else {
        return retry(wrong, StatusCode::UNAUTHORIZED);
    };
    let Some(user) = state
        .store
        .check_password(&email, f.get("password"))
        .await?
    else {
        return retry(wrong, StatusCode::UNAUTHORIZED);
    };
    let (mut headers, landing) = start_session(&state, &user, visitor.origin).await?;
    headers.append(
        header::SET_COOKIE,
        cookie_header(&state, SIGN_IN_COOKIE, "", "/signin", 0)?,
    );
    Ok((headers, Redirect::to(landing)).into_response())
}

/// Opens a browser session for `user`: its cookie, and where they land.
pub(crate) async fn start_session(
    state: &AppState,
    user: &psirt_store::User,
    origin: String,
) -> Result<(HeaderMap, &'static str), WebError> {
    let signing_in = Caller::new(Principal::User(user.clone()), origin);
    let session = state
        .store
        .by(&signing_in)
        .create_session(user, now(), state.settings.session_ttl)
        .await?;
    let mut headers = HeaderMap::new();
    headers.append(
        header::SET_COOKIE,
        cookie_header(
            state,
            SESSION_COOKIE,
            session.cookie.reveal(),
            "/",
            state.settings.session_ttl.as_secs(),
        )?,
    );
    Ok((headers, landing(state, &signing_in).await?))
}

/// Where a person lands once signed in: a person of a distributor
/// organisation (or its voucher) who is on no PST has nothing on the case
/// dashboard, so they land on their portal; everyone else on the cases.
pub(super) async fn landing(state: &AppState, caller: &Caller) -> Result<&'static str, WebError> {
    if matches!(
        state.store.instance_actor(caller).await?,
        Actor::Person { pst: true, .. }
    ) {
        return Ok("/cases");
    }
    if state.store.distributor_orgs_of(caller).await?.is_empty() {
        return Ok("/cases");
    }
    Ok("/distributors")
}

pub(crate) async fn sign_out(
    State(state): State<AppState>,
    form: WebForm,
) -> Result<Response, WebError> {
    state
        .store
        .by(&form.who.caller)
        .end_session(&form.who.cookie)
        .await?;
    signed_out(&state)
}

/// Clears the session cookie and goes back to the sign-in page.
pub(super) fn signed_out(state: &AppState) -> Result<Response, WebError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie_header(state, SESSION_COOKIE, "", "/", 0)?,
    );
    Ok((headers, Redirect::to("/signin")).into_response())
}

/// Ends every session of the signed-in account, this one among them.
pub(crate) async fn sign_out_everywhere(
    State(state): State<AppState>,
    form: WebForm,
) -> Result<Response, WebError> {
    if let psirt_store::Principal::User(user) = &form.who.caller.principal {
        state
            .store
            .by(&form.who.caller)
            .end_sessions(user.id)
            .await?;
    }
    signed_out(&state)
}
