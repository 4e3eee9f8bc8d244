//! The stand-in's repository security advisories: listed by `state` in
//! pages, drafted, shown, and edited (collaborators, texts, credits,
//! severity, products) up to their publication, with GitHub's checks and
//! 422s.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{BOT, Inner, OWNER, REPO, Reply, Shared, invalid, now, page, problem, user};

const ECOSYSTEMS: [&str; 12] = [
    "rubygems", "npm", "pip", "maven", "nuget", "composer", "go", "rust", "erlang", "actions",
    "pub", "other",
];

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

/// One of GitHub's accounts, as GitHub shows a user; `Err` is the 422
/// for a login it does not know.
fn known_user(inner: &Inner, login: &str) -> Result<Value, Response> {
    match inner.users.contains(login) {
        true => Ok(user(&inner.base, login)),
        false => Err(invalid(json!([format!(
            "Could not resolve to a User with the login of '{login}'."
        )]))),
    }
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
        let user = known_user(inner, login)?;
        if !TYPES.contains(&kind) {
            return Err(invalid(json!([format!(
                "{kind:?} is not a valid credit type"
            )])));
        }
        short.push(json!({ "login": login, "type": kind }));
        detailed.push(json!({ "user": user, "type": kind, "state": "pending" }));
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

pub(super) async fn list_advisories(
    State(s): State<Shared>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Reply {
    let inner = s.lock().unwrap();
    let items: Vec<Value> = inner
        .advisories
        .iter()
        .filter(|a| q.get("state").is_none_or(|s| a["state"] == s.as_str()))
        .cloned()
        .collect();
    page(&inner, "security-advisories", &q, items)
}

pub(super) async fn create_advisory(State(s): State<Shared>, Json(body): Json<Value>) -> Reply {
    let mut inner = s.lock().unwrap();
    for field in ["summary", "description"] {
        if body[field].as_str().is_none_or(|s| s.trim().is_empty()) {
            return Err(invalid(
                json!([{ "resource": "RepositoryAdvisory", "code": "missing_field", "field": field }]),
            ));
        }
    }
    let vulns = vulnerabilities(&body["vulnerabilities"])?;
    let (credits, credits_detailed) = credits(&inner, body.get("credits").unwrap_or(&json!([])))?;
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
    severity(&mut advisory, &body)?;
    inner.advisories.push(advisory.clone());
    let resp = (StatusCode::CREATED, Json(advisory)).into_response();
    Ok(resp)
}

pub(super) async fn show_advisory(
    State(s): State<Shared>,
    Path((_, _, id)): Path<(String, String, String)>,
) -> Reply {
    let inner = s.lock().unwrap();
    let resp = match inner
        .advisories
        .iter()
        .find(|a| a["ghsa_id"] == id.as_str())
    {
        Some(a) => Json(a.clone()).into_response(),
        None => problem(404, "Not Found", None),
    };
    Ok(resp)
}

pub(super) async fn edit_advisory(
    State(s): State<Shared>,
    Path((_, _, id)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> Reply {
    let mut guard = s.lock().unwrap();
    let inner = &mut *guard;
    let Some(index) = inner
        .advisories
        .iter()
        .position(|a| a["ghsa_id"] == id.as_str())
    else {
        return Err(problem(404, "Not Found", None));
    };
    let mut advisory = inner.advisories[index].clone();
    if let Some(users) = body.get("collaborating_users") {
        let Some(logins) = users.as_array() else {
            return Err(invalid(json!(["collaborating_users must be an array"])));
        };
        let list = logins
            .iter()
            .map(|login| known_user(inner, login.as_str().unwrap_or("")))
            .collect::<Result<Vec<_>, _>>()?;
        advisory["collaborating_users"] = Value::Array(list);
    }
    for field in ["summary", "description", "cve_id", "cwe_ids"] {
        if let Some(v) = body.get(field) {
            advisory[field] = v.clone();
        }
    }
    if let Some(v) = body.get("vulnerabilities") {
        advisory["vulnerabilities"] = vulnerabilities(v)?;
    }
    if let Some(v) = body.get("credits") {
        let (short, detailed) = credits(inner, v)?;
        advisory["credits"] = short;
        advisory["credits_detailed"] = detailed;
    }
    severity(&mut advisory, &body)?;
    if let Some(state) = body.get("state").and_then(Value::as_str) {
        let from = advisory["state"].as_str().unwrap_or("").to_string();
        let allowed = match state {
            "published" => from == "draft",
            "closed" => from == "draft" || from == "triage",
            "draft" => from == "draft" || from == "triage" || from == "closed",
            _ => false,
        };
        if !allowed {
            return Err(invalid(json!([format!(
                "Cannot change the advisory state from {from} to {state}"
            )])));
        }
        if state == "published" {
            if advisory["vulnerabilities"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                return Err(invalid(json!([
                    "An advisory needs at least one affected product to be published"
                ])));
            }
            advisory["published_at"] = json!(now());
            advisory["publisher"] = user(&inner.base, BOT);
        }
        advisory["state"] = json!(state);
    }
    advisory["updated_at"] = json!(now());
    inner.advisories[index] = advisory.clone();
    Ok(Json(advisory).into_response())
}
