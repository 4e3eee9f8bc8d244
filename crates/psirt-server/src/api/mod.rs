//! The JSON API under `/api/v1/`; its routes and their place in the access
//! matrix are the rows of [`routes::ROUTES`].
//!
//! Each handler runs behind its row's door (`routes::Door`), which has
//! authenticated the caller (see `auth`) and, for instance operations,
//! asked `authorize_instance`; the handler converts the request into a
//! store call and the answer into a view. Handlers decide nothing: case
//! operations and rules are asked of `psirt-core` through the store.

use axum::extract::{FromRequest, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use psirt_core::{CaseRef, Command, Credit, CreditKind, NewReport, Reporter, Secret};
use psirt_store::{Caller, Principal, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub mod routes;

pub use routes::{Door, ROUTES, Route};

use crate::auth::{Auth, SESSION_COOKIE};
use crate::commands::CommandRequest;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, Problem};
use crate::limits::IntakeQuota;
use crate::views::{AgendaView, CaseView, InboundView, MailView, MilestoneView};
use crate::{AppState, now};

mod accounts;
mod cases;
mod mail;
mod reports;
mod session;

pub use accounts::*;
pub use cases::*;
pub use mail::*;
pub use reports::*;
pub use session::*;

pub(crate) fn reference(text: &str) -> Result<CaseRef, ApiError> {
    text.parse()
        .map_err(|_| ApiError::NotFound(format!("case {text:?} not found")))
}

/// An e-mail address from a request field; a bad one is a 422 naming it.
pub(crate) fn email_field(field: &str, text: &str) -> Result<psirt_core::EmailAddress, ApiError> {
    text.parse()
        .map_err(|e: psirt_core::IdError| ApiError::Invalid {
            field: field.into(),
            reason: e.reason,
        })
}

/// The instance's public OpenPGP key, ASCII-armored.
#[utoipa::path(get, path = "/openpgp-key.asc", tag = "meta",
    responses((status = 200, description = "The key", body = String, content_type = "application/pgp-keys"), (status = 404, body = Problem)))]
pub(crate) async fn openpgp_key(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let key = state
        .settings
        .openpgp
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("this instance has no OpenPGP key yet".into()))?;
    Ok((
        [(header::CONTENT_TYPE, "application/pgp-keys")],
        key.armored_public.clone(),
    ))
}

/// 200 once the database answers and is migrated, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "meta",
    responses((status = 200, description = "ok", body = String, content_type = "text/plain"), (status = 503, description = "database unavailable", body = String, content_type = "text/plain")))]
pub(crate) async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
