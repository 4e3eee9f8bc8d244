//! The public advisories: the HTML list and pages, the stable machine
//! URLs (`/advisories/{ref}.osv.json`, `.cve.json`, `.csaf.json`), OSV's
//! bulk `/advisories/osv/all.zip`, the Atom feed, and CSAF's provider
//! metadata with its ROLIE feed; and `/.well-known/security.txt`.
//!
//! Everything here reads through `Store::public_case`,
//! `Store::public_page` (the list and the feeds: one page of the
//! projection, only its cases folded) and `Store::public_cases` (the bulk
//! OSV archive) at the publication clock's instant, so a case
//! under embargo answers exactly like a case that does not exist until
//! the second it becomes public, and then everywhere at once. Nothing here
//! is rendered by hand that a format owns: `psirt-formats` writes them all.
//!
//! Unprefixed, they are the whole instance's; under `/p/{project}/` the
//! project's alone (its advisories, feeds and `security.txt`), a case of
//! another project answering like one that does not exist.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use psirt_core::Case;
use psirt_formats::{Format, feeds};

use super::{Site, Visitor, WebError, layout, ok, time};
use crate::AppState;
use crate::advisories::document;
use crate::error::{ApiError, ApiPath};

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Which page of the public list: the cursor its "Older advisories" link
/// carries.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct ListQuery {
    cursor: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    visitor: Visitor,
    site: Site,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Response, WebError> {
    let now = state.settings.clock.now();
    // One page from the projection; only its cases are folded.
    let page = state
        .store
        .public_page(
            now,
            psirt_store::PageSize::default(),
            q.cursor.as_deref(),
            site.only(),
        )
        .await?;
    let published = &page.items;
    let body = html! {
        h1 { "Published advisories" }
        p { "Vulnerabilities fixed in a release. Each appears here only once its fix is released." }
        p {
            a href=(feeds::ATOM_FEED_PATH) { "Atom feed" } " · "
            a href="/advisories/osv/all.zip" { "All as OSV (zip)" } " · "
            a href=(feeds::PROVIDER_METADATA_PATH) { "CSAF provider metadata" }
        }
        @if published.is_empty() {
            p { "No advisories have been published yet." }
        } @else {
            table {
                caption { "Released security fixes, newest first" }
                (crate::web::column_heads(&["Reference", "Summary", "CVE", "Fixed in", "Published"]))
                tbody {
                    @for c in published {
                        tr {
                            td { a href={ "/advisories/" (c.reference) } { (c.reference.to_string()) } }
                            td { (title(c)) }
                            td {
                                @if c.cves.is_empty() { "—" }
                                @for (i, cve) in c.cves.iter().enumerate() {
                                    @if i > 0 { ", " }
                                    (cve.to_string())
                                }
                            }
                            td { (c.release().map(|r| r.version.as_str()).unwrap_or("—")) }
                            td { @if let Some(at) = psirt_core::public_at(c) { (time(at)) } }
                        }
                    }
                }
            }
        }
        @if let Some(next) = &page.next_cursor {
            nav aria-label="Pages" {
                a rel="next" href=(format!("/advisories?cursor={next}")) { "Older advisories" }
            }
        }
    };
    Ok(ok(layout("Advisories", visitor.signed_in.as_ref(), body)))
}

fn title(case: &Case) -> &str {
    case.record.title.as_deref().unwrap_or(&case.summary)
}

/// `/advisories/{ref}` (the page) or `/advisories/{ref}.{osv,cve,csaf}.json`.
pub(super) async fn advisory(
    State(state): State<AppState>,
    visitor: Visitor,
    site: Site,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, WebError> {
    let (name, format) = [
        (".osv.json", Some(Format::Osv)),
        (".cve.json", Some(Format::Cve5)),
        (".csaf.json", Some(Format::Csaf)),
        (".md", Some(Format::Markdown)),
    ]
    .into_iter()
    .find_map(|(suffix, f)| Some((file.strip_suffix(suffix)?, f)))
    .unwrap_or((file.as_str(), None));
    let not_found = || ApiError::NotFound(format!("advisory {name:?} not found"));
    let reference = name.parse().map_err(|_| not_found())?;
    let publication = &state.settings.publication;
    let now = state.settings.clock.now();
    let case = state
        .store
        .public_case(reference, now)
        .await
        .map_err(|e| match e {
            psirt_store::StoreError::NotFound(_) => not_found(),
            other => other.into(),
        })?;
    if site.only().is_some_and(|p| p != case.project) {
        return Err(not_found().into());
    }
    let publisher = publication.publisher(&case);
    if let Some(format) = format {
        let body = psirt_formats::export(&case, format, &publisher, now)
            .map_err(|e| ApiError::Conflict(e.to_string()))?;
        return Ok(document(format, body));
    }
    let record = &case.record;
    let body = html! {
        h1 { (title(&case)) }
        dl {
            dt { "Advisory" } dd { (case.reference.to_string()) }
            @for cve in &case.cves { dt { "CVE" } dd { (cve.to_string()) } }
            @for alias in &record.aliases { dt { "Also known as" } dd { (alias) } }
            @if let Some(v) = &case.cvss_final {
                dt { "Severity" } dd { (v.severity().to_string()) " " (v.base_score().to_string()) " " code { (v.to_string()) } }
            }
            @for w in &record.weaknesses { dt { "Weakness" } dd { (w.cwe.to_string()) " " (w.name) } }
            @if let Some(at) = psirt_core::public_at(&case) { dt { "Published" } dd { (time(at)) } }
        }
        @if !record.products.is_empty() {
            h2 { "Affected" }
            table {
                (crate::web::column_heads(&["Package", "Ecosystem", "Introduced", "Fixed"]))
                tbody {
                    @for p in &record.products {
                        @for r in &p.ranges {
                            tr {
                                td { (p.package) }
                                td { (p.ecosystem) }
                                td { (r.introduced) }
                                td { (r.fixed.as_deref().or(r.last_affected.as_deref().map(|_| "—")).unwrap_or("—")) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(d) = &record.description { h2 { "Description" } p.prose { (d) } }
        @if let Some(i) = &record.impact { h2 { "Impact" } p.prose { (i) } }
        @if let Some(m) = &case.mitigation { h2 { "Mitigation" } p.prose { (m) } }
        @if !record.references.is_empty() {
            h2 { "References" }
            ul { @for r in &record.references { li { (r.kind.as_str().replace('_', " ")) ": " a href=(r.url) { (r.url) } } } }
        }
        @let credits = psirt_core::credit_lines(&case);
        @if !credits.is_empty() { h2 { "Credits" } ul { @for c in &credits { li { (c) } } } }
        h2 { "Machine-readable" }
        ul {
            li { a href={ "/advisories/" (case.reference) ".osv.json" } { "OSV" } }
            li { a href={ "/advisories/" (case.reference) ".cve.json" } { "CVE JSON 5.1" } }
            li { a href={ "/advisories/" (case.reference) ".csaf.json" } { "CSAF 2.0" } }
            li { a href={ "/advisories/" (case.reference) ".md" } { "Markdown" } }
        }
    };
    Ok(ok(layout(title(&case), visitor.signed_in.as_ref(), body)))
}

/// Every published case as OSV, one `<id>.json` per entry (OSV's bulk
/// convention). Cases whose OSV export is refused are left out.
pub(super) async fn osv_all(
    State(state): State<AppState>,
    site: Site,
) -> Result<Response, WebError> {
    let publication = &state.settings.publication;
    let now = state.settings.clock.now();
    let cases = state.store.public_cases(now, site.only()).await?;
    let bytes = crate::advisories::osv_archive(&cases, publication, now)
        .map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(with_type(bytes, "application/zip"))
}

/// The feeds name one publisher: the instance's default project, or the
/// project whose pages they are, at its pages' address.
fn publisher<'a>(
    state: &'a AppState,
    site: &'a Site,
    base: &'a str,
) -> psirt_formats::Publisher<'a> {
    psirt_formats::Publisher {
        name: &site.project,
        namespace: base,
        cna_org_id: state.settings.publication.cna_org_id.as_deref(),
    }
}

/// The public URL of the site's pages: the instance's, or under the
/// project's `/p/{project}`.
fn base(state: &AppState, site: &Site) -> String {
    let url = &state.settings.publication.public_url;
    match site.scoped {
        true => format!("{}{}", url.trim_end_matches('/'), site.prefix()),
        false => url.clone(),
    }
}

/// The newest advisories, one page of the projection ([`psirt_store::MAX_PAGE`]):
/// what the feeds list, each case on it folded and no other.
async fn newest(
    state: &AppState,
    site: &Site,
    now: jiff::Timestamp,
) -> Result<Vec<Case>, WebError> {
    let limit = psirt_store::PageSize::new(psirt_store::MAX_PAGE)?;
    Ok(state
        .store
        .public_page(now, limit, None, site.only())
        .await?
        .items)
}

pub(super) async fn atom(State(state): State<AppState>, site: Site) -> Result<Response, WebError> {
    let now = state.settings.clock.now();
    let cases = newest(&state, &site, now).await?;
    let base = base(&state, &site);
    let feed = feeds::atom(&cases, &publisher(&state, &site, &base), now);
    Ok(with_type(feed, "application/atom+xml; charset=utf-8"))
}

pub(super) async fn rolie(State(state): State<AppState>, site: Site) -> Result<Response, WebError> {
    let now = state.settings.clock.now();
    let cases = newest(&state, &site, now).await?;
    let base = base(&state, &site);
    let feed = feeds::rolie(&cases, &publisher(&state, &site, &base), now);
    Ok(with_type(axum::Json(feed), "application/json"))
}

pub(super) async fn provider_metadata(
    State(state): State<AppState>,
    site: Site,
) -> Result<Response, WebError> {
    let now = state.settings.clock.now();
    let cases = newest(&state, &site, now).await?;
    let key_url = format!(
        "{}/openpgp-key.asc",
        state.settings.publication.public_url.trim_end_matches('/')
    );
    let key = state
        .settings
        .openpgp
        .as_ref()
        .map(|k| (k.fingerprint.as_str(), key_url.as_str()));
    let base = base(&state, &site);
    let metadata = feeds::provider_metadata(&cases, &publisher(&state, &site, &base), key, now);
    Ok(with_type(axum::Json(metadata), "application/json"))
}

/// `/.well-known/security.txt` (RFC 9116), signed with the instance key
/// (a cleartext signature) when the instance has one. It expires a week
/// after the day it is served, so it is renewed as long as psirt runs.
pub(super) async fn security_txt(
    State(state): State<AppState>,
    site: Site,
) -> Result<Response, WebError> {
    let now = state.settings.clock.now();
    let midnight =
        jiff::Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(86_400))
            .unwrap_or(now);
    let text = psirt_formats::security_txt::render(&psirt_formats::security_txt::SecurityTxt {
        base: &base(&state, &site),
        contacts: &[],
        encryption: state.settings.openpgp.is_some(),
        languages: &["en"],
        expires: midnight + jiff::SignedDuration::from_hours(24 * 8),
    });
    let body = match &state.settings.instance_key {
        Some(key) => psirt_mail::sign_cleartext(&text, key)
            .map_err(|e| WebError::Internal(format!("signing security.txt: {e}")))?,
        None => text,
    };
    Ok(with_type(body, "text/plain; charset=utf-8"))
}

/// A person's calendar feed at its private link: their open cases' due
/// times and embargo ends, read as them (audited like their other reads).
pub(super) async fn calendar(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> Result<Response, WebError> {
    let not_found = || ApiError::NotFound("no such calendar".into());
    let token = file.strip_suffix(".ics").ok_or_else(not_found)?;
    let owner = state
        .store
        .calendar_owner(token)
        .await?
        .ok_or_else(not_found)?;
    let caller = psirt_store::Caller::new(psirt_store::Principal::User(owner), "calendar link");
    let cases = state.store.cases(&caller, false).await?;
    let feed = psirt_formats::ical::calendar(
        &cases,
        &state.settings.publication.public_url,
        state.settings.clock.now(),
    );
    Ok(with_type(feed, "text/calendar; charset=utf-8"))
}
