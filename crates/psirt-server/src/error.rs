//! Every error the API returns, as `application/problem+json` (RFC 9457).
//!
//! One `IntoResponse` impl maps errors to status codes: client errors are
//! sent as they are (they name the field and the reason); internal errors
//! become a generic message, and their detail goes to the log only.

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use psirt_core::Refusal;
use psirt_store::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::AppState;

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
    /// Was there and is no more: a used or expired one-time link.
    Gone(String),
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
            ApiError::Gone(d) => (StatusCode::GONE, "gone", d.clone(), None),
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
            // The request is well formed, the thing it acts on has moved on.
            StoreError::WrongState(why) => ApiError::Conflict(why),
            StoreError::Invalid { field, reason } => ApiError::Invalid {
                field: field.into(),
                reason,
            },
            StoreError::NotFound(what) => ApiError::NotFound(format!("{what} not found")),
            StoreError::Gone(why) => ApiError::Gone(why),
            StoreError::QuotaExceeded {
                what: _,
                retry_after_secs,
            } => ApiError::TooManyRequests { retry_after_secs },
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

/// A JSON body whose rejections are problem documents too: a body over
/// the limit is a 413 that states it, bad JSON a 400, and a bad value a
/// 422 whose `field` is the path to it (`command.estimated_release`,
/// `people[0].key`), without serde's line and column.
pub struct ApiJson<T>(pub T);

/// A size for people: `2 MiB`, `64 KiB`, `100 bytes`.
pub fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    match bytes {
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b} bytes"),
    }
}

/// The 413 of a body over `limit` bytes.
pub fn too_large(limit: usize) -> ApiError {
    ApiError::TooLarge(format!("the body is more than {}", size(limit)))
}

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        if !json {
            return Err(ApiError::BadRequest(
                "send the body as JSON, with `Content-Type: application/json`".into(),
            ));
        }
        // The JSON API's own limit, whatever a route allows other bodies
        // (the report route takes large multipart bodies, not large JSON).
        let limit = state.settings.body_limit;
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|e| {
                let over = std::error::Error::source(&e)
                    .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
                if over {
                    too_large(limit)
                } else {
                    ApiError::BadRequest(format!("the body could not be read: {e}"))
                }
            })?;
        from_json(&bytes).map(ApiJson)
    }
}

/// Deserializes a JSON body, naming the path to a bad value.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| json_error("", e))?;
    de.end()
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// A serde error as a problem: a bad value (a wrong type, a missing or
/// unknown field, a bad instant) is a 422 whose `field` is the path to it
/// under `prefix`; anything else (bad syntax) is a 400.
pub fn json_error(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.classify() != serde_json::error::Category::Data {
        return ApiError::BadRequest(format!("the body is not valid JSON: {inner}"));
    }
    // serde_json appends where it was in the text; the path says it better.
    let text = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    let reason = text.strip_suffix(&position).unwrap_or(&text).to_string();
    let mut segments: Vec<String> = Vec::new();
    if !prefix.is_empty() {
        segments.push(prefix.to_string());
    }
    if path != "." {
        segments.push(path);
    }
    // A missing or unknown field is named in the message, not the path.
    for lead in ["missing field `", "unknown field `"] {
        if let Some(name) = reason
            .strip_prefix(lead)
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name)
            && segments.last().is_none_or(|last| !last.ends_with(name))
        {
            segments.push(name.to_string());
        }
    }
    let field = if segments.is_empty() {
        "body".to_string()
    } else {
        segments.join(".").replace(".[", "[")
    };
    ApiError::Invalid { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Inner,
        list: Option<Vec<Inner>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        at: jiff::Timestamp,
        flag: bool,
    }

    fn field(body: &str) -> (String, String) {
        match from_json::<Outer>(body.as_bytes()) {
            Err(ApiError::Invalid { field, reason }) => (field, reason),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn a_bad_value_is_named_by_its_path_without_line_and_column() {
        let inner = r#"{"at": "2026-01-01T00:00:00Z", "flag": true}"#;
        for (body, expected) in [
            (
                r#"{"name": "x", "inner": {"at": "tomorrow", "flag": true}}"#.to_string(),
                "inner.at",
            ),
            (
                r#"{"name": "x", "inner": {"at": "2026-01-01T00:00:00Z", "flag": 1}}"#.to_string(),
                "inner.flag",
            ),
            (format!(r#"{{"name": "x", "inner": {inner}, "list": [{inner}, {{"flag": true}}]}}"#), "list[1].at"),
            (format!(r#"{{"inner": {inner}}}"#), "name"),
            (format!(r#"{{"name": "x", "inner": {inner}, "nope": 1}}"#), "nope"),
            (r#"{"name": "x", "inner": {"at": "2026-01-01T00:00:00Z", "flag": true, "extra": 1}}"#.to_string(), "inner.extra"),
        ] {
            let (field, reason) = field(&body);
            assert_eq!(field, expected, "{body}: {reason}");
            assert!(!reason.contains("line "), "{body}: {reason}");
        }
    }

    #[test]
    fn bad_syntax_is_a_bad_request_and_sizes_read_as_people_write_them() {
        assert!(matches!(
            from_json::<Outer>(b"{oops"),
            Err(ApiError::BadRequest(_))
        ));
        assert_eq!(size(2 * 1024 * 1024), "2 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
