//! A stand-in CVE Services for tests (the `testing` feature), following
//! the CVE Services API as `cvelib` uses it: `/api/cve-id` (reserve with
//! `amount`, `cve_year`, `short_name`; list with `state`, `cve_id_year`,
//! `time_reserved.gt`/`.lt` and pages; show one), `/api/cve/{id}` and
//! `/api/cve/{id}/cna` (publish, update), `/api/org/{short_name}`,
//! `/api/health-check`; the three `CVE-API-*` headers; the error shape
//! `{"error": CODE, "message": …}`. Faults are queued per route: answer
//! 5xx or 429 with `Retry-After` without acting, or act and then fail
//! before answering (the lost answer a retry must not repeat).

// A refusal here is the HTTP answer itself; boxing it would only add noise
// to a test server.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use psirt_http::testing::{Faults, Loopback};
use serde_json::{Value, json};

/// One CNA organisation with one user.
pub const ORG: &str = "coredns";
pub const ORG_UUID: &str = "5ad3a2cc-47c4-4e33-a6ed-d2b2a6a2b5f1";
pub const USER: &str = "psirt@coredns.io";
pub const KEY: &str = "stand-in-api-key";

/// What a queued fault does to the next matching request.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer this status (5xx) without acting.
    Fail(u16),
    /// Answer 429 with `Retry-After: seconds` without acting.
    RateLimit(u64),
    /// Do what was asked, then answer 500 as if the answer was lost.
    ActThenFail,
}

#[derive(Default)]
struct Inner {
    next_number: u32,
    ids: BTreeMap<String, Value>,
    records: BTreeMap<String, Value>,
    faults: Faults<Fault>,
    /// Every request as `METHOD route`, in order.
    log: Vec<String>,
    /// Every CNA container published or updated, in order.
    containers: Vec<Value>,
    page_size: usize,
}

/// A running stand-in: its API root (`http://127.0.0.1:PORT/api/`).
#[derive(Clone)]
pub struct StandIn {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl StandIn {
    /// Starts one on a free loopback port; ids list `page_size` per page.
    pub async fn start(page_size: usize) -> StandIn {
        let inner = Arc::new(Mutex::new(Inner {
            next_number: 1000,
            page_size,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/api/org/{org}", get(org))
            .route("/api/cve-id", post(reserve).get(list_ids))
            .route("/api/cve-id/{id}", get(show_id))
            .route("/api/cve/{id}", get(show_record))
            .route("/api/cve/{id}/cna", post(publish).put(update))
            .layer(from_fn_with_state(inner.clone(), scripted))
            .route("/api/health-check", get(|| async { "ok" }))
            .with_state(inner.clone());
        let loopback = Loopback::bind().await;
        let url = format!("{}/api/", loopback.url());
        loopback.serve(app);
        StandIn { url, inner }
    }

    /// Queues a fault for the next request to `route` (the path below the
    /// API root: `cve-id`, `cve/{id}`, `cve/{id}/cna`) with `method`.
    pub fn fault(&self, method: &str, route: &str, fault: Fault) {
        self.inner.lock().unwrap().faults.push(method, route, fault);
    }

    /// The ids reserved so far.
    pub fn reserved(&self) -> Vec<String> {
        self.inner.lock().unwrap().ids.keys().cloned().collect()
    }

    /// Requests so far, as `METHOD route` (the path below the API root).
    pub fn log(&self) -> Vec<String> {
        self.inner.lock().unwrap().log.clone()
    }

    /// The CNA containers published or updated, in order.
    pub fn containers(&self) -> Vec<Value> {
        self.inner.lock().unwrap().containers.clone()
    }

    /// Reserves an id as if another user of the organisation had.
    pub fn reserve_for_someone_else(&self, year: i16) -> String {
        let mut inner = self.inner.lock().unwrap();
        new_id(&mut inner, year, "someone-else@coredns.io")
    }
}

type Shared = Arc<Mutex<Inner>>;

/// A handler's answer: a refusal is the `Err` side, so that `?` ends a
/// handler with it.
type Reply = Result<Response, Response>;

fn problem(status: u16, error: &str, message: &str) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        Json(json!({ "error": error, "message": message })),
    )
        .into_response()
}

/// Checks the headers and takes the request's fault, if one is queued.
/// `Err` is the answer to give instead of acting.
fn begin(
    inner: &mut Inner,
    headers: &HeaderMap,
    method: &str,
    route: &str,
) -> Result<Option<Fault>, Response> {
    inner.log.push(format!("{method} {route}"));
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("CVE-API-ORG") != Some(ORG)
        || header("CVE-API-USER") != Some(USER)
        || header("CVE-API-KEY") != Some(KEY)
    {
        return Err(problem(401, "UNAUTHORIZED", "Unauthorized"));
    }
    match inner.faults.take(method, route) {
        Some(Fault::Fail(status)) => Err(problem(
            status,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable.",
        )),
        Some(Fault::RateLimit(secs)) => {
            let mut resp = problem(429, "TOO_MANY_REQUESTS", "Rate limit exceeded.");
            resp.headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
            Err(resp)
        }
        other => Ok(other),
    }
}

/// Every request but the health check, before its handler: logged, its
/// headers checked and its queued fault taken. A fault that fails answers
/// at once, without acting; `ActThenFail` lets the handler act and, when it
/// did, loses its answer.
async fn scripted(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let route = request.uri().path().trim_start_matches("/api/").to_owned();
    let fault = begin(&mut s.lock().unwrap(), request.headers(), &method, &route);
    match fault {
        Err(refusal) => refusal,
        Ok(Some(Fault::ActThenFail)) => match next.run(request).await {
            acted if acted.status().is_success() => {
                problem(500, "INTERNAL_ERROR", "Something went wrong.")
            }
            refused => refused,
        },
        Ok(_) => next.run(request).await,
    }
}

fn now() -> String {
    Timestamp::now().to_string()
}

fn new_id(inner: &mut Inner, year: i16, user: &str) -> String {
    inner.next_number += 1;
    let id = format!("CVE-{year}-{}", inner.next_number);
    let t = now();
    inner.ids.insert(
        id.clone(),
        json!({
            "cve_id": id,
            "cve_year": year.to_string(),
            "owning_cna": ORG,
            "requested_by": { "cna": ORG, "user": user },
            "reserved": t,
            "state": "RESERVED",
            "time": { "created": t, "modified": t },
        }),
    );
    id
}

async fn org(Path(org): Path<String>) -> Reply {
    if org != ORG {
        return Err(problem(
            404,
            "ORG_DNE_PARAM",
            "The organization does not exist.",
        ));
    }
    Ok(Json(json!({ "UUID": ORG_UUID, "short_name": ORG, "name": "CoreDNS", "authority": { "active_roles": ["CNA"] } }))
        .into_response())
}

async fn reserve(State(s): State<Shared>, Query(q): Query<BTreeMap<String, String>>) -> Reply {
    let mut inner = s.lock().unwrap();
    let amount = match q.get("amount").map(|a| a.parse::<u32>()) {
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        _ => {
            return Err(problem(
                400,
                "BAD_INPUT",
                "Parameters were invalid: amount must be a positive integer.",
            ));
        }
    };
    let year = match q.get("cve_year").map(|y| y.parse::<i16>()) {
        Some(Ok(y)) if (1999..=2100).contains(&y) => y,
        _ => {
            return Err(problem(
                400,
                "BAD_INPUT",
                "Parameters were invalid: cve_year must be a 4-digit year.",
            ));
        }
    };
    match q.get("short_name") {
        Some(org) if org == ORG => {}
        Some(_) => {
            return Err(problem(
                403,
                "ORG_CANNOT_RESERVE_FOR_OTHER",
                "Organizations may only reserve CVE IDs for themselves.",
            ));
        }
        None => {
            return Err(problem(
                400,
                "BAD_INPUT",
                "Parameters were invalid: short_name is required.",
            ));
        }
    }
    if amount > 1 && !q.contains_key("batch_type") {
        return Err(problem(
            400,
            "NO_BATCH_TYPE",
            "The batch_type parameter is required when amount is greater than 1.",
        ));
    }
    let ids: Vec<Value> = (0..amount)
        .map(|_| {
            let id = new_id(&mut inner, year, USER);
            inner.ids[&id].clone()
        })
        .collect();
    Ok(
        Json(json!({ "cve_ids": ids, "meta": { "remaining_quota": 1000 - inner.ids.len() } }))
            .into_response(),
    )
}

async fn list_ids(State(s): State<Shared>, Query(q): Query<BTreeMap<String, String>>) -> Reply {
    let inner = s.lock().unwrap();
    let instant = |key: &str| -> Result<Option<Timestamp>, Response> {
        q.get(key)
            .map(|v| {
                v.parse::<Timestamp>().map_err(|_| {
                    problem(
                        400,
                        "BAD_INPUT",
                        &format!("Parameters were invalid: {key} must be a date-time."),
                    )
                })
            })
            .transpose()
    };
    let (gt, lt) = (instant("time_reserved.gt")?, instant("time_reserved.lt")?);
    let matching: Vec<Value> = inner
        .ids
        .values()
        .filter(|r| q.get("state").is_none_or(|s| r["state"] == s.as_str()))
        .filter(|r| {
            q.get("cve_id_year")
                .is_none_or(|y| r["cve_year"] == y.as_str())
        })
        .filter(|r| {
            let at: Timestamp = r["reserved"].as_str().unwrap().parse().unwrap();
            gt.is_none_or(|g| at > g) && lt.is_none_or(|l| at < l)
        })
        .cloned()
        .collect();
    let size = inner.page_size.max(1);
    let pages = matching.len().div_ceil(size).max(1);
    let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .cloned()
        .collect();
    let mut body = json!({ "cve_ids": items });
    // As the service does: paging attributes only when there is more than a page.
    if matching.len() > size {
        body["totalCount"] = json!(matching.len());
        body["itemsPerPage"] = json!(size);
        body["pageCount"] = json!(pages);
        body["currentPage"] = json!(page);
        body["prevPage"] = if page > 1 {
            json!(page - 1)
        } else {
            Value::Null
        };
        body["nextPage"] = if page < pages {
            json!(page + 1)
        } else {
            Value::Null
        };
    }
    Ok(Json(body).into_response())
}

async fn show_id(State(s): State<Shared>, Path(id): Path<String>) -> Reply {
    let inner = s.lock().unwrap();
    match inner.ids.get(&id) {
        Some(r) => Ok(Json(r.clone()).into_response()),
        None => Err(problem(
            404,
            "CVEID_NOT_FOUND",
            &format!("{id} does not exist."),
        )),
    }
}

async fn show_record(State(s): State<Shared>, Path(id): Path<String>) -> Reply {
    let inner = s.lock().unwrap();
    match inner.records.get(&id) {
        Some(r) => Ok(Json(r.clone()).into_response()),
        None => Err(problem(
            404,
            "CVE_RECORD_DNE",
            &format!("The {id} record does not exist."),
        )),
    }
}

/// The container must be one (the real service validates it against the
/// CVE JSON 5 schema; the tests do that with cvelib's copy).
fn container(body: &Value) -> Result<Value, Response> {
    let cna = body.get("cnaContainer").cloned().unwrap_or(Value::Null);
    for field in ["providerMetadata", "descriptions", "affected", "references"] {
        if cna.get(field).is_none() {
            return Err(problem(
                400,
                "INVALID_JSON_SCHEMA",
                &format!("CVE JSON schema validation FAILED: cnaContainer must have {field}"),
            ));
        }
    }
    Ok(cna)
}

async fn publish(
    State(s): State<Shared>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    let mut inner = s.lock().unwrap();
    let Some(reserved) = inner.ids.get(&id).cloned() else {
        return Err(problem(
            404,
            "CVEID_NOT_FOUND",
            &format!("{id} does not exist."),
        ));
    };
    if inner.records.contains_key(&id) {
        return Err(problem(
            400,
            "CVE_RECORD_EXISTS",
            &format!("The {id} record already exists."),
        ));
    }
    let cna = container(&body)?;
    let t = now();
    let record = json!({
        "dataType": "CVE_RECORD",
        "dataVersion": "5.1",
        "cveMetadata": {
            "cveId": id,
            "assignerOrgId": ORG_UUID,
            "assignerShortName": ORG,
            "state": "PUBLISHED",
            "dateReserved": reserved["reserved"],
            "datePublished": t,
            "dateUpdated": t,
        },
        "containers": { "cna": cna },
    });
    inner.records.insert(id.clone(), record.clone());
    inner.containers.push(cna);
    if let Some(r) = inner.ids.get_mut(&id) {
        r["state"] = json!("PUBLISHED");
    }
    Ok(Json(
        json!({ "created": record, "message": format!("{id} record was successfully created.") }),
    )
    .into_response())
}

async fn update(State(s): State<Shared>, Path(id): Path<String>, Json(body): Json<Value>) -> Reply {
    let mut inner = s.lock().unwrap();
    if !inner.records.contains_key(&id) {
        return Err(problem(
            404,
            "CVE_RECORD_DNE",
            &format!("The {id} record does not exist."),
        ));
    }
    let cna = container(&body)?;
    let record = inner.records.get_mut(&id).unwrap();
    record["containers"]["cna"] = cna.clone();
    record["cveMetadata"]["dateUpdated"] = json!(now());
    let record = record.clone();
    inner.containers.push(cna);
    Ok(Json(
        json!({ "updated": record, "message": format!("{id} record was successfully updated.") }),
    )
    .into_response())
}
