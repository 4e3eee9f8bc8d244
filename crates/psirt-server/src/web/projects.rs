//! Many projects on one instance: the pages of every project that
//! publishes its security policy live under `/p/{project}/`, the same rows
//! of [`PAGES`](super::pages::PAGES) as the unprefixed pages, which stay
//! the default project's.
//!
//! A request under `/p/{project}/` is answered by the pages' own router
//! with the prefix taken off and the project put beside the request, where
//! the [`Site`] extractor gives it to the handlers; the links, redirects
//! and page cookies of the answer that comes back are put under the same prefix,
//! so that a project's pages lead to its own pages. An unknown project, a
//! project that does not publish its policy, and a case's, organisation's
//! or status link's page under another project's prefix are all the same 404: the
//! answer does not tell whether a private project exists. What a caller
//! may see on a project's pages is decided as everywhere else, by
//! `psirt_core::authorize` through the store; the prefix narrows, never
//! widens.

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tower_service::Service;

use super::WebError;
use super::pages::{PAGES, Page};
use crate::AppState;

/// Where the per-project pages are mounted.
pub const PREFIX: &str = "/p";

/// The project of a request under `/p/{project}/`.
#[derive(Clone)]
struct InProject(String);

/// Which project a page is about: under `/p/{project}/` that one, on the
/// unprefixed pages the instance's default project.
pub(crate) struct Site {
    pub project: String,
    /// Whether the page was asked for under `/p/{project}/`.
    pub scoped: bool,
}

impl Site {
    /// The project, when the page is under its prefix: the filter of the
    /// lists that the unprefixed pages show for the whole instance (the
    /// advisories and their feeds).
    pub fn only(&self) -> Option<&str> {
        self.scoped.then_some(self.project.as_str())
    }

    /// The path the project's pages start with: empty for the
    /// unprefixed pages.
    pub fn prefix(&self) -> String {
        if self.scoped {
            format!("{PREFIX}/{}", self.project)
        } else {
            String::new()
        }
    }
}

impl FromRequestParts<AppState> for Site {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        Ok(match parts.extensions.get::<InProject>() {
            Some(InProject(project)) => Site {
                project: project.clone(),
                scoped: true,
            },
            None => Site {
                project: state.settings.default_project.clone(),
                scoped: false,
            },
        })
    }
}

/// The 404 of everything under `/p/` that is not a published project's
/// page.
fn not_found() -> WebError {
    WebError::Page(
        StatusCode::NOT_FOUND,
        "Page not found".into(),
        "There is no page at this address.".into(),
    )
}

/// `/p/{project}/…`, answered by `pages` (the router of `PAGES`).
pub(super) fn router(state: &AppState) -> Router<AppState> {
    let pages = super::pages::router()
        .fallback(|| async { not_found() })
        .with_state(state.clone());
    let dispatch = move |State(state): State<AppState>, request: Request| {
        let pages = pages.clone();
        async move {
            // The nest took `/p` off: the path is `/{project}/{rest}`.
            let path = request.uri().path().to_string();
            let path = path.strip_prefix('/').unwrap_or(&path);
            let (slug, rest) = path.split_once('/').unwrap_or((path, ""));
            let row = row_of(rest);
            let mut response = match in_project(&state, pages, slug, rest, row, request).await {
                Ok(response) => response,
                Err(e) => e.into_response(),
            };
            // The router names no route for what it hands on: the row does.
            response
                .extensions_mut()
                .insert(crate::metrics::RouteTemplate(format!(
                    "{PREFIX}/{{project}}{}",
                    row.map_or("/{unknown}", |r| r.path)
                )));
            response
        }
    };
    // Nested under a fixed path, so that the pages' own path parameters
    // are the only ones their handlers see.
    Router::new().nest_service(PREFIX, dispatch.with_state(state.clone()))
}

async fn in_project(
    state: &AppState,
    mut pages: Router,
    slug: &str,
    rest: &str,
    row: Option<&Page>,
    mut request: Request,
) -> Result<Response, WebError> {
    let project = match state.store.published_project(slug).await {
        Ok(p) => p,
        Err(psirt_store::StoreError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    if let Some(row) = row
        && !owned_by(state, &project.slug, row, rest).await?
    {
        return Err(not_found());
    }
    let query = request
        .uri()
        .query()
        .map_or(String::new(), |q| format!("?{q}"));
    *request.uri_mut() = format!("/{rest}{query}")
        .parse::<Uri>()
        .map_err(|_| not_found())?;
    request
        .extensions_mut()
        .insert(InProject(project.slug.clone()));
    let response = pages
        .call(request)
        .await
        .unwrap_or_else(|never| match never {});
    relink(response, &format!("{PREFIX}/{}", project.slug)).await
}

/// The row of `PAGES` whose path `rest` (a path without its leading `/`)
/// is.
fn row_of(rest: &str) -> Option<&'static Page> {
    let segments: Vec<&str> = rest.split('/').collect();
    PAGES.iter().find(|page| {
        let row: Vec<&str> = page.path.trim_start_matches('/').split('/').collect();
        row.len() == segments.len()
            && row
                .iter()
                .zip(&segments)
                .all(|(r, s)| r.starts_with('{') || r == s)
    })
}

/// Whether the case, organisation or status link a page is about (its
/// row's `{reference}`, `{org}` or status `{token}`) belongs to
/// `project`; a page about none of them, or about one that does not
/// exist, answers for itself.
async fn owned_by(
    state: &AppState,
    project: &str,
    row: &Page,
    rest: &str,
) -> Result<bool, WebError> {
    let template = row.path.trim_start_matches('/').split('/');
    for (r, s) in template.clone().zip(rest.split('/')) {
        let owner = match r {
            "{reference}" => state.store.case_project(s).await?,
            "{org}" => match s.parse() {
                Ok(id) => state.store.org_project(id).await?,
                Err(_) => None,
            },
            "{token}" if row.path.starts_with("/status/") => state.store.status_project(s).await?,
            _ => continue,
        };
        return Ok(owner.is_none_or(|p| p == project));
    }
    Ok(true)
}

/// Puts the page's links, form actions and redirects under `prefix`; the
/// API's routes and the instance's key are the instance's and keep their
/// paths. Only the page templates write `href="/`: text a person typed is
/// escaped (a `"` in it is `&quot;`), so it cannot be taken for a link.
async fn relink(response: Response, prefix: &str) -> Result<Response, WebError> {
    let (mut parts, body) = response.into_parts();
    if let Some(location) = parts.headers.get(header::LOCATION)
        && let Ok(location) = location.to_str()
        && let Some(moved) = under(prefix, location)
    {
        parts.headers.insert(
            header::LOCATION,
            HeaderValue::from_str(&moved).map_err(|e| WebError::Internal(e.to_string()))?,
        );
    }
    // A cookie for one page (the sign-in form's) goes with that page.
    let cookies: Vec<HeaderValue> = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(
            |c| match c.to_str().ok().and_then(|c| cookie_under(prefix, c)) {
                Some(moved) => HeaderValue::from_str(&moved).unwrap_or_else(|_| c.clone()),
                None => c.clone(),
            },
        )
        .collect();
    parts.headers.remove(header::SET_COOKIE);
    for c in cookies {
        parts.headers.append(header::SET_COOKIE, c);
    }
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return Ok(Response::from_parts(parts, body));
    }
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    let text = String::from_utf8_lossy(&bytes);
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(
        parts,
        Body::from(relink_html(&text, prefix)),
    ))
}

/// `path` under `prefix`, when it is one of the pages' paths.
fn under(prefix: &str, path: &str) -> Option<String> {
    let page = path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/api/")
        && !path.starts_with("/openpgp-key.asc");
    page.then(|| format!("{prefix}{path}"))
}

/// A `Set-Cookie` whose `Path` is one page's, with the page under
/// `prefix`; a cookie for the whole site (`Path=/`) stays as it is.
fn cookie_under(prefix: &str, cookie: &str) -> Option<String> {
    let at = cookie.find("; Path=/")? + "; Path=".len();
    let end = cookie[at..].find(';').map_or(cookie.len(), |i| at + i);
    let path = &cookie[at..end];
    (path != "/").then(|| format!("{}{prefix}{path}{}", &cookie[..at], &cookie[end..]))
}

/// Every `href="/…"`, `action="/…"` and `formaction="/…"` of a page's
/// markup put under `prefix` (see [`under`]).
pub(crate) fn relink_html(html: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(at) = ["href=\"", "action=\""]
        .iter()
        .filter_map(|attr| rest.find(attr).map(|i| (i, attr.len())))
        .min()
    {
        let (i, len) = at;
        let value_at = i + len;
        out.push_str(&rest[..value_at]);
        rest = &rest[value_at..];
        let end = rest.find('"').unwrap_or(rest.len());
        match under(prefix, &rest[..end]) {
            Some(moved) => out.push_str(&moved),
            None => out.push_str(&rest[..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::relink_html;

    #[test]
    fn a_pages_cookie_goes_under_the_prefix_and_a_sites_stays() {
        assert_eq!(
            super::cookie_under("/p/b", "t=1; HttpOnly; Path=/signin; Max-Age=3600").as_deref(),
            Some("t=1; HttpOnly; Path=/p/b/signin; Max-Age=3600")
        );
        assert_eq!(
            super::cookie_under("/p/b", "s=1; HttpOnly; Path=/; Max-Age=3600"),
            None
        );
        assert_eq!(super::cookie_under("/p/b", "s=1; HttpOnly"), None);
    }

    #[test]
    fn links_and_forms_go_under_the_prefix_but_not_the_apis() {
        let page = concat!(
            r#"<a href="/">p</a><a href="/cases/X-1?cursor=c">c</a>"#,
            r#"<form action="/signout"><button formaction="/signout/everywhere">"#,
            r#"<a href="https://example.org/">x</a><a href="/api/v1/cases">a</a>"#,
            r#"<a href="/openpgp-key.asc">k</a><a href="//evil.example/">e</a>"#,
            r#"<p>href=&quot;/x&quot;</p>"#,
        );
        assert_eq!(
            relink_html(page, "/p/b"),
            concat!(
                r#"<a href="/p/b/">p</a><a href="/p/b/cases/X-1?cursor=c">c</a>"#,
                r#"<form action="/p/b/signout"><button formaction="/p/b/signout/everywhere">"#,
                r#"<a href="https://example.org/">x</a><a href="/api/v1/cases">a</a>"#,
                r#"<a href="/openpgp-key.asc">k</a><a href="//evil.example/">e</a>"#,
                r#"<p>href=&quot;/x&quot;</p>"#,
            )
        );
    }
}
