//! Every error the API returns, as `application/problem+json` (RFC 9457).
//!
//! One `IntoResponse` impl maps errors to status codes: client errors are
//! sent as they are (they name the field and the reason); internal errors
//! become a generic message, and their detail goes to the log only.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use psirt_core::Refusal;
use psirt_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The request field at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug)]
pub enum ApiError {
    /// Malformed request (unparseable JSON, a bad path parameter).
    BadRequest(String),
    /// A field with a bad value.
    Invalid {
        field: String,
        reason: String,
    },
    /// No (valid) credentials.
    Unauthenticated(String),
    /// Authenticated, but not allowed.
    Forbidden(String),
    NotFound(String),
    /// A process rule or a concurrent change said no.
    Conflict(String),
    TooLarge(String),
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The server holds as many request bodies as it may; the body was not
    /// read.
    Busy {
        retry_after_secs: u64,
    },
    /// The request body did not arrive in time.
    TimedOut,
    MethodNotAllowed,
    Internal(String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String, Option<String>) {
        match self {
            ApiError::BadRequest(d) => (StatusCode::BAD_REQUEST, "bad-request", d.clone(), None),
            ApiError::Invalid { field, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                format!("{field}: {reason}"),
                Some(field.clone()),
            ),
            ApiError::Unauthenticated(d) => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", d.clone(), None)
            }
            ApiError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d.clone(), None),
            ApiError::NotFound(d) => (StatusCode::NOT_FOUND, "not-found", d.clone(), None),
            ApiError::Conflict(d) => (StatusCode::CONFLICT, "conflict", d.clone(), None),
            ApiError::TooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large", d.clone(), None),
            ApiError::TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!("too many requests; try again in {retry_after_secs} s"),
                None,
            ),
            ApiError::Busy { retry_after_secs } => (
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!(
                    "the server is reading as many uploads as it can hold; try again in {retry_after_secs} s"
                ),
                None,
            ),
            ApiError::TimedOut => (
                StatusCode::REQUEST_TIMEOUT,
                "timed-out",
                "the request body did not arrive in time; send it again".into(),
                None,
            ),
            ApiError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "this route does not take that method".into(),
                None,
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "internal error; the administrators can find the details in the server log".into(),
                None,
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, slug, detail, field) = self.parts();
        if let ApiError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let problem = Problem {
            kind: format!("https://psirt.invalid/problems/{slug}"),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail,
            field,
        };
        let mut response = (status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            ApiError::TooManyRequests { retry_after_secs }
            | ApiError::Busy { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unauthenticated(_) => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"psirt\""),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Refused(Refusal::Denied(d)) => ApiError::Forbidden(d.to_string()),
            StoreError::Refused(Refusal::Rule(rule)) => ApiError::Conflict(rule.to_string()),
            StoreError::Refused(Refusal::Invalid { field, reason }) => ApiError::Invalid {
                field: field.into(),
                reason,
            },
            // "The organisation is not in a state that allows this": the
            // request is well formed, the thing it acts on has moved on.
            StoreError::Invalid {
                field: "state",
                reason,
            } => ApiError::Conflict(reason),
            StoreError::Invalid { field, reason } => ApiError::Invalid {
                field: field.into(),
                reason,
            },
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            e @ (StoreError::Conflict { .. } | StoreError::Duplicate(_)) => {
                ApiError::Conflict(e.to_string())
            }
            e @ (StoreError::Corrupt(_) | StoreError::Database(_) | StoreError::Migrate(_)) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

impl From<psirt_core::Denied> for ApiError {
    fn from(d: psirt_core::Denied) -> ApiError {
        ApiError::Forbidden(d.to_string())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> ApiError {
        let detail = r.body_text();
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge(detail),
            StatusCode::UNPROCESSABLE_ENTITY => {
                // serde names the path to the bad value before a colon:
                // "Failed to deserialize the JSON body into the target type: command.vector: …"
                let tail = detail
                    .split_once("target type: ")
                    .map_or(detail.as_str(), |(_, t)| t);
                match tail.split_once(": ") {
                    Some((field, reason)) if !field.contains(' ') => ApiError::Invalid {
                        field: field.to_string(),
                        reason: reason.to_string(),
                    },
                    _ => ApiError::Invalid {
                        field: "body".into(),
                        reason: tail.to_string(),
                    },
                }
            }
            _ => ApiError::BadRequest(detail),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> ApiError {
        let detail = r.body_text();
        let tail = detail
            .split_once("query string: ")
            .map_or(detail.as_str(), |(_, t)| t);
        match tail.split_once(": ") {
            Some((field, reason)) if !field.contains(' ') => ApiError::Invalid {
                field: field.to_string(),
                reason: reason.to_string(),
            },
            _ => ApiError::BadRequest(detail),
        }
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> ApiError {
        ApiError::BadRequest(r.body_text())
    }
}

/// Query parameters whose rejections are problem documents.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters whose rejections are problem documents.
#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// A JSON body whose rejections are problem documents too.
#[derive(axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);
