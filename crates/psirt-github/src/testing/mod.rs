//! A stand-in GitHub for tests (the `testing` feature), following the
//! documented REST API (2022-11-28) for one repository: `GET
//! /repos/{owner}/{repo}`; issues (`GET`/`POST .../issues` with `state`,
//! `per_page`, `page` and a `Link` header; `GET .../issues/{number}`); and
//! repository security advisories (`GET`/`POST .../security-advisories`,
//! `GET`/`PATCH .../security-advisories/{ghsa_id}`, with `state`,
//! `collaborating_users`, `cve_id`, `vulnerabilities`). Every answer
//! carries the `x-ratelimit-*` headers; refusals have GitHub's shape
//! `{message, errors?, documentation_url, status}` (401 bad credentials,
//! 404, 422 validation). Faults are queued per route: a 5xx, a secondary
//! rate limit (429 or 403 with `retry-after`), the primary one (403 with
//! `x-ratelimit-remaining: 0` and `x-ratelimit-reset`), or acting and
//! then failing before answering (the lost answer a retry must not repeat).
//!
//! Pages are at most `page_cap` items (whatever `per_page` asks), so that
//! tests paginate with a handful of items. The issues are served by
//! `issues.rs`, the advisories by `advisories.rs`; this module holds what
//! every route shares: the token and fault check, the rate-limit headers,
//! the refusals' shape and the pages.

// A refusal here is the HTTP answer itself; boxing it would only add noise
// to a test server.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use psirt_http::testing::{Faults, Loopback};
use serde_json::{Value, json};

use advisories::{create_advisory, edit_advisory, list_advisories, show_advisory};
use issues::{create_issue, list_issues, new_issue, show_issue};

mod advisories;
mod issues;

pub const OWNER: &str = "coredns";
pub const REPO: &str = "coredns";
pub const TOKEN: &str = "ghp_standInToken0123456789";
/// The token's own account.
pub const BOT: &str = "psirt-bot";

const DOCS: &str = "https://docs.github.com/rest";

/// What a queued fault does to the next matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this status (5xx) without acting.
    Fail(u16),
    /// A secondary rate limit: 429 with `retry-after: seconds`.
    RateLimit(u64),
    /// A secondary rate limit as a 403 with `retry-after: seconds`.
    SecondaryRateLimit(u64),
    /// The primary rate limit: 403, `x-ratelimit-remaining: 0`, reset in
    /// `seconds`.
    PrimaryRateLimit(u64),
    /// Do what was asked, then answer 502 as if the answer was lost.
    ActThenFail,
}

#[derive(Default)]
struct Inner {
    base: String,
    page_cap: usize,
    users: BTreeSet<String>,
    issues: Vec<Value>,
    advisories: Vec<Value>,
    faults: Faults<Fault>,
    /// Every request as `METHOD route`, in order.
    log: Vec<String>,
    requests: u64,
}

/// A running stand-in: its API root (`http://127.0.0.1:PORT`).
#[derive(Clone)]
pub struct StandIn {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

type Shared = Arc<Mutex<Inner>>;

/// A handler's answer: a refusal is the `Err` side, so that `?` ends a
/// handler with it.
type Reply = Result<Response, Response>;

impl StandIn {
    /// Starts one on a free loopback port, with `users` as GitHub's
    /// accounts (besides [`BOT`]) and pages of at most `page_cap` items.
    pub async fn start(page_cap: usize, users: &[&str]) -> StandIn {
        let loopback = Loopback::bind().await;
        let url = loopback.url();
        let inner = Arc::new(Mutex::new(Inner {
            base: url.clone(),
            page_cap: page_cap.max(1),
            users: users
                .iter()
                .map(|u| u.to_string())
                .chain([BOT.to_string()])
                .collect(),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/repos/{owner}/{repo}", get(repository))
            .route(
                "/repos/{owner}/{repo}/issues",
                get(list_issues).post(create_issue),
            )
            .route("/repos/{owner}/{repo}/issues/{number}", get(show_issue))
            .route(
                "/repos/{owner}/{repo}/security-advisories",
                get(list_advisories).post(create_advisory),
            )
            .route(
                "/repos/{owner}/{repo}/security-advisories/{ghsa}",
                get(show_advisory).patch(edit_advisory),
            )
            .layer(from_fn_with_state(inner.clone(), scripted))
            .with_state(inner.clone());
        loopback.serve(app);
        StandIn { url, inner }
    }

    /// Queues a fault for the next request to `route` (the path below the
    /// repository: `issues`, `security-advisories`,
    /// `security-advisories/{ghsa}`) with `method`.
    pub fn fault(&self, method: &str, route: &str, fault: Fault) {
        self.inner.lock().unwrap().faults.push(method, route, fault);
    }

    /// The issues so far, oldest first.
    pub fn issues(&self) -> Vec<Value> {
        self.inner.lock().unwrap().issues.clone()
    }

    /// The advisories so far, oldest first.
    pub fn advisories(&self) -> Vec<Value> {
        self.inner.lock().unwrap().advisories.clone()
    }

    /// Requests so far, as `METHOD route` (the path below the repository).
    pub fn log(&self) -> Vec<String> {
        self.inner.lock().unwrap().log.clone()
    }

    /// Opens an issue as another user would (no marker of psirt's).
    pub fn open_issue_as(&self, login: &str, title: &str) {
        let mut inner = self.inner.lock().unwrap();
        let issue = new_issue(&mut inner, login, title, Some("Seen in the wild."));
        inner.issues.push(issue);
    }
}

fn problem(status: u16, message: &str, errors: Option<Value>) -> Response {
    let mut body =
        json!({ "message": message, "documentation_url": DOCS, "status": status.to_string() });
    if let Some(e) = errors {
        body["errors"] = e;
    }
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

fn invalid(errors: Value) -> Response {
    problem(422, "Validation Failed", Some(errors))
}

fn now() -> String {
    Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn epoch() -> i64 {
    Timestamp::now().as_second()
}

fn user(base: &str, login: &str) -> Value {
    json!({
        "login": login,
        "id": login.bytes().map(u64::from).sum::<u64>(),
        "type": "User",
        "site_admin": false,
        "url": format!("{base}/users/{login}"),
        "html_url": format!("https://github.com/{login}"),
    })
}

/// Every request, before its handler: logged and counted, its token,
/// API version and repository checked and its queued fault taken. A fault
/// that fails answers at once, without acting; `ActThenFail` lets the
/// handler act and, when it did, loses its answer. Every answer then
/// carries the rate-limit headers.
async fn scripted(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path()
        .trim_start_matches("/repos/")
        .to_owned();
    // `{owner}/{repo}` and the route below the repository.
    let mut parts = path.splitn(3, '/').chain(["", ""]);
    let (owner, repo) = (parts.next().unwrap(), parts.next().unwrap());
    let route = parts.next().unwrap();
    let fault = begin(
        &mut s.lock().unwrap(),
        request.headers(),
        &method,
        route,
        owner,
        repo,
    );
    let answer = match fault {
        Err(refusal) => refusal,
        Ok(Some(Fault::ActThenFail)) => match next.run(request).await {
            acted if acted.status().is_success() => problem(502, "Server Error", None),
            refused => refused,
        },
        Ok(_) => next.run(request).await,
    };
    with_limits(s.lock().unwrap().requests, answer)
}

/// Adds GitHub's rate-limit headers to an answer (those a fault set stay
/// as they are).
fn with_limits(requests: u64, mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let remaining = 5000u64.saturating_sub(requests);
    let set = |h: &mut HeaderMap, name: &'static str, v: String| {
        if !h.contains_key(name) {
            h.insert(name, HeaderValue::from_str(&v).unwrap());
        }
    };
    set(h, "x-ratelimit-limit", "5000".into());
    set(h, "x-ratelimit-remaining", remaining.to_string());
    set(h, "x-ratelimit-used", requests.to_string());
    set(h, "x-ratelimit-reset", (epoch() + 3600).to_string());
    set(h, "x-ratelimit-resource", "core".into());
    set(h, "x-github-api-version-selected", "2022-11-28".into());
    resp
}

/// Checks the token, API version and repository, and takes the request's
/// fault, if one is queued. `Err` is the answer to give instead of acting.
fn begin(
    inner: &mut Inner,
    headers: &HeaderMap,
    method: &str,
    route: &str,
    owner: &str,
    repo: &str,
) -> Result<Option<Fault>, Response> {
    inner.log.push(format!("{method} {route}"));
    inner.requests += 1;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let token = header("authorization")
        .and_then(|a| a.strip_prefix("Bearer ").or(a.strip_prefix("token ")));
    if token != Some(TOKEN) {
        return Err(problem(401, "Bad credentials", None));
    }
    if let Some(v) = header("x-github-api-version")
        && v != "2022-11-28"
    {
        return Err(problem(
            400,
            &format!("API version '{v}' is not supported."),
            None,
        ));
    }
    if owner != OWNER || repo != REPO {
        return Err(problem(404, "Not Found", None));
    }
    let fault = inner.faults.take(method, route);
    let limited = |status: u16, message: &str, secs: u64| {
        let mut resp = problem(status, message, None);
        resp.headers_mut()
            .insert("retry-after", HeaderValue::from(secs));
        resp
    };
    match fault {
        Some(Fault::Fail(status)) => Err(problem(status, "Server Error", None)),
        Some(Fault::RateLimit(secs)) => Err(limited(
            429,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            secs,
        )),
        Some(Fault::SecondaryRateLimit(secs)) => Err(limited(
            403,
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            secs,
        )),
        Some(Fault::PrimaryRateLimit(secs)) => {
            let mut resp = problem(403, "API rate limit exceeded for user ID 1.", None);
            let h = resp.headers_mut();
            h.insert("x-ratelimit-remaining", HeaderValue::from(0));
            h.insert(
                "x-ratelimit-reset",
                HeaderValue::from(epoch() + secs as i64),
            );
            Err(resp)
        }
        other => Ok(other),
    }
}

/// A list of the repository's `resource`: one page of `items`, newest
/// first unless asked otherwise (as GitHub sorts by default), and its
/// `Link` header, as GitHub pages lists.
fn page(
    inner: &Inner,
    resource: &str,
    q: &BTreeMap<String, String>,
    mut items: Vec<Value>,
) -> Reply {
    if q.get("direction").map_or("desc", String::as_str) == "desc" {
        items.reverse();
    }
    let path = format!("/repos/{OWNER}/{REPO}/{resource}");
    let per_page = q
        .get("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100)
        .min(inner.page_cap);
    let pages = items.len().div_ceil(per_page).max(1);
    let n = q
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let body: Vec<Value> = items
        .into_iter()
        .skip((n - 1) * per_page)
        .take(per_page)
        .collect();
    let mut resp = Json(body).into_response();
    let link_to = |p: usize| {
        let mut query: Vec<String> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        query.push(format!("page={p}"));
        format!("<{}{path}?{}>", inner.base, query.join("&"))
    };
    let mut links = Vec::new();
    if n < pages {
        links.push(format!("{}; rel=\"next\"", link_to(n + 1)));
        links.push(format!("{}; rel=\"last\"", link_to(pages)));
    }
    if n > 1 {
        links.push(format!("{}; rel=\"prev\"", link_to(n - 1)));
        links.push(format!("{}; rel=\"first\"", link_to(1)));
    }
    if !links.is_empty() {
        resp.headers_mut()
            .insert("link", HeaderValue::from_str(&links.join(", ")).unwrap());
    }
    Ok(resp)
}

async fn repository(State(s): State<Shared>) -> Reply {
    let inner = s.lock().unwrap();
    let base = &inner.base;
    let body = json!({
        "id": 1,
        "name": REPO,
        "full_name": format!("{OWNER}/{REPO}"),
        "owner": user(base, OWNER),
        "private": false,
        "html_url": format!("https://github.com/{OWNER}/{REPO}"),
        "url": format!("{base}/repos/{OWNER}/{REPO}"),
        "has_issues": true,
        "default_branch": "master",
    });
    Ok(Json(body).into_response())
}
