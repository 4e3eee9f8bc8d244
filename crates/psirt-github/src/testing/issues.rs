//! The stand-in's issues: listed by `state` in pages, opened (by the
//! token's account, [`BOT`]) and shown one by one.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{BOT, Inner, OWNER, REPO, Reply, Shared, invalid, now, page, problem, user};

pub(super) fn new_issue(inner: &mut Inner, login: &str, title: &str, body: Option<&str>) -> Value {
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

pub(super) async fn list_issues(
    State(s): State<Shared>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Reply {
    let inner = s.lock().unwrap();
    let state = q.get("state").map_or("open", String::as_str);
    if !["open", "closed", "all"].contains(&state) {
        return Err(invalid(
            json!([{ "resource": "Issue", "field": "state", "code": "invalid" }]),
        ));
    }
    let items: Vec<Value> = inner
        .issues
        .iter()
        .filter(|i| state == "all" || i["state"] == state)
        .cloned()
        .collect();
    page(&inner, "issues", &q, items)
}

pub(super) async fn create_issue(State(s): State<Shared>, Json(body): Json<Value>) -> Reply {
    let mut inner = s.lock().unwrap();
    let Some(title) = body["title"].as_str().filter(|t| !t.trim().is_empty()) else {
        return Err(invalid(
            json!([{ "resource": "Issue", "code": "missing_field", "field": "title" }]),
        ));
    };
    let issue = new_issue(&mut inner, BOT, title, body["body"].as_str());
    inner.issues.push(issue.clone());
    let mut resp = (StatusCode::CREATED, Json(issue.clone())).into_response();
    resp.headers_mut().insert(
        "location",
        HeaderValue::from_str(issue["url"].as_str().unwrap()).unwrap(),
    );
    Ok(resp)
}

pub(super) async fn show_issue(
    State(s): State<Shared>,
    Path((_, _, number)): Path<(String, String, u64)>,
) -> Reply {
    let inner = s.lock().unwrap();
    match inner.issues.iter().find(|i| i["number"] == number) {
        Some(i) => Ok(Json(i.clone()).into_response()),
        None => Err(problem(404, "Not Found", None)),
    }
}
