//! Advisories at the HTTP edge: the team's export of a case
//! (`GET /api/v1/cases/{reference}/export/{format}`, read through
//! `Store::case`, so it is authorized and audited like every embargoed
//! read), who publishes ([`Publication`]) and the clock publication
//! follows ([`Clock`]). The public URLs are pages and files in
//! `web/advisories.rs`.
//!
//! This module renders nothing itself: `psirt-formats` owns the formats,
//! `psirt_core::public_at` decides when a case is public.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use psirt_formats::{Format, Publisher};

use crate::AppState;
use crate::api::reference;
use crate::auth::Auth;
use crate::error::{ApiError, ApiPath, Problem};

/// Who publishes the advisories, and from where.
#[derive(Clone, Debug)]
pub struct Publication {
    /// The instance's public base URL: the advisories' URLs and CSAF's
    /// publisher namespace.
    pub public_url: String,
    /// The CNA's `orgId` for CVE JSON; without it the `cve5` export is refused.
    pub cna_org_id: Option<String>,
}

impl Default for Publication {
    fn default() -> Publication {
        Publication {
            public_url: "http://localhost:8080".into(),
            cna_org_id: None,
        }
    }
}

impl Publication {
    pub fn publisher<'a>(&'a self, case: &'a psirt_core::Case) -> Publisher<'a> {
        Publisher {
            name: &case.project,
            namespace: &self.public_url,
            cna_org_id: self.cna_org_id.as_deref(),
        }
    }
}

/// The clock that commands through the API and the public URLs follow:
/// the system's, or in tests one that is set by hand (so "one second
/// before the embargo's instant" is an instant, not a sleep).
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// A clock that stands at `at` until it is set again.
    pub fn fixed(at: jiff::Timestamp) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(at.as_second()))))
    }

    pub fn set(&self, at: jiff::Timestamp) {
        if let Some(c) = &self.0 {
            c.store(at.as_second(), Ordering::SeqCst);
        }
    }

    pub fn now(&self) -> jiff::Timestamp {
        match &self.0 {
            Some(c) => jiff::Timestamp::from_second(c.load(Ordering::SeqCst))
                .unwrap_or_else(|_| crate::now()),
            None => crate::now(),
        }
    }
}

/// OSV's bulk download: every case's OSV entry as `<id>.json` in one ZIP
/// archive. Cases whose OSV export is refused (no CVE or GHSA id yet)
/// are left out.
pub fn osv_archive(
    cases: &[psirt_core::Case],
    publication: &Publication,
    now: jiff::Timestamp,
) -> Result<Vec<u8>, crate::bulk::TooLarge> {
    let files: Vec<(String, Vec<u8>)> = cases
        .iter()
        .filter_map(|case| {
            let body =
                psirt_formats::export(case, Format::Osv, &publication.publisher(case), now).ok()?;
            let entry: serde_json::Value = serde_json::from_str(&body).ok()?;
            Some((format!("{}.json", entry["id"].as_str()?), body.into_bytes()))
        })
        .collect();
    crate::bulk::zip(&files, now)
}

pub(crate) fn format(text: &str) -> Result<Format, ApiError> {
    Format::parse(text).ok_or_else(|| ApiError::Invalid {
        field: "format".into(),
        reason: format!("{text:?} is not one of osv, cve5, csaf, markdown"),
    })
}

/// A rendered export as its response: JSON or Markdown.
pub(crate) fn document(format: Format, body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

/// The case's advisory in one format (`osv`, `cve5`, `csaf`, `markdown`),
/// rendered from the record; under embargo the CSAF copy is TLP:AMBER.
/// Every read is audited. A record that lacks what the format needs (an
/// affected product, the final vector, a description, …) is a 409 naming
/// what is missing.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/export/{format}", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN"),
        ("format" = String, Path, description = "osv, cve5, csaf or markdown")),
    responses((status = 200, description = "The advisory (application/json, or text/markdown for markdown)", body = String),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn export_case(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath((r, f)): ApiPath<(String, String)>,
) -> Result<Response, ApiError> {
    let reference = reference(&r)?;
    let format = format(&f)?;
    let record = state.store.case(&auth.caller, reference).await?;
    let publication = &state.settings.publication;
    let body = psirt_formats::export(
        &record.case,
        format,
        &publication.publisher(&record.case),
        state.settings.clock.now(),
    )
    .map_err(|e| ApiError::Conflict(e.to_string()))?;
    Ok(document(format, body))
}

/// A private calendar link.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CalendarLink {
    /// An iCalendar (RFC 5545) feed of the due times and embargo ends of
    /// your cases. Keep it secret; asking again replaces it.
    pub url: String,
}

/// A new private calendar link for the caller (the previous one stops
/// working). The feed names case references and due times only.
#[utoipa::path(post, path = "/api/v1/me/calendar", tag = "session",
    responses((status = 200, body = CalendarLink), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub(crate) async fn new_calendar_link(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::Json<CalendarLink>, ApiError> {
    let psirt_store::Principal::User(user) = &auth.caller.principal else {
        return Err(ApiError::Forbidden("only a person has a calendar".into()));
    };
    let token = state
        .store
        .new_calendar_link(user.id, state.settings.clock.now())
        .await?;
    Ok(axum::Json(CalendarLink {
        url: format!(
            "{}/calendar/{}.ics",
            state.settings.publication.public_url.trim_end_matches('/'),
            token.reveal()
        ),
    }))
}
