//! Attachments at the HTTP edge, for the web pages and the JSON API alike:
//! the report routes' body limit, reading one file part of a
//! `multipart/form-data` body, and serving one attachment as a download.
//! The limits themselves (how many files, how large) and their check are
//! the store's (`psirt_store::check_attachments`); this module only reads
//! and serves, and never logs names or bytes (they are report content).
//!
//! The API routes here list a case's attachments and download one. Both
//! are embargoed reads: the list goes through `Store::case` (audited as
//! `case.view`), the download through `Store::attachment` (audited as
//! `case.attachment.view`, or `.denied`), which ask `psirt_core::authorize`.

use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use psirt_store::{Attachment, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, NewAttachment};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppState;
use crate::api::{ReportRequest, reference};
use crate::auth::Auth;
use crate::error::{ApiError, ApiJson, ApiPath, Problem, json_error};

/// The body limit of the report routes (the form and `POST
/// /api/v1/reports` as `multipart/form-data`): every file at its largest,
/// and 5 MiB for the text and the multipart framing. Other routes keep
/// the global limit.
pub(crate) const REPORT_BODY_LIMIT: usize =
    MAX_ATTACHMENTS * MAX_ATTACHMENT_BYTES + 5 * 1024 * 1024;

/// Why a report body was too large, with the limits.
pub(crate) fn too_large_report() -> String {
    format!(
        "the report is larger than {} MiB: at most {MAX_ATTACHMENTS} files of at most {} MiB each, plus the text",
        REPORT_BODY_LIMIT / (1024 * 1024),
        MAX_ATTACHMENT_BYTES / (1024 * 1024)
    )
}

/// Reads one file part. It keeps one byte past the limit, so the store's
/// check refuses the file with its own message, and drops the rest unread
/// into memory (the body limit bounds the whole request). `None`: a file
/// input left empty (a part without a name or bytes).
pub(crate) async fn read_file(
    mut field: Field<'_>,
) -> Result<Option<NewAttachment>, MultipartError> {
    let file_name = field.file_name().unwrap_or("").to_string();
    let content_type = field.content_type().unwrap_or("").to_string();
    let mut data = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        let room = (MAX_ATTACHMENT_BYTES + 1).saturating_sub(data.len());
        data.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    if file_name.is_empty() && data.is_empty() {
        return Ok(None);
    }
    Ok(Some(NewAttachment {
        name: file_name,
        content_type,
        data,
    }))
}

/// `POST /api/v1/reports`' body: the JSON of [`ReportRequest`], or the
/// same fields as the parts of a `multipart/form-data` body with files
/// in `attachments` parts (within the web form's limits, checked by the
/// store as for the form).
pub(crate) struct ReportBody {
    pub request: ReportRequest,
    pub files: Vec<NewAttachment>,
}

/// The multipart form of a report, for the OpenAPI description only: the
/// handler reads the parts into a [`ReportRequest`] and files.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ReportUpload {
    pub project: Option<String>,
    pub summary: String,
    pub details: String,
    pub impact: Option<String>,
    pub affected_versions: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    /// `true` or `false` (`on` too, as a checkbox sends it).
    pub already_public: Option<bool>,
    pub public_link: Option<String>,
    /// "I used AI tools to find or write this report" (`true`/`on`).
    pub ai_assisted: Option<bool>,
    /// Up to 5 files, each at most 10 MiB (screenshots, packet captures, logs).
    #[schema(value_type = Option<Vec<String>>, format = Binary)]
    pub attachments: Option<Vec<Vec<u8>>>,
}

fn multipart_error(e: &impl MultipartFailure) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge(too_large_report())
    } else {
        ApiError::BadRequest(e.body_text())
    }
}

/// What the multipart extractor's errors and rejections share.
trait MultipartFailure {
    fn status(&self) -> StatusCode;
    fn body_text(&self) -> String;
}

impl MultipartFailure for MultipartError {
    fn status(&self) -> StatusCode {
        MultipartError::status(self)
    }
    fn body_text(&self) -> String {
        MultipartError::body_text(self)
    }
}

impl MultipartFailure for MultipartRejection {
    fn status(&self) -> StatusCode {
        MultipartRejection::status(self)
    }
    fn body_text(&self) -> String {
        MultipartRejection::body_text(self)
    }
}

impl FromRequest<AppState> for ReportBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            let ApiJson(request) = ApiJson::from_request(request, state).await?;
            return Ok(ReportBody {
                request,
                files: Vec::new(),
            });
        }
        let mut body = Multipart::from_request(request, state)
            .await
            .map_err(|e| multipart_error(&e))?;
        let mut fields = serde_json::Map::new();
        let mut files = Vec::new();
        while let Some(field) = body.next_field().await.map_err(|e| multipart_error(&e))? {
            let name = field.name().unwrap_or("").to_string();
            if name == "attachments" {
                if let Some(file) = read_file(field).await.map_err(|e| multipart_error(&e))? {
                    files.push(file);
                }
                continue;
            }
            if name.is_empty() {
                return Err(ApiError::BadRequest(
                    "every part needs a name (`Content-Disposition: form-data; name=…`)".into(),
                ));
            }
            let text = field.text().await.map_err(|e| multipart_error(&e))?;
            let value = if name == "already_public" || name == "ai_assisted" {
                match text.trim() {
                    "true" | "on" | "1" => serde_json::Value::Bool(true),
                    "false" | "off" | "0" | "" => serde_json::Value::Bool(false),
                    _ => {
                        return Err(ApiError::Invalid {
                            field: name,
                            reason: "must be true or false".into(),
                        });
                    }
                }
            } else {
                serde_json::Value::String(text)
            };
            if fields.insert(name.clone(), value).is_some() {
                return Err(ApiError::Invalid {
                    field: name,
                    reason: "is given twice; send each field once".into(),
                });
            }
        }
        let request = serde_path_to_error::deserialize(serde_json::Value::Object(fields))
            .map_err(|e| json_error("", e))?;
        Ok(ReportBody { request, files })
    }
}

/// Content types a browser may show itself; everything else is served as
/// `application/octet-stream`, so no uploaded file can run as HTML or
/// SVG script in psirt's origin.
const SHOWN_AS_IS: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
];

/// `filename*` of `Content-Disposition` (RFC 5987 / RFC 8187): UTF-8,
/// percent-encoded except the attr-chars.
fn rfc5987(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The plain `filename` for clients without `filename*`: printable ASCII,
/// no quotes or backslashes.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect()
}

/// One attachment as a download (`Content-Disposition: attachment`, with
/// an RFC 5987 `filename*`), never rendered as a page of ours: only the
/// types of [`SHOWN_AS_IS`] keep theirs, with `nosniff` and a sandboxing
/// CSP in case a browser opens it anyway.
pub(crate) fn download(file: Attachment) -> Result<Response, String> {
    let served = if SHOWN_AS_IS.contains(&file.info.content_type.as_str()) {
        file.info.content_type.as_str()
    } else {
        "application/octet-stream"
    };
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(&file.info.name),
        rfc5987(&file.info.name)
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(served).map_err(|e| e.to_string())?,
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| e.to_string())?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok((headers, file.data).into_response())
}

/// An attachment of a case, without its bytes.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    /// The file's name as the reporter sent it (last path component only).
    pub name: String,
    /// As stored: one of a small allow-list, or `application/octet-stream`.
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: jiff::Timestamp,
    /// Where to download it.
    pub href: String,
}

/// The case's attachments, without their bytes (embargoed: the read is
/// audited as a view of the case).
#[utoipa::path(get, path = "/api/v1/cases/{reference}/attachments", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<AttachmentView>), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn list_attachments(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(r): ApiPath<String>,
) -> Result<axum::Json<Vec<AttachmentView>>, ApiError> {
    let reference = reference(&r)?;
    let record = state.store.case(&auth.caller, reference).await?;
    let files = state.store.attachments(&record).await?;
    Ok(axum::Json(
        files
            .into_iter()
            .map(|f| AttachmentView {
                href: format!("/api/v1/cases/{reference}/attachments/{}", f.id),
                id: f.id,
                name: f.name,
                content_type: f.content_type,
                size: f.size,
                sha256: f.sha256,
                created_at: f.created_at,
            })
            .collect(),
    ))
}

/// Downloads one attachment (embargoed: every download, and every refused
/// attempt, is in the audit log). Always `Content-Disposition:
/// attachment`; only PNG, JPEG, GIF, WebP and plain text keep their type.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/attachments/{id}", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"), ("id" = i64, Path, description = "The attachment")),
    responses((status = 200, description = "The file's bytes", content(
            (Vec<u8> = "application/octet-stream"), (Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"), (String = "text/plain"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub(crate) async fn download_attachment(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, id)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let reference = reference(&r)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("case {reference} has no attachment {id:?}")))?;
    let file = state.store.attachment(&auth.caller, reference, id).await?;
    download(file).map_err(ApiError::Internal)
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_are_encoded_for_content_disposition() {
        for (name, star, plain) in [
            ("capture.pcap", "capture.pcap", "capture.pcap"),
            ("my shot.png", "my%20shot.png", "my shot.png"),
            (
                "r\u{e9}sum\u{e9} \"x\".txt",
                "r%C3%A9sum%C3%A9%20%22x%22.txt",
                "r_sum_ _x_.txt",
            ),
            ("a;b=c'd.txt", "a%3Bb%3Dc%27d.txt", "a;b=c'd.txt"),
        ] {
            assert_eq!(super::rfc5987(name), star, "{name:?}");
            assert_eq!(super::ascii_name(name), plain, "{name:?}");
        }
    }
}
