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
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| {
                    ApiError::Unauthenticated(
                        "the Authorization header must be \"Bearer <API token>\"".into(),
                    )
                })?;
            let user = state
                .store
                .authenticate(token.trim())
                .await?
                .ok_or_else(|| {
                    ApiError::Unauthenticated("the API token is unknown or revoked".into())
                })?;
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
