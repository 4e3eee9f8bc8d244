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
//! tests paginate with a handful of items.

// A refusal here is the HTTP answer itself; boxing it would only add noise
// to a test server.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use serde_json::{Value, json};

pub const OWNER: &str = "coredns";
pub const REPO: &str = "coredns";
pub const TOKEN: &str = "ghp_standInToken0123456789";
/// The token's own account.
pub const BOT: &str = "psirt-bot";

const DOCS: &str = "https://docs.github.com/rest";
const ECOSYSTEMS: [&str; 12] = [
    "rubygems", "npm", "pip", "maven", "nuget", "composer", "go", "rust", "erlang", "actions",
    "pub", "other",
];

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
    /// `(method, route)` → faults, oldest first.
    faults: Vec<(String, String, VecDeque<Fault>)>,
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

impl StandIn {
    /// Starts one on a free loopback port, with `users` as GitHub's
    /// accounts (besides [`BOT`]) and pages of at most `page_cap` items.
    pub async fn start(page_cap: usize, users: &[&str]) -> StandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
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
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        StandIn { url, inner }
    }

    /// Queues a fault for the next request to `route` (`issues`,
    /// `security-advisories`, `security-advisories/{ghsa}`) with `method`.
    pub fn fault(&self, method: &str, route: &str, fault: Fault) {
        let mut inner = self.inner.lock().unwrap();
        match inner
            .faults
            .iter_mut()
            .find(|(m, r, _)| m == method && r == route)
        {
            Some((_, _, q)) => q.push_back(fault),
            None => inner
                .faults
                .push((method.into(), route.into(), VecDeque::from([fault]))),
        }
    }

    /// The issues so far, oldest first.
    pub fn issues(&self) -> Vec<Value> {
        self.inner.lock().unwrap().issues.clone()
    }

    /// The advisories so far, oldest first.
    pub fn advisories(&self) -> Vec<Value> {
        self.inner.lock().unwrap().advisories.clone()
    }

    /// Requests so far, as `METHOD route`.
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

/// Adds GitHub's rate-limit headers to an answer.
fn with_limits(inner: &Inner, mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let remaining = 5000u64.saturating_sub(inner.requests);
    let set = |h: &mut HeaderMap, name: &'static str, v: String| {
        if !h.contains_key(name) {
            h.insert(name, HeaderValue::from_str(&v).unwrap());
        }
    };
    set(h, "x-ratelimit-limit", "5000".into());
    set(h, "x-ratelimit-remaining", remaining.to_string());
    set(h, "x-ratelimit-used", inner.requests.to_string());
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
    let fault = inner
        .faults
        .iter_mut()
        .find(|(m, r, _)| m == method && r == route)
        .and_then(|(_, _, q)| q.pop_front());
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

/// The answer, or the lost one after acting.
fn finish(fault: Option<Fault>, answer: Response) -> Response {
    match fault {
        Some(Fault::ActThenFail) => problem(502, "Server Error", None),
        _ => answer,
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
) -> Response {
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
    with_limits(inner, resp)
}

async fn repository(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let mut inner = s.lock().unwrap();
    if let Err(r) = begin(&mut inner, &headers, "GET", "", &owner, &repo) {
        return with_limits(&inner, r);
    }
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
    with_limits(&inner, Json(body).into_response())
}

fn new_issue(inner: &mut Inner, login: &str, title: &str, body: Option<&str>) -> Value {
    let number = inner.issues.len() as u64 + 1;
    let base = &inner.base;
    let t = now();
    json!({
        "id": 1000 + number,
        "number": number,
        "title": title,
        "body": body,
        "state": "open",
        "locked": false,
        "labels": [],
        "assignees": [],
        "comments": 0,
        "user": user(base, login),
        "url": format!("{base}/repos/{OWNER}/{REPO}/issues/{number}"),
        "html_url": format!("https://github.com/{OWNER}/{REPO}/issues/{number}"),
        "created_at": t,
        "updated_at": t,
        "closed_at": null,
    })
}

async fn list_issues(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let mut inner = s.lock().unwrap();
    if let Err(r) = begin(&mut inner, &headers, "GET", "issues", &owner, &repo) {
        return with_limits(&inner, r);
    }
    let state = q.get("state").map_or("open", String::as_str);
    if !["open", "closed", "all"].contains(&state) {
        return with_limits(
            &inner,
            invalid(json!([{ "resource": "Issue", "field": "state", "code": "invalid" }])),
        );
    }
    let items: Vec<Value> = inner
        .issues
        .iter()
        .filter(|i| state == "all" || i["state"] == state)
        .cloned()
        .collect();
    page(&inner, "issues", &q, items)
}

async fn create_issue(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = s.lock().unwrap();
    let fault = match begin(&mut inner, &headers, "POST", "issues", &owner, &repo) {
        Ok(f) => f,
        Err(r) => return with_limits(&inner, r),
    };
    let Some(title) = body["title"].as_str().filter(|t| !t.trim().is_empty()) else {
        return with_limits(
            &inner,
            invalid(json!([{ "resource": "Issue", "code": "missing_field", "field": "title" }])),
        );
    };
    let issue = new_issue(&mut inner, BOT, title, body["body"].as_str());
    inner.issues.push(issue.clone());
    let mut resp = (StatusCode::CREATED, Json(issue.clone())).into_response();
    resp.headers_mut().insert(
        "location",
        HeaderValue::from_str(issue["url"].as_str().unwrap()).unwrap(),
    );
    with_limits(&inner, finish(fault, resp))
}

async fn show_issue(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo, number)): Path<(String, String, u64)>,
) -> Response {
    let mut inner = s.lock().unwrap();
    if let Err(r) = begin(
        &mut inner,
        &headers,
        "GET",
        "issues/{number}",
        &owner,
        &repo,
    ) {
        return with_limits(&inner, r);
    }
    let resp = match inner.issues.iter().find(|i| i["number"] == number) {
        Some(i) => Json(i.clone()).into_response(),
        None => problem(404, "Not Found", None),
    };
    with_limits(&inner, resp)
}

/// GHSA ids: three groups of four from GitHub's alphabet.
fn ghsa(n: usize) -> String {
    const ALPHABET: &[u8] = b"23456789cfghjmpqrvwx";
    let mut x = n * 7919 + 104_729;
    let mut chars = Vec::new();
    for _ in 0..12 {
        chars.push(ALPHABET[x % ALPHABET.len()] as char);
        x /= ALPHABET.len();
        x += n + 3;
    }
    let s: String = chars.into_iter().collect();
    format!("GHSA-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12])
}

/// Checks `credits` (`[{login, type}]`) as GitHub does: known users and
/// credit types only. `Ok` is the advisory's `credits` and
/// `credits_detailed` (each credit pending until its user accepts it);
/// `Err` is the 422.
fn credits(inner: &Inner, v: &Value) -> Result<(Value, Value), Response> {
    const TYPES: [&str; 10] = [
        "analyst",
        "finder",
        "reporter",
        "coordinator",
        "remediation_developer",
        "remediation_reviewer",
        "remediation_verifier",
        "tool",
        "sponsor",
        "other",
    ];
    let Some(list) = v.as_array() else {
        return Err(invalid(json!(["credits must be an array"])));
    };
    let (mut short, mut detailed) = (Vec::new(), Vec::new());
    for c in list {
        let login = c["login"].as_str().unwrap_or("");
        let kind = c["type"].as_str().unwrap_or("");
        if !inner.users.contains(login) {
            return Err(invalid(json!([format!(
                "Could not resolve to a User with the login of '{login}'."
            )])));
        }
        if !TYPES.contains(&kind) {
            return Err(invalid(json!([format!(
                "{kind:?} is not a valid credit type"
            )])));
        }
        short.push(json!({ "login": login, "type": kind }));
        detailed
            .push(json!({ "user": user(&inner.base, login), "type": kind, "state": "pending" }));
    }
    Ok((Value::Array(short), Value::Array(detailed)))
}

/// Checks and normalises `vulnerabilities`; `Err` is the 422.
fn vulnerabilities(v: &Value) -> Result<Value, Response> {
    let Some(list) = v.as_array() else {
        return Err(invalid(json!(["vulnerabilities must be an array"])));
    };
    let mut out = Vec::new();
    for item in list {
        let eco = item["package"]["ecosystem"].as_str().unwrap_or("");
        if !ECOSYSTEMS.contains(&eco) {
            return Err(invalid(json!([format!(
                "vulnerabilities[].package.ecosystem {eco:?} is not one of {}",
                ECOSYSTEMS.join(", ")
            )])));
        }
        out.push(json!({
            "package": { "ecosystem": eco, "name": item["package"]["name"] },
            "vulnerable_version_range": item["vulnerable_version_range"],
            "patched_versions": item["patched_versions"],
            "vulnerable_functions": item.get("vulnerable_functions").cloned().unwrap_or(json!([])),
        }));
    }
    Ok(Value::Array(out))
}

/// Applies the severity fields of a create or edit; `Err` is the 422.
fn severity(advisory: &mut Value, body: &Value) -> Result<(), Response> {
    match (body.get("severity"), body.get("cvss_vector_string")) {
        (Some(s), Some(v)) if !s.is_null() && !v.is_null() => Err(invalid(json!([
            "Cannot specify both severity and cvss_vector_string"
        ]))),
        (_, Some(v)) if v.is_string() => {
            let vector = v.as_str().unwrap();
            if !vector.starts_with("CVSS:3.") && !vector.starts_with("CVSS:4.0/") {
                return Err(invalid(
                    json!([{ "resource": "RepositoryAdvisory", "field": "cvss_vector_string", "code": "invalid" }]),
                ));
            }
            advisory["cvss"] = json!({ "vector_string": vector, "score": null });
            Ok(())
        }
        (Some(s), _) if s.is_string() => {
            if !["critical", "high", "medium", "low"].contains(&s.as_str().unwrap()) {
                return Err(invalid(
                    json!([{ "resource": "RepositoryAdvisory", "field": "severity", "code": "invalid" }]),
                ));
            }
            advisory["severity"] = s.clone();
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn list_advisories(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let mut inner = s.lock().unwrap();
    if let Err(r) = begin(
        &mut inner,
        &headers,
        "GET",
        "security-advisories",
        &owner,
        &repo,
    ) {
        return with_limits(&inner, r);
    }
    let items: Vec<Value> = inner
        .advisories
        .iter()
        .filter(|a| q.get("state").is_none_or(|s| a["state"] == s.as_str()))
        .cloned()
        .collect();
    page(&inner, "security-advisories", &q, items)
}

async fn create_advisory(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = s.lock().unwrap();
    let fault = match begin(
        &mut inner,
        &headers,
        "POST",
        "security-advisories",
        &owner,
        &repo,
    ) {
        Ok(f) => f,
        Err(r) => return with_limits(&inner, r),
    };
    for field in ["summary", "description"] {
        if body[field].as_str().is_none_or(|s| s.trim().is_empty()) {
            return with_limits(
                &inner,
                invalid(
                    json!([{ "resource": "RepositoryAdvisory", "code": "missing_field", "field": field }]),
                ),
            );
        }
    }
    let vulns = match vulnerabilities(&body["vulnerabilities"]) {
        Ok(v) => v,
        Err(r) => return with_limits(&inner, r),
    };
    let (credits, credits_detailed) =
        match credits(&inner, body.get("credits").unwrap_or(&json!([]))) {
            Ok(c) => c,
            Err(r) => return with_limits(&inner, r),
        };
    let id = ghsa(inner.advisories.len() + 1);
    let base = inner.base.clone();
    let t = now();
    let mut advisory = json!({
        "ghsa_id": id,
        "cve_id": body.get("cve_id").cloned().unwrap_or(Value::Null),
        "url": format!("{base}/repos/{OWNER}/{REPO}/security-advisories/{id}"),
        "html_url": format!("https://github.com/{OWNER}/{REPO}/security/advisories/{id}"),
        "summary": body["summary"],
        "description": body["description"],
        "severity": null,
        "author": user(&base, BOT),
        "publisher": null,
        "identifiers": [{ "type": "GHSA", "value": id }],
        "state": "draft",
        "created_at": t,
        "updated_at": t,
        "published_at": null,
        "closed_at": null,
        "withdrawn_at": null,
        "submission": null,
        "vulnerabilities": vulns,
        "cvss": null,
        "cwes": [],
        "cwe_ids": body.get("cwe_ids").cloned().unwrap_or(json!([])),
        "credits": credits,
        "credits_detailed": credits_detailed,
        "collaborating_users": [],
        "collaborating_teams": [],
        "private_fork": null,
    });
    if let Err(r) = severity(&mut advisory, &body) {
        return with_limits(&inner, r);
    }
    inner.advisories.push(advisory.clone());
    let resp = (StatusCode::CREATED, Json(advisory)).into_response();
    with_limits(&inner, finish(fault, resp))
}

async fn show_advisory(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo, id)): Path<(String, String, String)>,
) -> Response {
    let mut inner = s.lock().unwrap();
    let route = format!("security-advisories/{id}");
    if let Err(r) = begin(&mut inner, &headers, "GET", &route, &owner, &repo) {
        return with_limits(&inner, r);
    }
    let resp = match inner
        .advisories
        .iter()
        .find(|a| a["ghsa_id"] == id.as_str())
    {
        Some(a) => Json(a.clone()).into_response(),
        None => problem(404, "Not Found", None),
    };
    with_limits(&inner, resp)
}

async fn edit_advisory(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((owner, repo, id)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut guard = s.lock().unwrap();
    let inner = &mut *guard;
    let route = format!("security-advisories/{id}");
    let fault = match begin(inner, &headers, "PATCH", &route, &owner, &repo) {
        Ok(f) => f,
        Err(r) => return with_limits(inner, r),
    };
    let Some(index) = inner
        .advisories
        .iter()
        .position(|a| a["ghsa_id"] == id.as_str())
    else {
        return with_limits(inner, problem(404, "Not Found", None));
    };
    let mut advisory = inner.advisories[index].clone();
    if let Some(users) = body.get("collaborating_users") {
        let Some(logins) = users.as_array() else {
            return with_limits(
                inner,
                invalid(json!(["collaborating_users must be an array"])),
            );
        };
        let mut list = Vec::new();
        for login in logins {
            let login = login.as_str().unwrap_or("");
            if !inner.users.contains(login) {
                return with_limits(
                    inner,
                    invalid(json!([format!(
                        "Could not resolve to a User with the login of '{login}'."
                    )])),
                );
            }
            list.push(user(&inner.base, login));
        }
        advisory["collaborating_users"] = Value::Array(list);
    }
    for field in ["summary", "description", "cve_id", "cwe_ids"] {
        if let Some(v) = body.get(field) {
            advisory[field] = v.clone();
        }
    }
    if let Some(v) = body.get("vulnerabilities") {
        match vulnerabilities(v) {
            Ok(v) => advisory["vulnerabilities"] = v,
            Err(r) => return with_limits(inner, r),
        }
    }
    if let Some(v) = body.get("credits") {
        match credits(inner, v) {
            Ok((short, detailed)) => {
                advisory["credits"] = short;
                advisory["credits_detailed"] = detailed;
            }
            Err(r) => return with_limits(inner, r),
        }
    }
    if let Err(r) = severity(&mut advisory, &body) {
        return with_limits(inner, r);
    }
    if let Some(state) = body.get("state").and_then(Value::as_str) {
        let from = advisory["state"].as_str().unwrap_or("").to_string();
        let allowed = match state {
            "published" => from == "draft",
            "closed" => from == "draft" || from == "triage",
            "draft" => from == "draft" || from == "triage" || from == "closed",
            _ => false,
        };
        if !allowed {
            return with_limits(
                inner,
                invalid(json!([format!(
                    "Cannot change the advisory state from {from} to {state}"
                )])),
            );
        }
        if state == "published" {
            if advisory["vulnerabilities"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                return with_limits(
                    inner,
                    invalid(json!([
                        "An advisory needs at least one affected product to be published"
                    ])),
                );
            }
            advisory["published_at"] = json!(now());
            advisory["publisher"] = user(&inner.base, BOT);
        }
        advisory["state"] = json!(state);
    }
    advisory["updated_at"] = json!(now());
    inner.advisories[index] = advisory.clone();
    with_limits(inner, finish(fault, Json(advisory).into_response()))
}
