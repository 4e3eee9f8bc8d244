//! Who is calling: an API token, a browser session, or nobody.
//!
//! Authentication only establishes the principal; what it may do is
//! decided by `psirt_core::authorize`, through the store. A cookie-borne
//! session must also present its CSRF token on every unsafe method, so a
//! page on another site cannot act with a signed-in person's cookie.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use psirt_store::{Caller, Principal};

use crate::AppState;
use crate::error::ApiError;

pub const SESSION_COOKIE: &str = "psirt_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated caller of a request.
#[derive(Clone)]
pub struct Auth {
    pub caller: Caller,
    /// The session cookie, when the caller came with one (for logout).
    pub session_cookie: Option<String>,
}

/// The client address, for the audit log and rate limits.
pub fn client_ip(parts: &Parts) -> Option<std::net::IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The API token of an `Authorization: Bearer` header, if the request has
/// that header; any other form of it is refused (401).
pub(crate) fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "the Authorization header must be \"Bearer <API token>\"".into(),
            )
        })?;
    Ok(Some(token.trim()))
}

/// The refusal of a token the store does not know or that was revoked.
pub(crate) fn unknown_token() -> ApiError {
    ApiError::Unauthenticated("the API token is unknown or revoked".into())
}

/// An API token that the door left for the handler to authenticate
/// together with what it reads (`routes::Door::StoreByToken`); its `Debug`
/// never shows it.
#[derive(Clone)]
pub(crate) struct Bearer(pub String);

impl std::fmt::Debug for Bearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Bearer(<redacted>)")
    }
}

/// The caller of a route behind `Door::StoreByToken`: authenticated by the
/// door (a session), or the bearer of an API token the handler passes to
/// the store with what it reads, which refuses it if unknown or revoked.
pub(crate) enum Reader {
    Caller(Auth),
    Token { token: Bearer, origin: String },
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(token) = parts.extensions.get::<Bearer>() {
            let origin =
                client_ip(parts).map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
            return Ok(Reader::Token {
                token: token.clone(),
                origin,
            });
        }
        Ok(Reader::Caller(
            Auth::from_request_parts(parts, state).await?,
        ))
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The route's door authenticated the caller already (`api::routes`).
        if let Some(auth) = parts.extensions.get::<Auth>() {
            return Ok(auth.clone());
        }
        let origin = client_ip(parts).map_or_else(|| "unknown".to_string(), |ip| ip.to_string());
        if let Some(token) = bearer(parts)? {
            let user = state
                .store
                .authenticate(token)
                .await?
                .ok_or_else(unknown_token)?;
            return Ok(Auth {
                caller: Caller::new(Principal::User(user), origin),
                session_cookie: None,
            });
        }
        if let Some(cookie) = cookie(parts, SESSION_COOKIE) {
            let session = state
                .store
                .session(cookie, crate::now())
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthenticated(
                        "the session has expired or ended; sign in again".into(),
                    )
                })?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !same(sent, &session.csrf) {
                    return Err(ApiError::Forbidden(format!(
                        "a signed-in browser request that changes something needs the session's CSRF token in the {CSRF_HEADER} header"
                    )));
                }
            }
            return Ok(Auth {
                caller: Caller::new(Principal::User(session.user), origin),
                session_cookie: Some(cookie.to_string()),
            });
        }
        Ok(Auth {
            caller: Caller::new(Principal::Anonymous, origin),
            session_cookie: None,
        })
    }
}
