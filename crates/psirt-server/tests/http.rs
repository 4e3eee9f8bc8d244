//! The HTTP API over real sockets on 127.0.0.1, against both databases: a
//! SQLite file and a fresh database on the real PostgreSQL server
//! (`PSIRT_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::num::NonZeroU32;

use psirt_core::{Operation, Policy};
use psirt_server::{AppState, Settings, api::ROUTES, app};
use psirt_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection;

struct Server {
    base: String,
    store: Store,
    pg: Option<String>,
    _dir: Option<tempfile::TempDir>,
    http: reqwest::Client,
    alice: String,
    bob: String,
    dev: String,
    admin: String,
}

fn admin_url() -> String {
    std::env::var("PSIRT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

async fn open(postgres: bool) -> (Store, Option<String>, Option<tempfile::TempDir>) {
    if !postgres {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/psirt.db", dir.path().display()))
            .await
            .unwrap();
        return (store, None, Some(dir));
    }
    sqlx::any::install_default_drivers();
    let admin = admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must be running for the HTTP tests ({admin}): {e}"));
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let name = format!("psirt_http_{}", hex::encode(suffix));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    (
        Store::open(&format!("{base}/{name}")).await.unwrap(),
        Some(name),
        None,
    )
}

impl Server {
    async fn start(postgres: bool, settings: Settings) -> Server {
        let (store, pg, dir) = open(postgres).await;
        let now = psirt_server::now();
        store
            .add_project("default", "Default", &Policy::default(), now)
            .await
            .unwrap();
        let mut tokens = Vec::new();
        for (email, admin, pst) in [
            ("alice@example.org", false, true),
            ("bob@example.org", false, true),
            ("dev@example.org", false, false),
            ("root@example.org", true, false),
        ] {
            let (user, token) = store
                .add_user(&email.parse().unwrap(), email, admin, now)
                .await
                .unwrap();
            if pst {
                store.add_pst_member("default", user.id, now).await.unwrap();
            }
            tokens.push(token.reveal().to_string());
        }
        let (router, _) = app(AppState::new(store.clone(), settings));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Server {
            base: format!("http://{addr}"),
            store,
            pg,
            _dir: dir,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            alice: tokens[0].clone(),
            bob: tokens[1].clone(),
            dev: tokens[2].clone(),
            admin: tokens[3].clone(),
        }
    }

    async fn stop(self) {
        self.store.close().await;
        if let Some(name) = self.pg {
            let mut conn = sqlx::AnyConnection::connect(&admin_url()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request and returns the status and JSON body (or the text as a JSON string).
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let problem = resp
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("application/problem+json"));
        let text = resp.text().await.unwrap();
        if status.is_client_error() || status.is_server_error() {
            assert!(problem, "{status} without a problem document: {text}");
        }
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn report(&self, summary: &str) -> (String, String) {
        let (status, body) = self
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": summary, "details": "Send a crafted packet."})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        (
            body["reference"].as_str().unwrap().to_string(),
            body["status_url"].as_str().unwrap().to_string(),
        )
    }

    async fn command(&self, token: &str, reference: &str, command: Value) -> (StatusCode, Value) {
        self.call(
            "POST",
            &format!("/api/v1/cases/{reference}/commands"),
            Some(token),
            Some(json!({"command": command})),
        )
        .await
    }
}

macro_rules! both {
    ($name:ident, $settings:expr, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = Server::start(false, $settings).await;
                ($body)(&s).await;
                s.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = Server::start(true, $settings).await;
                ($body)(&s).await;
                s.stop().await;
            }
        }
    };
}

/// Every documented route has a row in `ROUTES` (and so an operation of
/// the access matrix), and every row is a route: a new route without a row
/// fails here.
#[test]
fn every_route_has_a_row_in_the_access_matrix() {
    let (_, api) = {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let (store, _, _dir) = open(false).await;
            app(AppState::new(store, Settings::default()))
        })
    };
    let spec = serde_json::to_value(&api).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.clone(), path.clone()));
        }
    }
    // /openapi.json serves the description itself and is not in it.
    documented.insert(("get".into(), "/openapi.json".into()));
    let rows: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(documented, rows, "routes and ROUTES differ");
    for (_, _, op) in ROUTES {
        if let Some(op) = op {
            assert!(Operation::ALL.contains(op));
        }
    }
    // The commands route performs the operation of its command: each
    // command type becomes a core `Command`, whose `operation()` is an
    // exhaustive match into `Operation::ALL`, the rows of the core's matrix
    // snapshot. This count is a tripwire for reviewing a new command type.
    let variants = spec["components"]["schemas"]["CaseCommand"]["oneOf"]
        .as_array()
        .unwrap();
    assert_eq!(
        variants.len(),
        30,
        "a new command type: check its operation's row in the core's access matrix"
    );
}

both!(
    anonymous_intake_and_the_reporters_status_link,
    Settings::default(),
    async |s: &Server| {
        let (reference, status_url) = s.report("Cache poisoning via EDNS").await;
        assert_eq!(
            reference,
            "PSIRT-2026-0001".replace("2026", &psirt_server::now().to_string()[..4])
        );
        let token = status_url.strip_prefix("/api/v1/status/psirt_").unwrap();
        assert_eq!(token.len(), 64, "256 bits of token");
        // Durable before the 201: the PST sees it at once.
        let (status, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(case["details"], "Send a crafted packet.");
        // The reporter's link shows status and messages, not the case's internals.
        let (status, mine) = s.call("GET", &status_url, None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(mine["reference"], reference.as_str());
        assert_eq!(mine["stage"], "received, awaiting triage");
        assert!(
            mine.get("details").is_none() && mine.get("timeline").is_none(),
            "{mine}"
        );
        // The team writes; the reporter answers and asks to be credited.
        let (status, _) = s
            .command(
                &s.alice,
                &reference,
                json!({"type": "message_reporter", "text": "Can you share the pcap?"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, after) = s
            .call(
                "POST",
                &format!("{status_url}/replies"),
                None,
                Some(json!({"text": "Attached."})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let messages: Vec<(&str, &str)> = after["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| (m["from"].as_str().unwrap(), m["text"].as_str().unwrap()))
            .collect();
        assert_eq!(
            messages[1..],
            [
                ("team", "Can you share the pcap?"),
                ("reporter", "Attached.")
            ]
        );
        let (status, credited) = s
            .call(
                "POST",
                &format!("{status_url}/credit"),
                None,
                Some(json!({"name": "Rita"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            credited["credits"],
            json!([{"name": "Rita", "type": "reporter"}])
        );
        // A link opens its own case only; a forged one nothing.
        let (other, _) = s.report("Another").await;
        let (status, _) = s.call("GET", "/api/v1/status/psirt_0000", None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = s
            .call("GET", &format!("/api/v1/cases/{other}"), None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

both!(
    errors_are_problem_documents_with_fitting_statuses,
    Settings {
        intake_per_minute: NonZeroU32::new(3).unwrap(),
        body_limit: 64 * 1024,
        ..Settings::default()
    },
    async |s: &Server| {
        let (reference, _) = s.report("One").await;
        let case = format!("/api/v1/cases/{reference}");
        // 400: not JSON.
        let resp = s
            .http
            .post(s.url("/api/v1/reports"))
            .header("content-type", "application/json")
            .body("{oops")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        // 422 naming the field.
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": " ", "details": "x"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("summary"))
        );
        assert_eq!(p["detail"], "summary: must not be empty");
        let (status, p) = s
            .command(
                &s.alice,
                &reference,
                json!({"type": "propose_cvss", "vector": "CVSS:3.1/AV:Q"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(p["field"], "command.vector");
        // 401: no token on a protected route; a wrong token.
        assert_eq!(
            s.call("GET", &case, None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.call("GET", &case, Some("psirt_nope"), None).await.0,
            StatusCode::UNAUTHORIZED
        );
        // 403: the access matrix says no.
        let (status, p) = s.call("GET", &case, Some(&s.dev), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            p["detail"],
            "only the Product Security Team, the Fix Lead or the Fix Team may view the case"
        );
        // 404.
        assert_eq!(
            s.call("GET", "/api/v1/cases/PSIRT-2026-9999", Some(&s.alice), None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.call("GET", "/api/v1/cases/not-a-ref", Some(&s.alice), None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            s.call("GET", "/nowhere", None, None).await.0,
            StatusCode::NOT_FOUND
        );
        // Query and method mistakes are problem documents too.
        let (status, p) = s
            .call("GET", "/api/v1/cases?all=maybe", Some(&s.alice), None)
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("all")),
            "{p}"
        );
        assert_eq!(
            s.call("PUT", "/api/v1/reports", None, None).await.0,
            StatusCode::METHOD_NOT_ALLOWED
        );
        // 409: a process rule; a stale version.
        let (status, p) = s
            .command(&s.alice, &reference, json!({"type": "mark_fix_ready"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        let (status, _) = s
            .command(&s.alice, &reference, json!({"type": "assign_fix_lead"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, p) = s
            .command(&s.alice, &reference, json!({"type": "mark_fix_ready"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            p["detail"],
            "the fix is ready only when it has fix commits, each with an LGTM from a maintainer"
        );
        let stale = json!({"expected_version": 1, "command": {"type": "record_mitigation", "steps": "Disable the plugin."}});
        let (status, p) = s
            .call(
                "POST",
                &format!("{case}/commands"),
                Some(&s.alice),
                Some(stale),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert!(
            p["detail"].as_str().unwrap().contains("changed meanwhile"),
            "{p}"
        );
        // 413: over the body limit.
        let big = "x".repeat(100 * 1024);
        let (status, _) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": "big", "details": big})),
            )
            .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        // 429: the fourth report within the minute from one address (one was used above).
        s.report("Two").await;
        let (_, _) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": "Three", "details": "x"})),
            )
            .await;
        let resp = s
            .http
            .post(s.url("/api/v1/reports"))
            .json(&json!({"summary": "Four", "details": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(resp.headers().contains_key("retry-after"));
    }
);

both!(
    browser_sessions_need_csrf_tokens_and_end_on_sign_out,
    Settings {
        secure_cookies: true,
        ..Settings::default()
    },
    async |s: &Server| {
        let alice = s
            .store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        s.store
            .set_password(alice.id, "correct horse battery")
            .await
            .unwrap();
        let (status, _) = s
            .call(
                "POST",
                "/api/v1/session",
                None,
                Some(json!({"email": "alice@example.org", "password": "wrong password!"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let resp = s
            .http
            .post(s.url("/api/v1/session"))
            .json(&json!({"email": "alice@example.org", "password": "correct horse battery"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
        for attribute in [
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Secure",
            "Max-Age=43200",
        ] {
            assert!(
                set_cookie.contains(attribute),
                "{set_cookie} lacks {attribute}"
            );
        }
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        let info: Value = resp.json().await.unwrap();
        let csrf = info["csrf_token"].as_str().unwrap().to_string();
        let me = s
            .http
            .get(s.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        let (reference, _) = s.report("Session case").await;
        let path = s.url(&format!("/api/v1/cases/{reference}/commands"));
        let body = json!({"command": {"type": "assign_fix_lead"}});
        let forged = s
            .http
            .post(&path)
            .header("cookie", &cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            forged.status(),
            StatusCode::FORBIDDEN,
            "no CSRF token: refused"
        );
        let wrong = s
            .http
            .post(&path)
            .header("cookie", &cookie)
            .header("x-csrf-token", "nope")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        let ok = s
            .http
            .post(&path)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
        let out = s
            .http
            .delete(s.url("/api/v1/session"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(out.status(), StatusCode::NO_CONTENT);
        assert!(
            out.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let after = s
            .http
            .get(s.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    }
);

both!(
    roles_see_what_the_matrix_allows,
    Settings::default(),
    async |s: &Server| {
        let (mine, _) = s.report("Mine").await;
        let (other, _) = s.report("Other").await;
        s.command(&s.alice, &mine, json!({"type": "assign_fix_lead"}))
            .await;
        let (status, _) = s
            .command(
                &s.alice,
                &mine,
                json!({"type": "form_fix_team", "members": ["dev@example.org"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // A Fix Team member sees their case only.
        assert_eq!(
            s.call("GET", &format!("/api/v1/cases/{mine}"), Some(&s.dev), None)
                .await
                .0,
            StatusCode::OK
        );
        assert_eq!(
            s.call("GET", &format!("/api/v1/cases/{other}"), Some(&s.dev), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (_, listed) = s.call("GET", "/api/v1/cases", Some(&s.dev), None).await;
        let refs: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reference"].as_str().unwrap())
            .collect();
        assert_eq!(refs, [mine.as_str()]);
        // PST members see everything of their project.
        let (_, listed) = s.call("GET", "/api/v1/cases", Some(&s.bob), None).await;
        assert_eq!(listed.as_array().unwrap().len(), 2);
        // Only the Fix Lead finalizes CVSS.
        let cvss = json!({"type": "finalize_cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"});
        assert_eq!(
            s.command(&s.bob, &mine, cvss.clone()).await.0,
            StatusCode::FORBIDDEN
        );
        let (status, case) = s.command(&s.alice, &mine, cvss).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(case["cvss"]["final"]["base_score"], 9.8);
        // The admin manages accounts but sees no case.
        assert_eq!(
            s.call(
                "GET",
                &format!("/api/v1/cases/{mine}"),
                Some(&s.admin),
                None
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, created) = s
            .call(
                "POST",
                "/api/v1/users",
                Some(&s.admin),
                Some(json!({"email": "new@example.org", "name": "New", "role": "member"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let new_token = created["token"].as_str().unwrap().to_string();
        assert_eq!(
            s.call("GET", "/api/v1/me", Some(&new_token), None).await.0,
            StatusCode::OK
        );
        let (status, _) = s
            .call(
                "POST",
                "/api/v1/users",
                Some(&s.alice),
                Some(json!({"email": "x@example.org", "name": "X", "role": "admin"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a PST member is not an administrator"
        );
        let (status, revoked) = s
            .call(
                "POST",
                "/api/v1/users/new@example.org/revoke",
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(
            (status, revoked["revoked"].as_u64()),
            (StatusCode::OK, Some(1))
        );
        assert_eq!(
            s.call("GET", "/api/v1/me", Some(&new_token), None).await.0,
            StatusCode::UNAUTHORIZED
        );
        // Who saw the case: the PST can ask; the Fix Team cannot. Reads from
        // the API are recorded with the client's address.
        let (status, audit) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{mine}/audit"),
                Some(&s.bob),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let views: Vec<(&str, &str, &str)> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"].as_str().unwrap().starts_with("case.view"))
            .map(|e| {
                (
                    e["actor"].as_str().unwrap(),
                    e["action"].as_str().unwrap(),
                    e["origin"].as_str().unwrap(),
                )
            })
            .collect();
        assert!(
            views.iter().any(|(a, act, o)| a.contains("dev@example.org")
                && *act == "case.view"
                && *o == "127.0.0.1"),
            "{views:?}"
        );
        assert!(
            views
                .iter()
                .any(|(a, act, _)| a.contains("root@example.org")
                    && act.starts_with("case.view.denied")),
            "{views:?}"
        );
        assert_eq!(
            s.call(
                "GET",
                &format!("/api/v1/cases/{mine}/audit"),
                Some(&s.dev),
                None
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        let (status, verified) = s
            .call("GET", "/api/v1/audit/verify", Some(&s.admin), None)
            .await;
        assert_eq!(
            (status, verified["intact"].as_bool()),
            (StatusCode::OK, Some(true)),
            "{verified}"
        );
        assert_eq!(
            s.call("GET", "/api/v1/audit/verify", Some(&s.alice), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        // Account changes made through the API name the administrator and address.
        let (admin_actions, _) = s.store.audit_all_for_tests().await;
        assert!(
            admin_actions
                .iter()
                .any(|(actor, action, origin)| actor.contains("root@example.org")
                    && action == "user.add"
                    && origin == "127.0.0.1"),
            "{admin_actions:?}"
        );
        // No key configured: the key's URL says so as a problem document.
        assert_eq!(
            s.call("GET", "/openpgp-key.asc", None, None).await.0,
            StatusCode::NOT_FOUND
        );
        // Anonymous: report and health only.
        assert_eq!(
            s.call("GET", "/api/v1/cases", None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.call("GET", "/healthz", None, None).await.0,
            StatusCode::OK
        );
    }
);
