//! The HTTP API over real sockets on 127.0.0.1, against both databases: a
//! SQLite file and a fresh database on the real PostgreSQL server
//! (`PSIRT_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`).

mod support;

use std::collections::BTreeSet;
use std::num::NonZeroU32;

use psirt_core::{Operation, Policy, Standing};
use psirt_server::{AppState, Settings, api::Door, api::ROUTES, app};
use psirt_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Role, Team};

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

impl Server {
    async fn start(postgres: bool, settings: Settings) -> Server {
        let (store, pg, dir) = support::open(postgres, "psirt_http").await;
        let [alice, bob, dev, admin] = Team::on("default", "Default")
            .person("alice@example.org", Role::Pst)
            .person("bob@example.org", Role::Pst)
            .person("dev@example.org", Role::Developer)
            .person("root@example.org", Role::Admin)
            .add(&store, psirt_server::now())
            .await;
        let (router, _) = app(AppState::new(store.clone(), settings));
        let base = support::serve(router).await;
        Server {
            base,
            store,
            pg,
            _dir: dir,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            alice: alice.token,
            bob: bob.token,
            dev: dev.token,
            admin: admin.token,
        }
    }

    async fn stop(self) {
        support::close(&self.store, self.pg).await;
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
            let (store, _, _dir) = support::open(false, "psirt_http").await;
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
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented, rows, "routes and ROUTES differ");
    for route in ROUTES {
        if let Some(op) = route.door.operation() {
            assert!(Operation::ALL.contains(&op));
        }
    }
    // The commands route performs the operation of its command: each
    // command type becomes a core `Command`, whose `operation()` is an
    // exhaustive match into `Operation::ALL`, the rows of the core's matrix
    // snapshot. This count is a tripwire for reviewing a new command type.
    let variants = spec["components"]["schemas"]["CaseCommand"]["oneOf"]
        .as_array()
        .unwrap();
    // 33: link_fix_repository (RecordFixWork), resolve_cherry_pick
    // (Release, the Fix Lead) and request_cve_reservation (RecordCve, the
    // Fix Lead) were reviewed for issue 17; slow_down_for_holidays
    // (SlowDown, like slow_down) for issue 18; triage,
    // record_public_filing_consent and request_information (Triage: the
    // PST and the Fix Lead) for issue 18's triage.
    assert_eq!(
        variants.len(),
        46,
        "a new command type: check its operation's row in the core's access matrix"
    );
    // The case's record is described, field by field.
    let schemas = &spec["components"]["schemas"];
    assert_eq!(
        schemas["CaseView"]["properties"]["record"]["$ref"],
        "#/components/schemas/RecordView"
    );
    let fields = |name: &str| -> Vec<String> {
        let mut f: Vec<String> = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} not described"))
            .keys()
            .cloned()
            .collect();
        f.sort();
        f
    };
    assert_eq!(
        fields("RecordView"),
        [
            "aliases",
            "description",
            "impact",
            "modified_at",
            "products",
            "references",
            "title",
            "weaknesses"
        ]
    );
    assert_eq!(
        fields("AffectedProductView"),
        ["branches", "ecosystem", "package", "purl", "ranges"]
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
        intake_per_minute: NonZeroU32::new(6).unwrap(),
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
        // 429: the seventh request to the intake within the minute from one
        // address. The quota is taken from the request's head, before the
        // body is read, so the malformed, invalid and too large ones above
        // count too (four were used).
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

impl Server {
    /// Signs `email` in with `password`; the cookie and the CSRF token.
    async fn sign_in(&self, email: &str, password: &str) -> (String, String) {
        let resp = self
            .http
            .post(self.url("/api/v1/session"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let cookie = resp.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let info: Value = resp.json().await.unwrap();
        (cookie, info["csrf_token"].as_str().unwrap().to_string())
    }

    /// The status `GET /api/v1/me` answers with `cookie`.
    async fn me_with(&self, cookie: &str) -> StatusCode {
        self.http
            .get(self.url("/api/v1/me"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .status()
    }
}

both!(
    a_case_read_authenticates_its_token_with_the_case,
    Settings::default(),
    async |s: &Server| {
        // `GET /api/v1/cases/{reference}` leaves the token to the store's
        // read (`Door::StoreByToken`): the answers are those of the doors
        // that authenticate first.
        let (reference, _) = s.report("Cache poisoning via EDNS").await;
        let path = format!("/api/v1/cases/{reference}");
        let (status, body) = s.call("GET", &path, Some(&s.alice), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["reference"], reference.as_str());
        let (status, body) = s.call("GET", &path, Some(&s.dev), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        for token in [None, Some("not-a-token")] {
            for path in [
                path.as_str(),
                "/api/v1/cases/PSIRT-2026-9999",
                "/api/v1/cases/nonsense",
            ] {
                let (status, body) = s.call("GET", path, token, None).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?} {path}: {body}");
            }
        }
        let (status, body) = s
            .call("GET", "/api/v1/cases/nonsense", Some(&s.alice), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let resp = s
            .http
            .get(s.url(&path))
            .header("authorization", "Basic YWxpY2U6cHc=")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);

        // The reads and the refusal are in the case's audit trail, by
        // whom the token named; then the token is revoked, and refused.
        let (status, trail) = s
            .call("GET", &format!("{path}/audit"), Some(&s.alice), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{trail}");
        let reads: Vec<(&str, &str)> = trail
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"].as_str().unwrap().starts_with("case.view"))
            .map(|e| {
                let actor = e["actor"].as_str().unwrap();
                (
                    actor.rsplit(' ').next().unwrap(),
                    e["action"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            reads,
            [
                ("alice@example.org", "case.view"),
                ("dev@example.org", "case.view.denied")
            ]
        );
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/users/alice@example.org/revoke",
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = s.call("GET", &path, Some(&s.alice), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
);

both!(
    revocation_a_new_password_and_signing_out_everywhere_end_every_session,
    Settings::default(),
    async |s: &Server| {
        const PASSWORD: &str = "correct horse battery";
        let dev = s
            .store
            .user_by_email(&"dev@example.org".parse().unwrap())
            .await
            .unwrap();
        s.store.set_password(dev.id, PASSWORD).await.unwrap();

        // Two browsers; the administrator revokes the account: both
        // sessions and the API token end at once.
        let (first, _) = s.sign_in("dev@example.org", PASSWORD).await;
        let (second, _) = s.sign_in("dev@example.org", PASSWORD).await;
        assert_eq!(s.me_with(&first).await, StatusCode::OK);
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/users/dev@example.org/revoke",
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["revoked"], 1);
        assert_eq!(body["sessions_ended"], 2);
        assert_eq!(s.me_with(&first).await, StatusCode::UNAUTHORIZED);
        assert_eq!(s.me_with(&second).await, StatusCode::UNAUTHORIZED);
        let (status, _) = s.call("GET", "/api/v1/me", Some(&s.dev), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the token is revoked");

        // A new password signs out whoever knew the old one.
        let (cookie, _) = s.sign_in("dev@example.org", PASSWORD).await;
        s.store
            .set_password(dev.id, "a new and better one")
            .await
            .unwrap();
        assert_eq!(s.me_with(&cookie).await, StatusCode::UNAUTHORIZED);

        // The person signs out everywhere from one browser.
        let (here, csrf) = s.sign_in("dev@example.org", "a new and better one").await;
        let (there, _) = s.sign_in("dev@example.org", "a new and better one").await;
        let resp = s
            .http
            .delete(s.url("/api/v1/me/sessions"))
            .header("cookie", &here)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("Max-Age=0")
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["sessions_ended"], 2);
        assert_eq!(s.me_with(&here).await, StatusCode::UNAUTHORIZED);
        assert_eq!(s.me_with(&there).await, StatusCode::UNAUTHORIZED);
        // Someone else's sessions are untouched.
        let alice = s
            .store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        s.store.set_password(alice.id, PASSWORD).await.unwrap();
        let (alices, _) = s.sign_in("alice@example.org", PASSWORD).await;
        let (mine, csrf) = s.sign_in("dev@example.org", "a new and better one").await;
        let resp = s
            .http
            .delete(s.url("/api/v1/me/sessions"))
            .header("cookie", &mine)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(s.me_with(&alices).await, StatusCode::OK);
    }
);

both!(
    the_case_list_is_paged_and_filtered_and_refuses_bad_parameters,
    Settings::default(),
    async |s: &Server| {
        let mut made = Vec::new();
        for i in 0..5 {
            made.push(s.report(&format!("Case {i}")).await.0);
        }
        // Two a page, following next_cursor, gives every case once, in order.
        let mut seen = Vec::new();
        let mut path = "/api/v1/cases?limit=2".to_string();
        loop {
            let (status, page) = s.call("GET", &path, Some(&s.alice), None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let cases = page["cases"].as_array().unwrap();
            assert!(cases.len() <= 2);
            seen.extend(
                cases
                    .iter()
                    .map(|c| c["reference"].as_str().unwrap().to_string()),
            );
            match page["next_cursor"].as_str() {
                Some(next) => path = format!("/api/v1/cases?limit=2&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(seen, made);
        // Filters.
        s.command(&s.alice, &made[1], json!({"type": "assign_fix_lead"}))
            .await;
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{}", made[1]),
                Some(&s.alice),
                None,
            )
            .await;
        let lead = case["fix_lead"].as_i64().expect("a Fix Lead");
        let (_, page) = s
            .call(
                "GET",
                &format!("/api/v1/cases?fix_lead={lead}"),
                Some(&s.alice),
                None,
            )
            .await;
        let refs: Vec<&str> = page["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reference"].as_str().unwrap())
            .collect();
        assert_eq!(refs, [made[1].as_str()]);
        for (query, count) in [
            ("project=default", 5),
            ("project=elsewhere", 0),
            ("state=closed", 0),
            ("state=all", 5),
        ] {
            let (status, page) = s
                .call(
                    "GET",
                    &format!("/api/v1/cases?{query}"),
                    Some(&s.alice),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{query}: {page}");
            assert_eq!(page["cases"].as_array().unwrap().len(), count, "{query}");
        }
        // A page larger than the maximum, a state that is none, a cursor no
        // list gave: 422, naming the parameter.
        for (query, field) in [
            ("limit=201", "limit"),
            ("limit=0", "limit"),
            ("state=pending", "state"),
            ("cursor=c-5", "cursor"),
        ] {
            let (status, p) = s
                .call(
                    "GET",
                    &format!("/api/v1/cases?{query}"),
                    Some(&s.alice),
                    None,
                )
                .await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{query}: {p}"
            );
        }
        let (_, page) = s
            .call("GET", "/api/v1/cases?limit=200", Some(&s.alice), None)
            .await;
        assert_eq!(page["cases"].as_array().unwrap().len(), 5);
        // The agenda pages the same way: two a page, most pressing first
        // (the case with a Fix Lead has moved on), every open case once.
        let whole = {
            let (status, agenda) = s.call("GET", "/api/v1/agenda", Some(&s.alice), None).await;
            assert_eq!(status, StatusCode::OK, "{agenda}");
            assert!(agenda["next_cursor"].is_null(), "{agenda}");
            agenda["cases"].as_array().unwrap().clone()
        };
        assert_eq!(whole.len(), 5);
        let mut paged = Vec::new();
        let mut path = "/api/v1/agenda?limit=2".to_string();
        loop {
            let (status, agenda) = s.call("GET", &path, Some(&s.alice), None).await;
            assert_eq!(status, StatusCode::OK, "{agenda}");
            assert!(agenda["cases"].as_array().unwrap().len() <= 2);
            paged.extend(agenda["cases"].as_array().unwrap().iter().cloned());
            match agenda["next_cursor"].as_str() {
                Some(next) => path = format!("/api/v1/agenda?limit=2&cursor={next}"),
                None => break,
            }
        }
        assert_eq!(paged, whole);
        for (query, count) in [
            (format!("fix_lead={lead}"), 1),
            ("project=elsewhere".to_string(), 0),
        ] {
            let (_, agenda) = s
                .call(
                    "GET",
                    &format!("/api/v1/agenda?{query}"),
                    Some(&s.alice),
                    None,
                )
                .await;
            assert_eq!(agenda["cases"].as_array().unwrap().len(), count, "{query}");
        }
        for (query, field) in [
            ("limit=201", "limit"),
            ("cursor=c-5", "cursor"),
            ("at=soon", "at"),
        ] {
            let (status, p) = s
                .call(
                    "GET",
                    &format!("/api/v1/agenda?{query}"),
                    Some(&s.alice),
                    None,
                )
                .await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{query}: {p}"
            );
        }
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
        let refs: Vec<&str> = listed["cases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["reference"].as_str().unwrap())
            .collect();
        assert_eq!(refs, [mine.as_str()]);
        // PST members see everything of their project.
        let (_, listed) = s.call("GET", "/api/v1/cases", Some(&s.bob), None).await;
        assert_eq!(listed["cases"].as_array().unwrap().len(), 2);
        assert_eq!(listed["next_cursor"], Value::Null, "one page");
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

/// The instance key of the encrypted-intake tests, made once.
fn instance_key() -> &'static psirt_mail::InstanceKey {
    static KEY: std::sync::OnceLock<psirt_mail::InstanceKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| psirt_mail::InstanceKey::generate("psirt <security@example.org>").unwrap())
}

impl Server {
    async fn mail(&self, token: &str, reference: &str) -> Vec<Value> {
        let (status, mail) = self
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/mail"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{mail}");
        mail.as_array().unwrap().clone()
    }

    /// A case whose Fix Lead (alice) published the forthcoming-fix notice:
    /// its mail to the project's users waits as a draft.
    async fn case_with_notice_draft(&self, summary: &str) -> String {
        let (reference, _) = self.report(summary).await;
        let release = psirt_server::now() + jiff::SignedDuration::from_hours(24 * 7);
        for command in [
            json!({"type": "assign_fix_lead", "lead": "alice@example.org", "reason": "on call"}),
            json!({"type": "record_mitigation", "steps": "Disable the cache plugin."}),
            json!({"type": "publish_notice", "estimated_release": release.to_string(), "mitigation": "Disable the cache plugin."}),
        ] {
            let (status, body) = self.command(&self.alice, &reference, command).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        reference
    }
}

fn kinds_and_states(mail: &[Value]) -> Vec<(String, String)> {
    mail.iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

both!(
    the_case_team_sees_its_mail_and_reviews_the_drafts,
    Settings::default(),
    async |s: &Server| {
        // The acknowledgement is written with the report and queued at once.
        let (status, receipt) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": "Cache poisoning via EDNS", "details": "Send a crafted packet.",
                    "reporter_name": "Rita", "reporter_email": "rita@example.net"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let reported = receipt["reference"].as_str().unwrap().to_string();
        let mail = s.mail(&s.alice, &reported).await;
        assert_eq!(
            kinds_and_states(&mail),
            [("acknowledgement".into(), "queued".into())]
        );
        let ack = &mail[0];
        assert_eq!(ack["recipient"], "rita@example.net");
        assert!(ack["body"].as_str().unwrap().contains(&reported), "{ack}");
        assert!(ack["message_id"].as_str().unwrap().contains(&reported));
        assert_eq!(
            (ack["attempts"].as_u64(), &ack["encrypted"], &ack["sent_at"]),
            (Some(0), &Value::Null, &Value::Null)
        );
        // Like the case itself: not for people off the case, nor anonymous.
        let path = format!("/api/v1/cases/{reported}/mail");
        assert_eq!(
            s.call("GET", &path, Some(&s.dev), None).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.call("GET", &path, Some(&s.admin), None).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.call("GET", &path, None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.call(
                "GET",
                "/api/v1/cases/PSIRT-2026-9999/mail",
                Some(&s.alice),
                None
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        // The notice to users is a draft until someone on the case approves it.
        s.store
            .set_announce_address("default", Some(&"users@example.org".parse().unwrap()))
            .await
            .unwrap();
        let reference = s
            .case_with_notice_draft("Heap overflow in the parser")
            .await;
        let mail = s.mail(&s.alice, &reference).await;
        let draft = mail
            .iter()
            .find(|m| m["kind"] == "forthcoming_fix_notice")
            .unwrap_or_else(|| panic!("no notice in {mail:?}"));
        assert_eq!(
            (draft["state"].as_str(), draft["recipient"].as_str()),
            (Some("draft"), Some("users@example.org"))
        );
        let base = format!("/api/v1/cases/{reference}/mail");
        // An unknown kind names the field; a kind without a draft is a 404.
        let (status, p) = s
            .call(
                "POST",
                &format!("{base}/newsletter/approve"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")),
            "{p}"
        );
        let (status, _) = s
            .call(
                "POST",
                &format!("{base}/release_announcement/approve"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Edits: off the case is refused, bad input names the field.
        let notice = format!("{base}/forthcoming_fix_notice");
        let edit = json!({"subject": "Security fix for Default next week", "body": "Update on the 7th.\n"});
        assert_eq!(
            s.call("PUT", &notice, Some(&s.dev), Some(edit.clone()))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, p) = s
            .call(
                "PUT",
                &notice,
                Some(&s.alice),
                Some(json!({"subject": "Two\nlines", "body": "x"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("subject")),
            "{p}"
        );
        let (status, p) = s
            .call(
                "PUT",
                &notice,
                Some(&s.alice),
                Some(json!({"subject": "x"})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let (status, edited) = s.call("PUT", &notice, Some(&s.alice), Some(edit)).await;
        assert_eq!(status, StatusCode::OK, "{edited}");
        assert_eq!(
            edited,
            json!({"kind": "forthcoming_fix_notice", "copies": 1, "state": "draft"})
        );
        let mail = s.mail(&s.bob, &reference).await;
        let draft = mail
            .iter()
            .find(|m| m["kind"] == "forthcoming_fix_notice")
            .unwrap();
        assert_eq!(
            (draft["subject"].as_str(), draft["body"].as_str()),
            (
                Some("Security fix for Default next week"),
                Some("Update on the 7th.\n")
            )
        );
        // Another PST member may stand in for the Fix Lead and approve it;
        // once approved there is no draft left to approve.
        let (status, approved) = s
            .call("POST", &format!("{notice}/approve"), Some(&s.bob), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{approved}");
        assert_eq!(approved["state"], "queued");
        let (status, _) = s
            .call("POST", &format!("{notice}/approve"), Some(&s.bob), None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let mail = s.mail(&s.alice, &reference).await;
        assert!(
            kinds_and_states(&mail).contains(&("forthcoming_fix_notice".into(), "queued".into())),
            "{mail:?}"
        );
        // Discarding a draft: nothing of it is sent.
        let other = s
            .case_with_notice_draft("Use after free in the resolver")
            .await;
        let notice = format!("/api/v1/cases/{other}/mail/forthcoming_fix_notice");
        assert_eq!(
            s.call("POST", &format!("{notice}/discard"), Some(&s.dev), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, discarded) = s
            .call("POST", &format!("{notice}/discard"), Some(&s.alice), None)
            .await;
        assert_eq!(
            (status, discarded["state"].as_str()),
            (StatusCode::OK, Some("discarded"))
        );
        let mail = s.mail(&s.alice, &other).await;
        assert!(
            kinds_and_states(&mail)
                .contains(&("forthcoming_fix_notice".into(), "discarded".into())),
            "{mail:?}"
        );
        // The reviews are in the case's audit trail.
        let (_, audit) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/audit"),
                Some(&s.bob),
                None,
            )
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in ["mail.view", "mail.edit", "mail.approve"] {
            assert!(actions.contains(&action), "{action} not in {actions:?}");
        }
    }
);

both!(
    inbound_mail_set_aside_is_for_the_pst_only,
    Settings::default(),
    async |s: &Server| {
        let (status, list) = s.call("GET", "/api/v1/inbound", Some(&s.alice), None).await;
        assert_eq!((status, list), (StatusCode::OK, json!([])));
        let outcome = s
            .store
            .ingest(
                b"not a mail at all",
                "pipe",
                Err("no From header".into()),
                "default",
                psirt_server::now(),
            )
            .await
            .unwrap();
        assert!(matches!(outcome, psirt_store::Ingested::Quarantined(_)));
        let (status, list) = s.call("GET", "/api/v1/inbound", Some(&s.bob), None).await;
        assert_eq!(status, StatusCode::OK);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (
                list[0]["source"].as_str(),
                list[0]["outcome"].as_str(),
                list[0]["reason"].as_str(),
                list[0]["size"].as_u64(),
                &list[0]["case"]
            ),
            (
                Some("pipe"),
                Some("quarantined"),
                Some("no From header"),
                Some(17),
                &Value::Null
            )
        );
        // Neither a member off the PST nor an administrator; nobody anonymous.
        for token in [&s.dev, &s.admin] {
            assert_eq!(
                s.call("GET", "/api/v1/inbound", Some(token), None).await.0,
                StatusCode::FORBIDDEN
            );
        }
        // Another project's PST sees its own set-aside mail, not this one's,
        // and this one's sees nothing of the other's.
        let now = psirt_server::now();
        s.store
            .add_project("other", "Other", &Policy::default(), now)
            .await
            .unwrap();
        let dev = s
            .store
            .user_by_email(&"dev@example.org".parse().unwrap())
            .await
            .unwrap();
        s.store.add_pst_member("other", dev.id, now).await.unwrap();
        let (status, list) = s.call("GET", "/api/v1/inbound", Some(&s.dev), None).await;
        assert_eq!((status, list), (StatusCode::OK, json!([])));
        s.store
            .ingest(
                b"other junk",
                "pipe",
                Err("no From header".into()),
                "other",
                now,
            )
            .await
            .unwrap();
        let sources = |list: Value| -> Vec<u64> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|m| m["size"].as_u64().unwrap())
                .collect()
        };
        let (_, list) = s.call("GET", "/api/v1/inbound", Some(&s.dev), None).await;
        assert_eq!(sources(list), [10]);
        let (_, list) = s.call("GET", "/api/v1/inbound", Some(&s.bob), None).await;
        assert_eq!(sources(list), [17]);
        assert_eq!(
            s.call("GET", "/api/v1/inbound", None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
);

both!(
    an_application_or_a_team_addition_never_changes_an_existing_accounts_key_or_name,
    Settings::default(),
    async |s: &Server| {
        let armored = |who: &str| {
            let key = psirt_mail::InstanceKey::generate(who).unwrap();
            (
                key.public_key_armored().unwrap(),
                key.fingerprint().to_string(),
            )
        };
        let (alices_key, alices_fpr) = armored("Alice <alice@example.org>");
        let (mallorys_key, mallorys_fpr) = armored("Mallory <mallory@evil.example>");
        let (founders_key, founders_fpr) = armored("Founder <founder@origin.example>");
        let (newbies_key, newbies_fpr) = armored("Newbie <newbie@origin.example>");
        let now = psirt_server::now();
        let origin = s
            .store
            .found_distributor(
                "default",
                "Origin",
                psirt_store::NewPerson {
                    name: "Founder".into(),
                    email: "founder@origin.example".parse().unwrap(),
                    key: Some(psirt_store::CheckedKey::new(&founders_fpr, &founders_key).unwrap()),
                },
                now,
            )
            .await
            .unwrap();
        let founder = s.token_for("founder@origin.example").await;
        let (status, _) = s
            .call(
                "PUT",
                "/api/v1/me/openpgp-key",
                Some(&s.alice),
                Some(json!({"armored": alices_key})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let key_of = async |email: &str| {
            s.store
                .key_for(&email.parse().unwrap())
                .await
                .unwrap()
                .map(|k| k.trim().to_string())
        };

        // Anyone applies, naming two PST members (Alice with a key on
        // file, Bob without) under other names, with their own key.
        let (status, receipt) = s
            .call(
                "POST",
                "/api/v1/distributors/applications",
                None,
                Some(json!({
                    "organisation": "Evil",
                    "answers": seven_answers(),
                    "people": [
                        {"name": "Mallory", "email": "alice@example.org", "key": mallorys_key},
                        {"name": "Mallory too", "email": "bob@example.org", "key": mallorys_key},
                    ],
                    "voucher": "founder@origin.example",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        // The keys on file are untouched: Alice keeps hers, Bob still has none.
        assert_eq!(
            key_of("alice@example.org").await,
            Some(alices_key.trim().to_string())
        );
        assert_eq!(key_of("bob@example.org").await, None);
        // The answer shows what was sent and nothing about the accounts:
        // not their stored names, not whether a key is on file.
        let people = receipt["people"].as_array().unwrap();
        let alice = people
            .iter()
            .find(|p| p["email"] == "alice@example.org")
            .unwrap();
        assert_eq!(alice["name"], "Mallory");
        assert_eq!(alice["has_key"], false);
        assert_eq!(alice["key_pending"], mallorys_fpr.as_str());
        assert!(!receipt.to_string().contains(&alices_fpr), "{receipt}");
        // The account's own name is unchanged.
        let me = s.call("GET", "/api/v1/me", Some(&s.alice), None).await.1;
        assert_eq!(me["name"], "alice@example.org");

        // A member adds a person of "their team" naming an existing
        // account with their own key: that key is not put on file either.
        let (status, org) = s
            .call(
                "POST",
                &format!("/api/v1/distributors/{}/people", origin.id),
                Some(&founder),
                Some(json!({"name": "Alice?", "email": "alice@example.org", "key": mallorys_key})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        assert_eq!(
            key_of("alice@example.org").await,
            Some(alices_key.trim().to_string())
        );

        // A new person's key waits until they accept the policy, signed
        // in: then it is their key on file.
        let (status, org) = s
            .call(
                "POST",
                &format!("/api/v1/distributors/{}/people", origin.id),
                Some(&founder),
                Some(
                    json!({"name": "Newbie", "email": "newbie@origin.example", "key": newbies_key}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        assert_eq!(key_of("newbie@origin.example").await, None);
        let newbie = s.token_for("newbie@origin.example").await;
        let (status, org) = s
            .call(
                "POST",
                &format!("/api/v1/distributors/{}/accept", origin.id),
                Some(&newbie),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{org}");
        assert_eq!(
            key_of("newbie@origin.example").await,
            Some(newbies_key.trim().to_string())
        );
        let listed = org["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["email"] == "newbie@origin.example")
            .unwrap()
            .clone();
        assert_eq!(
            (listed["has_key"].clone(), listed["key_pending"].clone()),
            (json!(true), Value::Null)
        );
        let accepted = org["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|e| e["kind"] == "accepted")
            .unwrap()
            .clone();
        assert!(
            accepted["detail"].as_str().unwrap().contains(&newbies_fpr),
            "{accepted}"
        );
        // Alice, accepting for the organisation that named her, keeps her key.
        let (status, _) = s
            .call(
                "POST",
                &format!("/api/v1/distributors/{}/accept", origin.id),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            key_of("alice@example.org").await,
            Some(alices_key.trim().to_string())
        );
    }
);

both!(
    control_characters_and_unknown_addresses_tell_nothing_they_should_not,
    Settings::default(),
    async |s: &Server| {
        // ESC in a summary and NUL anywhere are refused at intake, naming the field.
        for (body, field) in [
            (
                json!({"summary": "Crash \u{1b}]0;owned\u{7}", "details": "x"}),
                "summary",
            ),
            (json!({"summary": "Crash", "details": "a\u{0}b"}), "details"),
        ] {
            let (status, p) = s.call("POST", "/api/v1/reports", None, Some(body)).await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{p}"
            );
        }
        // Whether an address has an account is told only to someone who
        // may run the command: anyone else gets the 403 they get anyway.
        let (reference, _) = s.report("Oracle case").await;
        let assign =
            json!({"type": "assign_fix_lead", "lead": "nobody@example.org", "reason": "x"});
        let (status, p) = s.command(&s.dev, &reference, assign.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        let assign_known =
            json!({"type": "assign_fix_lead", "lead": "bob@example.org", "reason": "x"});
        let (status, p) = s.command(&s.dev, &reference, assign_known).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        let (status, p) = s.command(&s.alice, &reference, assign).await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("command.lead")),
            "{p}"
        );
        // A misspelt field is refused, never silently taken as a default.
        let (status, p) = s
            .command(
                &s.alice,
                &reference,
                json!({"type": "assign_fix_lead", "leed": "bob@example.org"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(p["detail"].as_str().unwrap().contains("leed"), "{p}");
    }
);

both!(
    openpgp_keys_are_checked_before_they_are_put_on_file,
    Settings::default(),
    async |s: &Server| {
        let key = psirt_mail::InstanceKey::generate("Dev <dev@example.org>").unwrap();
        let armored = key.public_key_armored().unwrap();
        let (status, on_file) = s
            .call(
                "PUT",
                "/api/v1/me/openpgp-key",
                Some(&s.dev),
                Some(json!({"armored": armored})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{on_file}");
        assert_eq!(
            on_file,
            json!({"email": "dev@example.org", "fingerprint": key.fingerprint().to_string()})
        );
        let dev: psirt_core::EmailAddress = "dev@example.org".parse().unwrap();
        assert_eq!(
            s.store.key_for(&dev).await.unwrap().as_deref(),
            Some(armored.trim())
        );
        // Not a key: refused with the reason, naming the field.
        let (status, p) = s
            .call(
                "PUT",
                "/api/v1/me/openpgp-key",
                Some(&s.dev),
                Some(json!({"armored": "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnope\n"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("armored")),
            "{p}"
        );
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("not an armored OpenPGP public key"),
            "{p}"
        );
        assert_eq!(
            s.call(
                "PUT",
                "/api/v1/me/openpgp-key",
                None,
                Some(json!({"armored": armored}))
            )
            .await
            .0,
            StatusCode::UNAUTHORIZED
        );
        // Administrators put keys on file for accounts; nobody else does.
        let bobs = psirt_mail::InstanceKey::generate("Bob <bob@example.org>").unwrap();
        let body = json!({"armored": bobs.public_key_armored().unwrap()});
        let path = "/api/v1/users/bob@example.org/openpgp-key";
        assert_eq!(
            s.call("PUT", path, Some(&s.alice), Some(body.clone()))
                .await
                .0,
            StatusCode::FORBIDDEN
        );
        let (status, on_file) = s
            .call("PUT", path, Some(&s.admin), Some(body.clone()))
            .await;
        assert_eq!(
            (status, on_file["fingerprint"].as_str()),
            (StatusCode::OK, Some(bobs.fingerprint().as_str()))
        );
        assert_eq!(
            s.call(
                "PUT",
                "/api/v1/users/nobody@example.org/openpgp-key",
                Some(&s.admin),
                Some(body)
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        // Without an instance key, an encrypted report cannot be read: refused.
        let gpg = psirt_mail::testing::gpg::Gpg::new();
        gpg.import(&instance_key().public_key_armored().unwrap());
        let armored_report = gpg.encrypt(
            &instance_key().fingerprint().to_string(),
            None,
            b"Heap overflow in the parser.",
        );
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": "Encrypted", "details": String::from_utf8(armored_report).unwrap()})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("details")),
            "{p}"
        );
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("no key to decrypt it"),
            "{p}"
        );
    }
);

both!(
    a_report_encrypted_to_the_instance_key_is_stored_decrypted,
    Settings {
        instance_key: Some(std::sync::Arc::new(instance_key().clone())),
        ..Settings::default()
    },
    async |s: &Server| {
        let gpg = psirt_mail::testing::gpg::Gpg::new();
        gpg.import(&instance_key().public_key_armored().unwrap());
        let reporter = gpg.gen_key("rita@example.net", "0");
        let encrypted = gpg.encrypt(
            &instance_key().fingerprint().to_string(),
            Some(&reporter),
            "Heap overflow in the parser: a 70 kB label overruns the buffer.\n".as_bytes(),
        );
        let details = format!(
            "Found with a fuzzer; details below.\n\n{}",
            String::from_utf8(encrypted).unwrap()
        );
        let (status, receipt) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(
                    json!({"summary": "Heap overflow in the parser", "details": details,
                    "impact": "Remote code execution."}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let reference = receipt["reference"].as_str().unwrap();
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(
            case["details"],
            "Found with a fuzzer; details below.\n\nHeap overflow in the parser: a 70 kB label overruns the buffer.\n\n## Impact\n\nRemote code execution."
        );
        // Encrypted to another key, or damaged: refused, nothing stored.
        let other = gpg.gen_key("someone@example.com", "0");
        let elsewhere = String::from_utf8(gpg.encrypt(&other, None, b"secret")).unwrap();
        // A line of the ciphertext lost on the way.
        let mut lines: Vec<&str> = details.lines().collect();
        let middle = lines.len() / 2 + 2;
        assert!(lines[middle].len() > 20, "{details}");
        lines.remove(middle);
        let damaged = lines.join("\n");
        let (_, before) = s.call("GET", "/api/v1/cases", Some(&s.alice), None).await;
        for bad in [elsewhere.as_str(), damaged.as_str()] {
            let (status, p) = s
                .call(
                    "POST",
                    "/api/v1/reports",
                    None,
                    Some(json!({"summary": "Not for us", "details": bad})),
                )
                .await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("details")),
                "{p}"
            );
            assert!(
                p["detail"].as_str().unwrap().contains("/openpgp-key.asc"),
                "{p}"
            );
        }
        let (_, after) = s.call("GET", "/api/v1/cases", Some(&s.alice), None).await;
        assert_eq!(before, after, "nothing stored");
        // The summary stays plain text.
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": elsewhere, "details": "x"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("summary")),
            "{p}"
        );
    }
);

/// The seed's seven criteria, answered one by one.
fn seven_answers() -> Vec<&'static str> {
    vec![
        "We ship CoreDNS in Distro Linux and its container images.",
        "Millions of installations outside our company.",
        "https://distro.example/security lists every fix since 2015.",
        "We build from upstream sources ourselves.",
        "We send patches and review pull requests.",
        "We accept the embargo policy.",
        "founder@origin.example vouches for us.",
    ]
}

impl Server {
    /// A token for an account the store made (a named distributor person).
    async fn token_for(&self, email: &str) -> String {
        let user = self
            .store
            .user_by_email(&email.parse().unwrap())
            .await
            .unwrap();
        self.store
            .issue_token(user.id, psirt_server::now())
            .await
            .unwrap()
            .reveal()
            .to_string()
    }

    /// A case walked through the API to its pre-notification, written as drafts.
    async fn pre_notified_case(&self, summary: &str) -> String {
        let (reference, _) = self.report(summary).await;
        let embargo_end =
            (psirt_server::now() + jiff::SignedDuration::from_hours(24 * 7)).to_string();
        for (token, command) in [
            (
                &self.bob,
                json!({"type": "assign_fix_lead", "lead": "alice@example.org", "reason": "knows the cache"}),
            ),
            (
                &self.alice,
                json!({"type": "add_fix_commit", "commit": "a1b2c3d", "author": "alice@example.org"}),
            ),
            (
                &self.bob,
                json!({"type": "approve_commit", "commit": "a1b2c3d"}),
            ),
            (&self.alice, json!({"type": "mark_fix_ready"})),
            (
                &self.alice,
                json!({"type": "decide_distributors", "notify": true, "rationale": "Remotely exploitable.", "embargo_end": embargo_end}),
            ),
            (
                &self.alice,
                json!({"type": "notify_distributors", "patches": ["diff --git a/plugin/cache b/plugin/cache"], "fixed_versions": "1.12.1"}),
            ),
        ] {
            let (status, body) = self.command(token, &reference, command.clone()).await;
            assert_eq!(status, StatusCode::OK, "{command}: {body}");
        }
        reference
    }
}

both!(
    a_distributor_applies_is_vouched_for_accepts_is_approved_is_notified_and_is_removed,
    Settings::default(),
    async |s: &Server| {
        let gpg = psirt_mail::testing::gpg::Gpg::new();
        for who in [
            "founder@origin.example",
            "ann@distro.example",
            "carl@distro.example",
        ] {
            gpg.gen_key(who, "0");
        }
        let now = psirt_server::now();
        let founder_key = gpg.export("founder@origin.example");
        let key = psirt_mail::PublicKey::from_armored(&founder_key, now).unwrap();
        s.store
            .found_distributor(
                "default",
                "Origin",
                psirt_store::NewPerson {
                    name: "Founder".into(),
                    email: "founder@origin.example".parse().unwrap(),
                    key: Some(
                        psirt_store::CheckedKey::new(&key.fingerprint().to_string(), &founder_key)
                            .unwrap(),
                    ),
                },
                now,
            )
            .await
            .unwrap();
        let founder = s.token_for("founder@origin.example").await;
        let application = |key: &str| {
            json!({
                "organisation": "Distro",
                "answers": seven_answers(),
                "list_address": "security@distro.example",
                "people": [{"name": "Ann", "email": "ann@distro.example", "key": key}],
                "voucher": "founder@origin.example",
            })
        };

        // Bad input is refused naming the field, and nothing is stored.
        let mut bad = Vec::new();
        bad.push((application("not a key"), "people[0].key"));
        let mut missing = application(&gpg.export("ann@distro.example"));
        missing.as_object_mut().unwrap().remove("answers");
        for (i, a) in seven_answers().iter().enumerate() {
            if i != 2 {
                missing[format!("criterion_{}", i + 1)] = json!(a);
            }
        }
        bad.push((missing, "criterion_3"));
        let mut alias = application(&gpg.export("ann@distro.example"));
        alias["people"][0]["email"] = json!("security-team@distro.example");
        bad.push((alias, "people[0].email"));
        let mut voucher = application(&gpg.export("ann@distro.example"));
        voucher["voucher"] = json!("nobody@example.net");
        bad.push((voucher, "voucher"));
        for (body, field) in bad {
            let (status, p) = s
                .call(
                    "POST",
                    "/api/v1/distributors/applications",
                    None,
                    Some(body),
                )
                .await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{p}"
            );
        }
        let (_, orgs) = s
            .call("GET", "/api/v1/distributors", Some(&s.alice), None)
            .await;
        assert_eq!(orgs.as_array().unwrap().len(), 1, "only Origin: {orgs}");

        // The application, by anyone.
        let (status, org) = s
            .call(
                "POST",
                "/api/v1/distributors/applications",
                None,
                Some(application(&gpg.export("ann@distro.example"))),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        assert_eq!(org["state"], "applied");
        assert_eq!(org["answers"][2]["answer"], seven_answers()[2]);
        let id = org["id"].as_i64().unwrap();
        let path = |tail: &str| format!("/api/v1/distributors/{id}{tail}");
        let ann = s.token_for("ann@distro.example").await;

        // The applicant sees their application; the PST cannot approve
        // before the voucher has spoken; Ann cannot approve herself.
        assert_eq!(
            s.call("GET", &path(""), Some(&ann), None).await.0,
            StatusCode::OK
        );
        let approve = json!({"decision": "approve"});
        let (status, p) = s
            .call(
                "POST",
                &path("/decision"),
                Some(&ann),
                Some(approve.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        let (status, p) = s
            .call(
                "POST",
                &path("/decision"),
                Some(&s.alice),
                Some(approve.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{p}");
        let (status, p) = s
            .call(
                "POST",
                &path("/vouch"),
                Some(&s.dev),
                Some(json!({"confirm": true})),
            )
            .await;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::UNPROCESSABLE_ENTITY,
            "{status} {p}"
        );

        // The voucher confirms in psirt; Ann accepts the embargo policy for herself.
        let (status, org) = s
            .call(
                "POST",
                &path("/vouch"),
                Some(&founder),
                Some(json!({"confirm": true})),
            )
            .await;
        assert_eq!(
            (status, org["state"].as_str()),
            (StatusCode::OK, Some("vouched")),
            "{org}"
        );
        let (status, org) = s.call("POST", &path("/accept"), Some(&ann), None).await;
        assert_eq!(status, StatusCode::OK, "{org}");
        assert!(org["people"][0]["accepted_at"].is_string(), "{org}");
        assert_eq!(org["people"][0]["accepted_via"], "self");
        assert_eq!(
            s.call("POST", &path("/accept"), Some(&ann), None).await.0,
            StatusCode::CONFLICT
        );
        let (status, p) = s
            .call(
                "POST",
                &path("/decision"),
                Some(&s.alice),
                Some(json!({"decision": "reject"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
            "{p}"
        );
        let (status, org) = s
            .call("POST", &path("/decision"), Some(&s.alice), Some(approve))
            .await;
        assert_eq!(
            (status, org["state"].as_str()),
            (StatusCode::OK, Some("approved")),
            "{org}"
        );
        let kinds: Vec<&str> = org["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["applied", "vouched", "accepted", "approved"]);

        // Need to know: Ann adds Carl, who sees nothing until he accepts.
        let (status, org) = s
            .call(
                "POST",
                &path("/people"),
                Some(&ann),
                Some(json!({"name": "Carl", "email": "carl@distro.example", "key": gpg.export("carl@distro.example")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let carl = s.token_for("carl@distro.example").await;
        assert_eq!(
            s.call("GET", "/api/v1/me/notified-cases", Some(&carl), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );

        // A case is pre-notified and its drafts approved.
        let reference = s.pre_notified_case("Cache poisoning via EDNS").await;
        let (status, p) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/pre-notification"),
                Some(&ann),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "not approved yet: {p}");
        let case_path = format!("/api/v1/cases/{reference}");
        let (_, case) = s.call("GET", &case_path, Some(&s.alice), None).await;
        assert!(case["distributors"]["written_at"].is_string(), "{case}");
        assert!(
            case["distributors"]["notified_at"].is_null(),
            "drafts notify nobody: {case}"
        );
        let (status, p) = s
            .call(
                "POST",
                &format!("/api/v1/cases/{reference}/mail/pre_notification/approve"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        let (_, case) = s.call("GET", &case_path, Some(&s.alice), None).await;
        assert!(case["distributors"]["notified_at"].is_string(), "{case}");

        // One delivery round: Ann's copy arrives encrypted, and gpg decrypts it.
        let mut sink = psirt_mail::testing::smtp_sink::SmtpSink::start(Default::default());
        let delivery = psirt_jobs::deliver::Delivery {
            store: s.store.clone(),
            smtp: psirt_mail::Smtp::new(&sink.config()).unwrap(),
            key: instance_key().clone(),
            from: psirt_mail::Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
            worker: "test".into(),
            lease: jiff::SignedDuration::from_mins(5),
            first_retry: jiff::SignedDuration::from_secs(30),
            clock: psirt_server::now,
        };
        delivery.round(psirt_server::now()).await.unwrap();
        let received = sink.messages();
        gpg.import(&instance_key().public_key_armored().unwrap());
        // (Her invitation went out in the same round.)
        let (to_ann, decrypted) = received
            .iter()
            .filter(|m| m.rcpt_to == ["ann@distro.example"])
            .map(|m| (m, gpg.decrypt_pgp_mime(&m.bytes).unwrap()))
            .find(|(_, d)| String::from_utf8_lossy(&d.plaintext).contains(&reference))
            .expect("Ann's copy of the pre-notification");
        assert!(decrypted.signature_good, "signed with the instance key");
        assert!(String::from_utf8_lossy(&decrypted.plaintext).contains(&reference));
        assert!(
            !String::from_utf8_lossy(&to_ann.bytes).contains("plugin/cache"),
            "never in clear"
        );
        sink.stop();

        // Ann lists the case and reads the notice; the read is audited.
        let (status, cases) = s
            .call("GET", "/api/v1/me/notified-cases", Some(&ann), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{cases}");
        assert_eq!(cases[0]["reference"], reference.as_str());
        let (status, notice) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/pre-notification"),
                Some(&ann),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{notice}");
        assert!(
            notice["body"].as_str().unwrap().contains("1.12.1"),
            "{notice}"
        );
        assert!(
            !notice.to_string().contains("Send a crafted packet"),
            "never the report: {notice}"
        );
        assert_eq!(
            s.call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&ann),
                None
            )
            .await
            .0,
            StatusCode::FORBIDDEN,
            "the notice, not the case"
        );
        let (_, audit) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/audit"),
                Some(&s.alice),
                None,
            )
            .await;
        assert!(
            audit
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "distributor.notice.view"
                    && e["actor"].as_str().unwrap().contains("ann@distro.example")),
            "{audit}"
        );
        // Carl still sees nothing until he accepts, then sees his organisation's case.
        assert_eq!(
            s.call(
                "GET",
                &format!("/api/v1/cases/{reference}/pre-notification"),
                Some(&carl),
                None
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.call("POST", &path("/accept"), Some(&carl), None).await.0,
            StatusCode::OK
        );
        let (status, cases) = s
            .call("GET", "/api/v1/me/notified-cases", Some(&carl), None)
            .await;
        assert_eq!(
            (status, cases.as_array().map(Vec::len)),
            (StatusCode::OK, Some(1)),
            "{cases}"
        );

        // The access matrix rows for distributor members: the notice and
        // the portal, never the team's case, its mail, audit or the list.
        let case = |tail: &str| format!("/api/v1/cases/{reference}{tail}");
        let rows: Vec<(&str, String, Option<&str>, StatusCode)> = vec![
            (
                "GET",
                "/api/v1/me/notified-cases".into(),
                None,
                StatusCode::UNAUTHORIZED,
            ),
            (
                "GET",
                "/api/v1/me/notified-cases".into(),
                Some(&s.dev),
                StatusCode::FORBIDDEN,
            ),
            (
                "GET",
                case("/pre-notification"),
                None,
                StatusCode::UNAUTHORIZED,
            ),
            (
                "GET",
                case("/pre-notification"),
                Some(&s.dev),
                StatusCode::FORBIDDEN,
            ),
            (
                "GET",
                case("/pre-notification"),
                Some(&s.alice),
                StatusCode::OK,
            ),
            (
                "GET",
                case("/pre-notification"),
                Some(&founder),
                StatusCode::OK,
            ),
            ("GET", case(""), Some(&ann), StatusCode::FORBIDDEN),
            ("GET", case("/mail"), Some(&ann), StatusCode::FORBIDDEN),
            ("GET", case("/audit"), Some(&ann), StatusCode::FORBIDDEN),
            (
                "GET",
                case("/distributor-notifications"),
                Some(&ann),
                StatusCode::FORBIDDEN,
            ),
            (
                "GET",
                case("/distributor-notifications"),
                Some(&s.alice),
                StatusCode::OK,
            ),
            ("GET", case("/help-requests"), Some(&ann), StatusCode::OK),
            (
                "GET",
                case("/help-requests"),
                Some(&s.dev),
                StatusCode::FORBIDDEN,
            ),
            (
                "GET",
                "/api/v1/distributors".into(),
                Some(&ann),
                StatusCode::FORBIDDEN,
            ),
            (
                "GET",
                "/api/v1/distributors".into(),
                Some(&s.alice),
                StatusCode::OK,
            ),
            (
                "GET",
                "/api/v1/distributors/leaks".into(),
                Some(&ann),
                StatusCode::FORBIDDEN,
            ),
            ("GET", path(""), Some(&s.dev), StatusCode::FORBIDDEN),
            ("GET", path(""), Some(&founder), StatusCode::OK),
        ];
        let mut got = Vec::new();
        let mut want = Vec::new();
        for (method, route, token, expected) in rows {
            let who = match token {
                None => "anonymous",
                Some(t) if t == ann => "ann",
                Some(t) if t == founder => "founder",
                Some(t) if t == s.alice => "alice",
                Some(_) => "dev",
            };
            let status = s.call(method, &route, token, None).await.0;
            got.push(format!("{method} {route} {who}: {status}"));
            want.push(format!("{method} {route} {who}: {expected}"));
        }
        assert_eq!(got, want);
        let (status, p) = s
            .call(
                "POST",
                &case("/help-requests"),
                Some(&ann),
                Some(json!({"topic": "release_notes", "text": "?"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the team asks: {p}");

        // Feedback: "tested, no issues found".
        let (status, p) = s
            .call(
                "POST",
                &format!("/api/v1/cases/{reference}/distributor-feedback"),
                Some(&ann),
                Some(json!({"kind": "test", "outcome": "no_issues_found", "text": "tested, no issues found"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        let (_, feedback) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/distributor-feedback"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(feedback[0]["outcome"], "no_issues_found", "{feedback}");
        assert_eq!(feedback[0]["organisation"], "Distro");
        assert_eq!(
            s.call(
                "GET",
                &format!("/api/v1/cases/{reference}/distributor-feedback"),
                Some(&ann),
                None
            )
            .await
            .0,
            StatusCode::FORBIDDEN
        );

        // Help with drafts: the PST asks, Ann answers.
        let (status, asked) = s
            .call(
                "POST",
                &format!("/api/v1/cases/{reference}/help-requests"),
                Some(&s.alice),
                Some(json!({"topic": "release_notes", "text": "Could you review the release notes?"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{asked}");
        let (_, requests) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/help-requests"),
                Some(&ann),
                None,
            )
            .await;
        assert_eq!(requests[0]["topic"], "release_notes", "{requests}");
        let (status, p) = s
            .call(
                "POST",
                &format!(
                    "/api/v1/cases/{reference}/help-requests/{}/answers",
                    asked["id"]
                ),
                Some(&ann),
                Some(json!({"text": "Looks right; mention the cache flag."})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");

        // A leak opens the embargo-break assessment and counts against Distro.
        let (status, p) = s
            .call(
                "POST",
                &format!("/api/v1/cases/{reference}/leaks"),
                Some(&ann),
                Some(json!({"what": "the patch", "to_whom": "a public mirror", "when": psirt_server::now().to_string(), "responsible": "Distro"})),
            )
            .await;
        assert_eq!(
            (status, p["embargo_breaks"].as_u64()),
            (StatusCode::CREATED, Some(1)),
            "{p}"
        );
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(
            case["embargo_breaks"].as_array().unwrap().len(),
            1,
            "{case}"
        );
        // The alarm: the case is urgent, assessing the break is due at once
        // and first on the agenda, and the PST and the Fix Lead are mailed.
        assert_eq!(case["urgent"], true, "{case}");
        assert_eq!(
            case["next_due"]["milestone"], "embargo_break_assessed",
            "{case}"
        );
        let (_, agenda) = s.call("GET", "/api/v1/agenda", Some(&s.bob), None).await;
        let entry = &agenda["cases"][0];
        assert_eq!(entry["reference"], reference.as_str(), "{agenda}");
        assert_eq!(entry["urgent"], true, "{agenda}");
        let alarms: Vec<String> = s
            .mail(&s.alice, &reference)
            .await
            .iter()
            .filter(|m| m["kind"] == "embargo_break")
            .map(|m| m["recipient"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            alarms,
            ["alice@example.org", "bob@example.org", "alice@example.org"]
        );
        // The assessment needs an explicit choice.
        let (status, p) = s
            .command(
                &s.bob,
                &reference,
                json!({"type": "assess_embargo_break", "reason": "the mirror is public"}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(
            p["detail"].as_str().unwrap().contains("release_early"),
            "{p}"
        );
        // Releasing early moves the public date: every notified
        // distributor is told, encrypted, and the portal shows both dates.
        let sooner = psirt_server::now() + jiff::SignedDuration::from_hours(6);
        let (status, case) = s
            .command(
                &s.bob,
                &reference,
                json!({"type": "assess_embargo_break", "release_early": true, "release_at": sooner.to_string(), "reason": "the mirror is public"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["distributors"]["embargo_end"], sooner.to_string());
        let updates: Vec<(String, bool)> = s
            .mail(&s.alice, &reference)
            .await
            .iter()
            .filter(|m| m["kind"] == "embargo_update")
            .map(|m| {
                (
                    m["recipient"].as_str().unwrap().to_string(),
                    m["state"] == "queued",
                )
            })
            .collect();
        assert_eq!(
            updates,
            [
                ("ann@distro.example".to_string(), true),
                ("carl@distro.example".to_string(), true),
                ("founder@origin.example".to_string(), true)
            ]
        );
        let (_, notified) = s
            .call("GET", "/api/v1/me/notified-cases", Some(&ann), None)
            .await;
        assert_eq!(notified[0]["embargo_end"], sooner.to_string(), "{notified}");
        assert!(notified[0]["embargo_was"].is_string(), "{notified}");
        let (_, leaks) = s
            .call("GET", "/api/v1/distributors/leaks", Some(&s.alice), None)
            .await;
        let distro = leaks
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["organisation"] == "Distro")
            .unwrap();
        assert_eq!(distro["leaks"], 1, "{leaks}");
        let (_, status_rows) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/distributor-notifications"),
                Some(&s.alice),
                None,
            )
            .await;
        assert!(
            status_rows
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["email"] == "ann@distro.example" && r["delivery"] == "notified"),
            "{status_rows}"
        );

        // A second case waits in drafts when the PST removes Distro: Ann
        // loses access at once and the pending copies are discarded.
        let second = s.pre_notified_case("Zone transfer leak").await;
        let (status, org) = s
            .call(
                "POST",
                &path("/decision"),
                Some(&s.alice),
                Some(json!({"decision": "remove", "reason": "Leaked the patch."})),
            )
            .await;
        assert_eq!(
            (status, org["state"].as_str()),
            (StatusCode::OK, Some("removed")),
            "{org}"
        );
        assert_eq!(org["reason"], "Leaked the patch.");
        // Her token ended with the removal; a new one opens nothing.
        assert_eq!(
            s.call("GET", "/api/v1/me", Some(&ann), None).await.0,
            StatusCode::UNAUTHORIZED
        );
        let ann = s.token_for("ann@distro.example").await;
        for (method, route, body) in [
            ("GET", "/api/v1/me/notified-cases".to_string(), None),
            (
                "GET",
                format!("/api/v1/cases/{reference}/pre-notification"),
                None,
            ),
            (
                "GET",
                format!("/api/v1/cases/{reference}/help-requests"),
                None,
            ),
            (
                "POST",
                format!("/api/v1/cases/{reference}/distributor-feedback"),
                Some(json!({"kind": "review", "outcome": "issues_found", "text": "late"})),
            ),
        ] {
            let (status, p) = s.call(method, &route, Some(&ann), body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {route}: {p}");
        }
        let copies: Vec<String> = s
            .mail(&s.alice, &second)
            .await
            .iter()
            .filter(|m| m["kind"] == "pre_notification")
            .map(|m| {
                format!(
                    "{} {}",
                    m["recipient"].as_str().unwrap(),
                    m["state"].as_str().unwrap()
                )
            })
            .collect();
        assert!(
            copies.contains(&"ann@distro.example discarded".to_string()),
            "{copies:?}"
        );
        assert!(
            copies.contains(&"founder@origin.example draft".to_string()),
            "{copies:?}"
        );
    }
);

/// A person's ASCII-armored public key and its fingerprint, made by psirt
/// itself (faster than GnuPG, and just as usable for encryption).
fn person_key(who: &str) -> (String, String) {
    let key = psirt_mail::InstanceKey::generate(who).unwrap();
    (
        key.public_key_armored().unwrap(),
        key.fingerprint().to_string(),
    )
}

impl Server {
    /// Enrols a founding member of `organisation` on `project`'s list
    /// (what `psirt distributor found` does) and returns the org's id.
    async fn found(&self, project: &str, organisation: &str, email: &str) -> i64 {
        let (armored, fingerprint) = person_key(email);
        self.store
            .found_distributor(
                project,
                organisation,
                psirt_store::NewPerson {
                    name: "Founder".into(),
                    email: email.parse().unwrap(),
                    key: Some(psirt_store::CheckedKey::new(&fingerprint, &armored).unwrap()),
                },
                psirt_server::now(),
            )
            .await
            .unwrap()
            .id
    }
}

both!(
    distributor_routes_take_the_organisations_name_as_the_readme_says,
    Settings::default(),
    async |s: &Server| {
        s.found("default", "Origin", "founder@origin.example").await;
        let founder = s.token_for("founder@origin.example").await;
        // Another project has its own "Distro"; Bob is on its PST.
        let now = psirt_server::now();
        s.store
            .add_project("other", "Other", &Policy::default(), now)
            .await
            .unwrap();
        let bob = s
            .store
            .user_by_email(&"bob@example.org".parse().unwrap())
            .await
            .unwrap();
        s.store.add_pst_member("other", bob.id, now).await.unwrap();
        let other_distro = s.found("other", "Distro", "founder@other.example").await;

        let (ann_key, _) = person_key("ann@distro.example");
        let (status, org) = s
            .call(
                "POST",
                "/api/v1/distributors/applications",
                None,
                Some(json!({
                    "organisation": "Distro",
                    "answers": seven_answers(),
                    "people": [{"name": "Ann", "email": "ann@distro.example", "key": ann_key}],
                    "voucher": "founder@origin.example",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let id = org["id"].as_i64().unwrap();
        assert_ne!(id, other_distro);
        let ann = s.token_for("ann@distro.example").await;

        // The whole path by name: vouch, accept, approve.
        for (token, tail, body) in [
            (&founder, "vouch", Some(json!({"confirm": true}))),
            (&ann, "accept", None),
            (&s.alice, "decision", Some(json!({"decision": "approve"}))),
        ] {
            let (status, org) = s
                .call(
                    "POST",
                    &format!("/api/v1/distributors/Distro/{tail}"),
                    Some(token),
                    body,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{tail}: {org}");
            assert_eq!(org["id"], id, "{tail}: {org}");
        }
        let (status, org) = s
            .call("GET", "/api/v1/distributors/Distro", Some(&s.alice), None)
            .await;
        assert_eq!(
            (status, org["state"].as_str()),
            (StatusCode::OK, Some("approved"))
        );
        // The id still works, and a name with a space is percent-encoded.
        let (status, by_id) = s
            .call(
                "GET",
                &format!("/api/v1/distributors/{id}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(
            (status, by_id["name"].as_str()),
            (StatusCode::OK, Some("Distro"))
        );
        let (carl_key, _) = person_key("carl@distro.example");
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/distributors/Distro/people",
                Some(&ann),
                Some(json!({"name": "Carl", "email": "carl@distro.example", "key": carl_key})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        let (status, p) = s
            .call(
                "DELETE",
                "/api/v1/distributors/Distro/people/carl@distro.example",
                Some(&ann),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");

        // `?project=` names the other project's organisation of that name.
        let (status, org) = s
            .call(
                "GET",
                "/api/v1/distributors/Distro?project=other",
                Some(&s.bob),
                None,
            )
            .await;
        assert_eq!(
            (status, org["id"].as_i64()),
            (StatusCode::OK, Some(other_distro)),
            "{org}"
        );
        let (status, _) = s
            .call(
                "GET",
                "/api/v1/distributors/Distro?project=other",
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // An unknown name is a 404 problem naming it; anonymous callers
        // learn nothing before they sign in.
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/distributors/Nobody/decision",
                Some(&s.alice),
                Some(json!({"decision": "approve"})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        assert_eq!(p["detail"], "distributor organisation \"Nobody\" not found");
        let (status, _) = s
            .call("GET", "/api/v1/distributors/Nobody", None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // A name the path could not tell from an id or a route is refused.
        for name in ["1984", "leaks"] {
            let (status, p) = s
                .call(
                    "POST",
                    "/api/v1/distributors/applications",
                    None,
                    Some(json!({
                        "organisation": name,
                        "answers": seven_answers(),
                        "people": [{"name": "Ann", "email": "ann@distro.example", "key": ann_key}],
                        "voucher": "founder@origin.example",
                    })),
                )
                .await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some("organisation")),
                "{name}: {p}"
            );
        }
    }
);

both!(
    administrators_do_over_the_api_what_psirt_project_pst_and_distributor_found_do,
    Settings::default(),
    async |s: &Server| {
        // Deny by default: anonymous callers sign in, others are refused.
        assert_eq!(
            s.call("GET", "/api/v1/projects", None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        for token in [&s.alice, &s.dev] {
            for (method, path, body) in [
                ("GET", "/api/v1/projects", None),
                ("GET", "/api/v1/projects/default/policy", None),
                ("PUT", "/api/v1/projects/default/policy", Some(json!({}))),
                (
                    "PUT",
                    "/api/v1/projects/default/announce",
                    Some(json!({"address": null})),
                ),
                ("GET", "/api/v1/projects/default/pst", None),
                (
                    "PUT",
                    "/api/v1/projects/default/pst/alice@example.org",
                    Some(json!({"available": false})),
                ),
            ] {
                let (status, p) = s.call(method, path, Some(token), body).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {p}");
                assert_eq!(p["detail"], "only an administrator may manage projects");
            }
        }

        // Projects and their policy: read, replaced, refused naming the key.
        let (status, projects) = s
            .call("GET", "/api/v1/projects", Some(&s.admin), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(projects[0]["slug"], "default", "{projects}");
        let (status, policy) = s
            .call(
                "GET",
                "/api/v1/projects/default/policy",
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{policy}");
        let mut longer = policy.clone();
        longer["release_within"] = json!("30d");
        let (status, replaced) = s
            .call(
                "PUT",
                "/api/v1/projects/default/policy",
                Some(&s.admin),
                Some(longer.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{replaced}");
        assert_ne!(replaced["release_within"], policy["release_within"]);
        let (_, now) = s
            .call(
                "GET",
                "/api/v1/projects/default/policy",
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(now, replaced);
        for (body, field) in [
            (json!({"release_within": "soon"}), "release_within"),
            (json!({"release_within": "21d", "nope": 1}), "nope"),
        ] {
            let (status, p) = s
                .call(
                    "PUT",
                    "/api/v1/projects/default/policy",
                    Some(&s.admin),
                    Some(body),
                )
                .await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{p}"
            );
        }
        let (_, unchanged) = s
            .call(
                "GET",
                "/api/v1/projects/default/policy",
                Some(&s.admin),
                None,
            )
            .await;
        assert_eq!(unchanged, replaced, "a refused policy changes nothing");
        assert_eq!(
            s.call("GET", "/api/v1/projects/nope/policy", Some(&s.admin), None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );

        // The announcement list.
        let (status, p) = s
            .call(
                "PUT",
                "/api/v1/projects/default/announce",
                Some(&s.admin),
                Some(json!({"address": "not an address"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("address"))
        );
        let (status, project) = s
            .call(
                "PUT",
                "/api/v1/projects/default/announce",
                Some(&s.admin),
                Some(json!({"address": "announce@example.org"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{project}");
        assert_eq!(project["announce_address"], "announce@example.org");
        let (_, project) = s
            .call("GET", "/api/v1/projects/default", Some(&s.admin), None)
            .await;
        assert_eq!(project["announce_address"], "announce@example.org");

        // PST availability: Alice, first in the rotation, is skipped while away.
        let (status, pst) = s
            .call("GET", "/api/v1/projects/default/pst", Some(&s.admin), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let emails: Vec<&str> = pst
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["user"]["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails, ["alice@example.org", "bob@example.org"]);
        let bob_id = pst[1]["user"]["id"].as_i64().unwrap();
        let (status, alice) = s
            .call(
                "PUT",
                "/api/v1/projects/default/pst/alice@example.org",
                Some(&s.admin),
                Some(json!({"available": false})),
            )
            .await;
        assert_eq!(
            (status, alice["available"].as_bool()),
            (StatusCode::OK, Some(false)),
            "{alice}"
        );
        let (reference, _) = s.report("Rotation while Alice is away").await;
        let (status, case) = s
            .command(&s.bob, &reference, json!({"type": "assign_fix_lead"}))
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");
        let (_, cases) = s.call("GET", "/api/v1/cases", Some(&s.bob), None).await;
        let listed = cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reference"] == reference.as_str())
            .unwrap();
        assert_eq!(listed["fix_lead"], bob_id, "{listed}");
        let (status, p) = s
            .call(
                "PUT",
                "/api/v1/projects/default/pst/dev@example.org",
                Some(&s.admin),
                Some(json!({"available": true})),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{p}");
        assert_eq!(p["detail"], "dev@example.org is not on the PST of default");

        // Founding members of the distributors list, with their key.
        let (key, _) = person_key("founder@origin.example");
        let founding = |key: &str| json!({"organisation": "Origin", "person": {"name": "Founder", "email": "founder@origin.example", "key": key}});
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/projects/default/founding-distributors",
                Some(&s.alice),
                Some(founding(&key)),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/projects/default/founding-distributors",
                Some(&s.admin),
                Some(founding("not a key")),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("person.key")),
            "{p}"
        );
        let (status, org) = s
            .call(
                "POST",
                "/api/v1/projects/default/founding-distributors",
                Some(&s.admin),
                Some(founding(&key)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        assert_eq!(org["state"], "approved");
        let (status, org) = s
            .call("GET", "/api/v1/distributors/Origin", Some(&s.alice), None)
            .await;
        assert_eq!(
            (status, org["people"][0]["email"].as_str()),
            (StatusCode::OK, Some("founder@origin.example")),
            "{org}"
        );

        // Each change is in the audit log, as the administrator who made it.
        let (entries, _) = s.store.audit_all_for_tests().await;
        for action in [
            "project.policy",
            "project.announce",
            "pst.available",
            "distributor.founding",
        ] {
            assert!(
                entries
                    .iter()
                    .any(|(actor, a, _)| a == action && actor.contains("root@example.org")),
                "{action}: {entries:?}"
            );
        }
    }
);

fn file_part(name: &str, mime: &str, data: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(data)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap()
}

impl Server {
    async fn upload(&self, form: reqwest::multipart::Form) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(self.url("/api/v1/reports"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    async fn case_count(&self) -> usize {
        let (_, cases) = self
            .call("GET", "/api/v1/cases?all=true", Some(&self.alice), None)
            .await;
        cases["cases"].as_array().unwrap().len()
    }
}

both!(
    reports_carry_attachments_over_the_api_and_every_download_is_audited,
    Settings::default(),
    async |s: &Server| {
        let form = || {
            reqwest::multipart::Form::new()
                .text("summary", "Crash on a crafted packet")
                .text("details", "Send the attached capture.")
                .text("reporter_email", "rita@example.net")
        };
        let png = b"\x89PNG\r\n\x1a\nnot really".to_vec();
        let (status, receipt) = s
            .upload(
                form()
                    .part(
                        "attachments",
                        file_part("shot.png", "image/png", png.clone()),
                    )
                    .part(
                        "attachments",
                        file_part(
                            "../../evil.html",
                            "text/html",
                            b"<script>1</script>".to_vec(),
                        ),
                    ),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{receipt}");
        let reference = receipt["reference"].as_str().unwrap().to_string();

        let path = format!("/api/v1/cases/{reference}/attachments");
        let (status, files) = s.call("GET", &path, Some(&s.alice), None).await;
        assert_eq!(status, StatusCode::OK, "{files}");
        let files = files.as_array().unwrap().clone();
        assert_eq!(files.len(), 2, "{files:?}");
        assert_eq!(
            (
                files[0]["name"].as_str(),
                files[0]["content_type"].as_str(),
                files[0]["size"].as_u64()
            ),
            (Some("shot.png"), Some("image/png"), Some(png.len() as u64))
        );
        assert_eq!(files[1]["name"], "evil.html");
        assert_eq!(files[1]["content_type"], "application/octet-stream");

        let download = async |token: &str, href: &str| {
            s.http
                .get(s.url(href))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
        };
        let resp = download(&s.alice, files[0]["href"].as_str().unwrap()).await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()["content-type"], "image/png");
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment;")
        );
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert_eq!(resp.bytes().await.unwrap().to_vec(), png);
        let resp = download(&s.alice, files[1]["href"].as_str().unwrap()).await;
        assert_eq!(resp.headers()["content-type"], "application/octet-stream");
        // Someone not on the case is refused, and both are in the audit log.
        let resp = download(&s.dev, files[0]["href"].as_str().unwrap()).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            s.call("GET", &path, Some(&s.dev), None).await.0,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            s.call("GET", &format!("{path}/999"), Some(&s.alice), None)
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let (_, audit) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/audit"),
                Some(&s.alice),
                None,
            )
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        for action in ["case.attachment.view", "case.attachment.view.denied"] {
            assert!(actions.contains(&action), "{action}: {actions:?}");
        }

        // The web form's limits, and nothing stored when one is broken.
        let before = s.case_count().await;
        let mut six = form();
        for i in 0..6 {
            six = six.part(
                "attachments",
                file_part(&format!("{i}.txt"), "text/plain", b"x".to_vec()),
            );
        }
        let too_big = vec![0u8; psirt_store::MAX_ATTACHMENT_BYTES + 1];
        for (form, field, detail) in [
            (
                six,
                "attachments",
                "at most 5 files per report; 6 were sent",
            ),
            (
                form().part(
                    "attachments",
                    file_part("big.pcap", "application/vnd.tcpdump.pcap", too_big),
                ),
                "attachments",
                "\"big.pcap\" is larger than 10 MiB",
            ),
            (
                form().part(
                    "attachments",
                    file_part("empty.txt", "text/plain", Vec::new()),
                ),
                "attachments",
                "\"empty.txt\" is empty",
            ),
            (
                form().text("already_public", "maybe"),
                "already_public",
                "must be true or false",
            ),
            (form().text("nope", "x"), "nope", ""),
            (
                form().text("summary", "twice"),
                "summary",
                "is given twice; send each field once",
            ),
        ] {
            let (status, p) = s.upload(form).await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{p}"
            );
            assert!(p["detail"].as_str().unwrap().ends_with(detail), "{p}");
        }
        assert_eq!(
            s.case_count().await,
            before,
            "a refused report stores nothing"
        );
    }
);

both!(
    errors_name_the_field_by_its_path_and_a_413_states_the_limit,
    Settings::default(),
    async |s: &Server| {
        let (reference, _) = s.report("Paths").await;
        let (status, _) = s
            .command(&s.alice, &reference, json!({"type": "assign_fix_lead"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        for (command, field) in [
            (
                json!({"type": "publish_notice", "estimated_release": "next week", "mitigation": "Disable it."}),
                "command.estimated_release",
            ),
            (
                json!({"type": "publish_notice", "estimated_release": "2030-01-01T00:00:00Z"}),
                "command.mitigation",
            ),
            (
                json!({"type": "record_private_handling_answer", "agreed": "yes"}),
                "command.agreed",
            ),
            (
                json!({"type": "release", "version": "1.0.1", "base_release": "1.0.0", "cherry_picks": [1]}),
                "command.cherry_picks[0]",
            ),
            (json!({"type": "no_such_command"}), "command.type"),
            (json!({"version": "1"}), "command.type"),
        ] {
            let (status, p) = s.command(&s.alice, &reference, command.clone()).await;
            assert_eq!(
                (status, p["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{command}: {p}"
            );
            let detail = p["detail"].as_str().unwrap();
            assert!(!detail.contains(" at line "), "{command}: {detail}");
        }
        // Outside commands too: nested fields and list items.
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/distributors/applications",
                None,
                Some(json!({"organisation": "Distro", "voucher": "a@b.example", "people": [{"name": 1, "email": "x@y.example", "key": ""}]})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("people[0].name")),
            "{p}"
        );
        let (status, p) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": "x", "details": "y", "already_public": "no"})),
            )
            .await;
        assert_eq!(
            (status, p["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("already_public")),
            "{p}"
        );

        // A 413 states the limit, on every JSON route, the report route
        // (which takes large multipart bodies) included.
        let big = "x".repeat(3 * 1024 * 1024);
        for path in ["/api/v1/reports", "/api/v1/distributors/applications"] {
            let (status, p) = s
                .call(
                    "POST",
                    path,
                    None,
                    Some(json!({"summary": "big", "details": big})),
                )
                .await;
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
            assert_eq!(p["detail"], "the body is more than 2 MiB", "{path}");
        }
    }
);

/// The link of an invitation in a (decrypted, quoted-printable) mail.
fn invitation_token(mail: &[u8]) -> String {
    let text = String::from_utf8_lossy(mail)
        .replace("=\r\n", "")
        .replace("=\n", "");
    let at = text
        .find("/invitations/psirt_")
        .expect("an invitation link")
        + "/invitations/".len();
    text[at..at + "psirt_".len() + 64].to_string()
}

both!(
    people_named_on_the_list_sign_in_through_their_invitation_without_an_administrator,
    Settings::default(),
    async |s: &Server| {
        let gpg = psirt_mail::testing::gpg::Gpg::new();
        for who in ["founder@origin.example", "ann@distro.example"] {
            gpg.gen_key(who, "0");
        }
        let now = psirt_server::now();
        let key = |who: &str| {
            let armored = gpg.export(who);
            psirt_store::CheckedKey::new(
                &psirt_mail::PublicKey::from_armored(&armored, now)
                    .unwrap()
                    .fingerprint()
                    .to_string(),
                &armored,
            )
            .unwrap()
        };
        s.store
            .found_distributor(
                "default",
                "Origin",
                psirt_store::NewPerson {
                    name: "Founder".into(),
                    email: "founder@origin.example".parse().unwrap(),
                    key: Some(key("founder@origin.example")),
                },
                now,
            )
            .await
            .unwrap();
        let (status, org) = s
            .call(
                "POST",
                "/api/v1/distributors/applications",
                None,
                Some(json!({
                    "organisation": "Distro",
                    "answers": seven_answers(),
                    "people": [{"name": "Ann", "email": "ann@distro.example", "key": gpg.export("ann@distro.example")}],
                    "voucher": "founder@origin.example",
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let org = org["id"].as_i64().unwrap();

        // The PST sees who is invited, never the links; others see nothing.
        let (status, pending) = s
            .call("GET", "/api/v1/invitations", Some(&s.alice), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{pending}");
        let invited: Vec<(&str, &str, Option<&str>)> = pending
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["email"].as_str().unwrap(),
                    i["purpose"].as_str().unwrap(),
                    i["organisation"].as_str(),
                )
            })
            .collect();
        assert_eq!(
            invited,
            [
                ("ann@distro.example", "distributor", Some("Distro")),
                ("founder@origin.example", "distributor", Some("Origin"))
            ]
        );
        assert!(!pending.to_string().contains("psirt_"), "{pending}");
        assert_eq!(
            s.call("GET", "/api/v1/invitations", Some(&s.dev), None)
                .await
                .0,
            StatusCode::FORBIDDEN
        );

        // The invitations go out encrypted to the keys the people gave.
        let mut sink = psirt_mail::testing::smtp_sink::SmtpSink::start(Default::default());
        let delivery = psirt_jobs::deliver::Delivery {
            store: s.store.clone(),
            smtp: psirt_mail::Smtp::new(&sink.config()).unwrap(),
            key: instance_key().clone(),
            from: psirt_mail::Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
            worker: "test".into(),
            lease: jiff::SignedDuration::from_mins(5),
            first_retry: jiff::SignedDuration::from_secs(30),
            clock: psirt_server::now,
        };
        delivery.round(psirt_server::now()).await.unwrap();
        let received = sink.messages();
        sink.stop();
        gpg.import(&instance_key().public_key_armored().unwrap());
        let token_of = |who: &str| {
            let mail = received
                .iter()
                .find(|m| m.rcpt_to == [who])
                .unwrap_or_else(|| panic!("{who}'s invitation"));
            assert!(
                !String::from_utf8_lossy(&mail.bytes).contains("/invitations/"),
                "never in clear"
            );
            let decrypted = gpg.decrypt_pgp_mime(&mail.bytes).unwrap();
            assert!(decrypted.signature_good);
            invitation_token(&decrypted.plaintext)
        };
        let ann = token_of("ann@distro.example");
        let founder = token_of("founder@origin.example");

        // Ann sets her password through the link and is signed in; she can
        // act (accept the embargo policy) with no administrator involved.
        let accept = |token: &str, password: &str| {
            s.http
                .post(s.url(&format!("/api/v1/invitations/{token}")))
                .json(&json!({"password": password}))
                .send()
        };
        let short = accept(&ann, "short").await.unwrap();
        assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let resp = accept(&ann, "ann's long passphrase").await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let cookie = resp.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_string();
        let info: Value = resp.json().await.unwrap();
        assert_eq!(info["user"]["email"], "ann@distro.example");
        let accepted = s
            .http
            .post(s.url(&format!("/api/v1/distributors/{org}/accept")))
            .header("cookie", &cookie)
            .header("x-csrf-token", info["csrf_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(accepted.status(), StatusCode::OK);
        // The link works once; a made-up one is unknown.
        let again = accept(&ann, "ann's long passphrase").await.unwrap();
        assert_eq!(again.status(), StatusCode::GONE);
        let p: Value = again.json().await.unwrap();
        assert!(p["detail"].as_str().unwrap().contains("was used on"), "{p}");
        let made_up = accept(&format!("psirt_{}", "0".repeat(64)), "a long passphrase!")
            .await
            .unwrap();
        assert_eq!(made_up.status(), StatusCode::NOT_FOUND);
        // And it expires with the policy's invitation_valid_for (7 days).
        let later = psirt_server::now() + jiff::SignedDuration::from_hours(24 * 8);
        let expired = s
            .store
            .accept_invitation(&founder, "a long passphrase!", "test", later)
            .await
            .unwrap_err()
            .to_string();
        assert!(expired.contains("expired on"), "{expired}");
        let (_, pending) = s
            .call("GET", "/api/v1/invitations", Some(&s.alice), None)
            .await;
        assert_eq!(
            pending.as_array().unwrap().len(),
            1,
            "Ann's is used: {pending}"
        );

        // The link in the mail opens the page that does the same.
        let page = s.url(&format!("/invitations/{founder}"));
        let form = s.http.get(&page).send().await.unwrap();
        assert_eq!(form.status(), StatusCode::OK);
        assert!(form.text().await.unwrap().contains("Set your password"));
        let short = s
            .http
            .post(&page)
            .form(&[("password", "short")])
            .send()
            .await
            .unwrap();
        assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let done = s
            .http
            .post(&page)
            .form(&[("password", "the founder's passphrase")])
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), StatusCode::SEE_OTHER);
        assert_eq!(done.headers()["location"], "/distributors");
        assert!(
            done.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .starts_with("psirt_session=")
        );
        let used = s
            .http
            .post(&page)
            .form(&[("password", "the founder's passphrase")])
            .send()
            .await
            .unwrap();
        assert_eq!(used.status(), StatusCode::GONE);
        assert!(used.text().await.unwrap().contains("was used on"));

        // A new PST member who cannot sign in yet is invited too.
        let now = psirt_server::now();
        let (carol, _) = s
            .store
            .add_user(&"carol@example.org".parse().unwrap(), "Carol", false, now)
            .await
            .unwrap();
        s.store.revoke_tokens(carol.id, now).await.unwrap();
        s.store
            .add_pst_member("default", carol.id, now)
            .await
            .unwrap();
        let (_, pending) = s
            .call("GET", "/api/v1/invitations", Some(&s.alice), None)
            .await;
        assert_eq!(pending[0]["email"], "carol@example.org", "{pending}");
        assert_eq!(pending[0]["purpose"], "pst", "{pending}");
    }
);

// Each row's operation is the one that refuses a caller without its
// standing: nobody and a signed-in person with no standing (dev) call
// every route, with a body the handler accepts, and a refusal names the
// row's operation (the core's `Denied` reads "only … may <operation>").
// A row whose door or store asks another operation, or none, fails here.
both!(
    each_rows_operation_is_the_one_that_refuses,
    Settings::default(),
    async |s: &Server| {
        let (reference, status_url) = s.report("Rows").await;
        let token = status_url.strip_prefix("/api/v1/status/").unwrap();
        let (key, _) = person_key("founder@origin.example");
        let (status, org) = s
            .call(
                "POST",
                "/api/v1/projects/default/founding-distributors",
                Some(&s.admin),
                Some(json!({"organisation": "Origin", "person": {"name": "Founder", "email": "founder@origin.example", "key": key}})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{org}");
        let fill = |path: &str| {
            path.replace("{reference}", &reference)
                .replace("{token}", token)
                .replace("{email}", "founder@origin.example")
                .replace("{kind}", "pre_notification")
                .replace("{org}", "Origin")
                .replace("{id}", "1")
                .replace("{slug}", "default")
                .replace("{format}", "osv")
        };
        let body = |method: &str, path: &str| row_body(method, path, &key);
        let refused =
            |status: StatusCode| matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
        let mut wrong = Vec::new();
        for route in ROUTES {
            let (method, path) = (route.method.to_uppercase(), fill(route.path));
            let body = body(route.method, route.path);
            let row = format!("{} {}", route.method, route.path);
            let (nobody, p) = s.call(&method, &path, None, body.clone()).await;
            let op = match (route.door, route.door.operation()) {
                (Door::Command, _) => Operation::AssignFixLead,
                (_, Some(op)) => op,
                (_, None) => unreachable!("only the commands route has no operation"),
            };
            let allowed = op.allowed();
            if allowed.contains(&Standing::Anyone) || matches!(route.door, Door::Link(_)) {
                // Anyone, or whoever holds the link, is let through.
                if refused(nobody) {
                    wrong.push(format!("{row}: {nobody} {p}"));
                }
                continue;
            }
            if nobody != StatusCode::UNAUTHORIZED {
                wrong.push(format!("{row}: nobody gets {nobody} {p}"));
            }
            let (dev, p) = s.call(&method, &path, Some(&s.dev), body).await;
            if allowed.contains(&Standing::Person) {
                if refused(dev) {
                    wrong.push(format!("{row}: {dev} {p}"));
                }
                continue;
            }
            let detail = p["detail"].as_str().unwrap_or_default();
            if dev != StatusCode::FORBIDDEN || !detail.ends_with(&format!(" may {}", op.as_str())) {
                wrong.push(format!("{row}: not refused as {op:?}: {dev} {p}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
);

/// `/metrics` (issue 15, operations): Prometheus's text, for an instance
/// administrator or the scrape token only; requests counted by route
/// template (a case's reference or a status token never becomes a label),
/// the outbox's work from the database.
const SCRAPE_TOKEN: &str = "scrape-0123456789abcdef";

both!(
    metrics_are_for_administrators_and_the_scrape_token,
    Settings {
        metrics_token: Some(psirt_server::metrics::ScrapeToken::new(SCRAPE_TOKEN)),
        // The jobs' counters as a process running them would give them.
        job_runs: Some(psirt_server::metrics::JobRunsSource(std::sync::Arc::new(
            || {
                vec![psirt_server::metrics::JobRunsFigure {
                    job: "deliver",
                    runs: 7,
                    failures: 2,
                }]
            }
        ))),
        ..Settings::default()
    },
    async |s: &Server| {
        let (reference, status_url) = s.report("Cache poisoning").await;
        let token = status_url.rsplit('/').next().unwrap().to_owned();
        let (status, _) = s
            .call("GET", &format!("/api/v1/status/{token}"), None, None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        s.call("GET", "/no/such/route/1234", None, None).await;
        // A report with an address: its acknowledgement waits in the
        // outbox (no SMTP here).
        let (status, _) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"summary": "Overflow", "details": "A long label.", "reporter_email": "rita@example.net"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let queued = s.store.figures().await.unwrap().outbox;
        assert!(queued.contains(&("queued", 1)), "{queued:?}");

        assert_eq!(
            s.call("GET", "/metrics", None, None).await.0,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.call("GET", "/metrics", Some(&s.alice), None).await.0,
            StatusCode::FORBIDDEN,
            "a PST member is not an administrator"
        );
        assert_eq!(
            s.call("GET", "/metrics", Some("scrape-wrong-token-0000"), None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
        // The scrape token opens /metrics and nothing else.
        assert_eq!(
            s.call("GET", "/api/v1/audit/verify", Some(SCRAPE_TOKEN), None)
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );

        let scrape = async |token: &str| {
            let resp = s
                .http
                .get(s.url("/metrics"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
            resp.text().await.unwrap()
        };
        let text = scrape(SCRAPE_TOKEN).await;
        let by_admin = scrape(&s.admin).await;
        assert!(by_admin.contains("psirt_http_requests_total"));
        let line = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("no {name} in\n{text}"))
                .to_owned()
        };
        assert!(
            line("psirt_http_requests_total{route=\"/api/v1/cases/{reference}\",method=\"GET\",status=\"200\"}")
                .ends_with(" 1")
        );
        assert!(
            line("psirt_http_requests_total{route=\"/api/v1/status/{token}\",method=\"GET\",status=\"200\"}")
                .ends_with(" 1")
        );
        line("psirt_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}");
        line(
            "psirt_http_request_duration_seconds_bucket{le=\"0.001\",route=\"/api/v1/reports\",method=\"POST\"}",
        );
        assert!(
            !text.contains(&reference) && !text.contains(&token),
            "a reference or a token as a label:\n{text}"
        );
        assert_eq!(
            line("psirt_outbox_messages{state=\"queued\"}"),
            "psirt_outbox_messages{state=\"queued\"} 1"
        );
        line("psirt_outbox_oldest_queued_age_seconds ");
        let audit: i64 = line("psirt_audit_entries ")
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(audit >= 3, "{audit}");
        // The jobs' figures, as counters that a second scrape does not add
        // to again.
        let again = scrape(SCRAPE_TOKEN).await;
        for text in [&text, &again] {
            assert!(
                text.contains("psirt_job_runs_total{job=\"deliver\"} 7\n"),
                "{text}"
            );
            assert!(
                text.contains("psirt_job_failures_total{job=\"deliver\"} 2\n"),
                "{text}"
            );
            assert!(text.contains("# TYPE psirt_job_runs counter"), "{text}");
        }
        assert!(text.trim_end().ends_with("# EOF"));
    }
);

both!(
    a_person_sets_their_own_github_login_and_nobody_elses,
    Settings::default(),
    async |s: &Server| {
        let put = async |token: &str, login: Value| {
            s.call(
                "PUT",
                "/api/v1/me/github-login",
                Some(token).filter(|t| !t.is_empty()),
                Some(json!({ "login": login })),
            )
            .await
        };
        let (status, body) = put(&s.dev, json!("Dev-GH")).await;
        assert_eq!(
            (status, &body),
            (StatusCode::OK, &json!({ "login": "dev-gh" }))
        );
        let dev = s
            .store
            .user_by_email(&"dev@example.org".parse().unwrap())
            .await
            .unwrap();
        assert_eq!(
            s.store.github_logins(&[dev.id]).await.unwrap(),
            [(dev.id, "dev-gh".parse().unwrap())]
        );
        // Another account's login is refused; so is what is not a login.
        let (status, _) = put(&s.bob, json!("dev-gh")).await;
        assert_eq!(status, StatusCode::CONFLICT);
        let (status, body) = put(&s.bob, json!("bob--gh")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.to_string().contains("login"), "{body}");
        let (status, _) = put("", json!("anon")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, body) = put(&s.dev, Value::Null).await;
        assert_eq!((status, &body), (StatusCode::OK, &json!({ "login": null })));
        assert!(s.store.github_logins(&[dev.id]).await.unwrap().is_empty());
    }
);

// ---------------------------------------------------------------------------
// Many projects on one instance (issue 15 §2).

/// A body that passes a route's own checks, so that the store is asked;
/// the routes not named take none, or are refused first.
fn row_body(method: &str, path: &str, key: &str) -> Option<Value> {
    let tail = path.rsplit('/').next().unwrap();
    Some(match (method, tail) {
        ("put", "{kind}") => json!({"subject": "S", "body": "B"}),
        ("post", "commands") => json!({"command": {"type": "assign_fix_lead"}}),
        ("post", "vouch") => json!({"confirm": true}),
        ("post", "accept") => json!({}),
        ("post", "decision") => json!({"decision": "approve"}),
        ("post", "people") => {
            json!({"name": "New", "email": "new@origin.example", "key": key})
        }
        ("post", "distributor-feedback") => {
            json!({"kind": "review", "outcome": "no_issues_found", "text": "Fine."})
        }
        ("post", "leaks") => {
            json!({"what": "The patch", "to_whom": "A blog", "when": "2026-01-01T00:00:00Z"})
        }
        ("post", "help-requests") => json!({"topic": "release_notes", "text": "Help?"}),
        ("post", "answers") => json!({"text": "Here."}),
        ("post", "{token}") => json!({"password": "a long enough passphrase"}),
        ("get" | "delete", _) => return None,
        _ => json!({}),
    })
}

/// What a PST member of project A gets on a route called with project B's
/// case, status link, organisation, people and slug.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cross {
    /// Refused or not found (403 or 404): the route is about B's things.
    Refused,
    /// Answered, but nothing of B's in it: the route is the caller's own,
    /// or a list that B's things must not appear in.
    Hidden,
}

/// Every API route's cross-project case. A route missing here fails
/// `a_pst_member_of_one_project_sees_nothing_of_another`.
const CROSS_API: &[(&str, &str, Cross)] = {
    use Cross::*;
    &[
        ("get", "/healthz", Hidden),
        ("get", "/openapi.json", Hidden),
        ("get", "/openpgp-key.asc", Hidden),
        ("get", "/metrics", Refused),
        ("post", "/api/v1/reports", Hidden),
        ("get", "/api/v1/status/{token}", Refused),
        ("post", "/api/v1/status/{token}/replies", Refused),
        ("post", "/api/v1/status/{token}/credit", Refused),
        ("post", "/api/v1/session", Hidden),
        ("delete", "/api/v1/session", Hidden),
        ("get", "/api/v1/me", Hidden),
        ("post", "/api/v1/me/calendar", Hidden),
        ("get", "/api/v1/me/distributors", Hidden),
        ("get", "/api/v1/me/notified-cases", Hidden),
        ("put", "/api/v1/me/openpgp-key", Hidden),
        ("put", "/api/v1/me/github-login", Hidden),
        ("delete", "/api/v1/me/sessions", Hidden),
        ("get", "/api/v1/cases", Hidden),
        ("get", "/api/v1/agenda", Hidden),
        ("get", "/api/v1/cases/{reference}", Refused),
        ("get", "/api/v1/cases/{reference}/attachments", Refused),
        ("get", "/api/v1/cases/{reference}/attachments/{id}", Refused),
        ("get", "/api/v1/cases/{reference}/audit", Refused),
        ("post", "/api/v1/cases/{reference}/commands", Refused),
        (
            "get",
            "/api/v1/cases/{reference}/distributor-feedback",
            Refused,
        ),
        (
            "post",
            "/api/v1/cases/{reference}/distributor-feedback",
            Refused,
        ),
        (
            "get",
            "/api/v1/cases/{reference}/distributor-notifications",
            Refused,
        ),
        ("get", "/api/v1/cases/{reference}/export/{format}", Refused),
        ("get", "/api/v1/cases/{reference}/help-requests", Refused),
        ("post", "/api/v1/cases/{reference}/help-requests", Refused),
        (
            "post",
            "/api/v1/cases/{reference}/help-requests/{id}/answers",
            Refused,
        ),
        ("post", "/api/v1/cases/{reference}/leaks", Refused),
        ("get", "/api/v1/cases/{reference}/mail", Refused),
        ("put", "/api/v1/cases/{reference}/mail/{kind}", Refused),
        (
            "post",
            "/api/v1/cases/{reference}/mail/{kind}/approve",
            Refused,
        ),
        (
            "post",
            "/api/v1/cases/{reference}/mail/{kind}/discard",
            Refused,
        ),
        ("get", "/api/v1/cases/{reference}/pre-notification", Refused),
        ("get", "/api/v1/cases/{reference}/steps", Refused),
        ("get", "/api/v1/cases/{reference}/similar", Refused),
        ("get", "/api/v1/distributors", Hidden),
        ("post", "/api/v1/distributors/applications", Hidden),
        ("get", "/api/v1/distributors/leaks", Hidden),
        ("get", "/api/v1/distributors/{org}", Refused),
        ("post", "/api/v1/distributors/{org}/accept", Refused),
        ("post", "/api/v1/distributors/{org}/decision", Refused),
        ("post", "/api/v1/distributors/{org}/people", Refused),
        (
            "delete",
            "/api/v1/distributors/{org}/people/{email}",
            Refused,
        ),
        ("post", "/api/v1/distributors/{org}/vouch", Refused),
        ("get", "/api/v1/inbound", Hidden),
        ("get", "/api/v1/invitations", Hidden),
        ("post", "/api/v1/invitations/{token}", Refused),
        ("get", "/api/v1/projects", Refused),
        ("post", "/api/v1/projects", Refused),
        ("get", "/api/v1/projects/{slug}", Refused),
        ("put", "/api/v1/projects/{slug}/announce", Refused),
        (
            "post",
            "/api/v1/projects/{slug}/founding-distributors",
            Refused,
        ),
        ("get", "/api/v1/projects/{slug}/policy", Refused),
        ("put", "/api/v1/projects/{slug}/policy", Refused),
        ("get", "/api/v1/projects/{slug}/pst", Refused),
        ("post", "/api/v1/projects/{slug}/pst", Refused),
        ("put", "/api/v1/projects/{slug}/pst/{email}", Refused),
        ("get", "/api/v1/projects/{slug}/replies", Refused),
        ("put", "/api/v1/projects/{slug}/replies/{name}", Refused),
        ("post", "/api/v1/users", Refused),
        ("post", "/api/v1/users/{email}/revoke", Refused),
        ("put", "/api/v1/users/{email}/openpgp-key", Refused),
        ("get", "/api/v1/audit/verify", Refused),
    ]
};

/// Every page's cross-project case, for its unprefixed path and under
/// `/p/{A}/` and `/p/{B}/`. A page missing here fails
/// `a_pst_member_of_one_project_sees_nothing_of_another`.
const CROSS_PAGES: &[(&str, &str, Cross)] = {
    use Cross::*;
    &[
        ("get", "/", Hidden),
        ("get", "/advisories", Hidden),
        ("get", "/advisories/{file}", Refused),
        ("get", "/advisories/osv/all.zip", Hidden),
        ("get", "/advisories/feed.atom", Hidden),
        ("get", "/advisories/csaf/feed-tlp-white.json", Hidden),
        ("get", "/.well-known/csaf/provider-metadata.json", Hidden),
        ("get", "/.well-known/security.txt", Hidden),
        ("get", "/calendar/{file}", Refused),
        ("get", "/static/psirt.css", Hidden),
        ("get", "/report", Hidden),
        ("post", "/report", Hidden),
        ("get", "/status/{token}", Refused),
        ("post", "/status/{token}", Refused),
        // The form, whatever the link; sending it is refused.
        ("get", "/invitations/{token}", Hidden),
        ("post", "/invitations/{token}", Refused),
        ("get", "/signin", Hidden),
        ("post", "/signin", Hidden),
        ("post", "/signout", Hidden),
        ("post", "/signout/everywhere", Hidden),
        ("get", "/cases", Hidden),
        ("get", "/cases/{reference}", Refused),
        ("post", "/cases/{reference}", Refused),
        ("get", "/cases/{reference}/attachments/{id}", Refused),
        ("post", "/cases/{reference}/mail/{kind}", Refused),
        ("get", "/cases/{reference}/distributors", Refused),
        ("post", "/cases/{reference}/distributors", Refused),
        ("get", "/distributors/apply", Hidden),
        ("post", "/distributors/apply", Hidden),
        ("get", "/distributors", Hidden),
        // Alice's own portal again, with nothing on it.
        ("post", "/distributors", Hidden),
        ("get", "/distributors/cases/{reference}", Refused),
        ("post", "/distributors/cases/{reference}", Refused),
        ("get", "/distributors/admin", Hidden),
        ("get", "/distributors/admin/{org}", Refused),
        ("post", "/distributors/admin/{org}", Refused),
    ]
};

/// The action a page's form sends, so that the store is asked.
fn page_action(path: &str) -> &'static str {
    match path {
        "/cases/{reference}" => "assign_fix_lead",
        "/cases/{reference}/mail/{kind}" => "approve",
        "/distributors/cases/{reference}" => "feedback",
        _ => "accept",
    }
}

/// Project B ("beta") beside the default project A: its PST member Bea,
/// a case with a report only B's team may read, and an organisation on
/// its distributors list.
struct Beta {
    bea: String,
    reference: String,
    org: String,
    /// What no answer to A's PST may contain.
    secrets: Vec<String>,
}

const BETA_SUMMARY: &str = "Beta-only heap overflow";

async fn with_beta(s: &Server) -> Beta {
    let [bea] = Team::on("beta", "Beta")
        .named("bea@example.org", "Bea", Role::Pst)
        .add(&s.store, psirt_server::now())
        .await;
    let (status, body) = s
        .call(
            "POST",
            "/api/v1/reports",
            None,
            Some(json!({"project": "beta", "summary": BETA_SUMMARY, "details": "Beta's crafted packet."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let reference = body["reference"].as_str().unwrap().to_string();
    let (key, _) = person_key("founder@beta-distro.example");
    let (status, org) = s
        .call(
            "POST",
            "/api/v1/projects/beta/founding-distributors",
            Some(&s.admin),
            Some(json!({"organisation": "BetaDistro", "person": {"name": "Founder", "email": "founder@beta-distro.example", "key": key}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    let org = org["id"].to_string();
    Beta {
        bea: bea.token,
        secrets: vec![
            reference.clone(),
            BETA_SUMMARY.into(),
            "BetaDistro".into(),
            "beta-distro.example".into(),
        ],
        reference,
        org,
    }
}

/// A route's path with B's things in its placeholders; links are ones
/// nobody was given.
fn fill_beta(path: &str, beta: &Beta) -> String {
    path.replace("{reference}", &beta.reference)
        .replace("{file}", &beta.reference)
        .replace("{token}", "psirt_not-a-link-anyone-was-given")
        .replace("{email}", "founder@beta-distro.example")
        .replace("{kind}", "pre_notification")
        .replace("{org}", &beta.org)
        .replace("{id}", "1")
        .replace("{slug}", "beta")
        .replace("{format}", "osv")
        .replace("{name}", "acknowledgement")
}

/// The cross-project table against the rows: a row without a case, or a
/// case without a row, fails.
fn cross_rows<'a>(
    table: &'a [(&'a str, &'a str, Cross)],
    rows: impl Iterator<Item = (&'static str, &'static str)>,
) -> Vec<(&'static str, &'static str, Cross)> {
    let rows: Vec<_> = rows.collect();
    let listed: BTreeSet<(&str, &str)> = table.iter().map(|(m, p, _)| (*m, *p)).collect();
    let routes: BTreeSet<(&str, &str)> = rows.iter().copied().collect();
    assert_eq!(
        routes, listed,
        "every route needs its cross-project case, and every case a route"
    );
    rows.into_iter()
        .map(|(m, p)| {
            let cross = table
                .iter()
                .find(|(tm, tp, _)| (*tm, *tp) == (m, p))
                .unwrap()
                .2;
            (m, p, cross)
        })
        .collect()
}

// A PST member of project A (alice, of the default project) calls every
// API route and every page (unprefixed, under /p/default/ and under
// /p/beta/) with project B's case, organisation, people and slug: the
// routes about B's things refuse, and no answer carries anything of B's.
both!(
    a_pst_member_of_one_project_sees_nothing_of_another,
    Settings::default(),
    async |s: &Server| {
        let beta = with_beta(s).await;
        let (key, _) = person_key("new@origin.example");
        let mut wrong = Vec::new();
        let leaked = |text: &str| {
            beta.secrets
                .iter()
                .find(|m| text.contains(m.as_str()))
                .cloned()
        };
        let api = cross_rows(CROSS_API, ROUTES.iter().map(|r| (r.method, r.path)));
        for (method, path, cross) in api {
            let filled = fill_beta(path, &beta);
            let body = row_body(method, path, &key);
            let (status, answer) = s
                .call(&method.to_uppercase(), &filled, Some(&s.alice), body)
                .await;
            let text = answer.to_string();
            match cross {
                Cross::Refused
                    if !matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
                {
                    wrong.push(format!("{method} {path}: {status} {text}"));
                }
                Cross::Hidden if leaked(&text).is_some() => {
                    wrong.push(format!(
                        "{method} {path}: shows {:?}: {text}",
                        leaked(&text)
                    ));
                }
                _ => {}
            }
        }

        // The pages, as alice in a browser session; the sign-out rows last.
        let alice = s
            .store
            .user_by_email(&"alice@example.org".parse().unwrap())
            .await
            .unwrap();
        let pages = cross_rows(
            CROSS_PAGES,
            psirt_server::web::pages::PAGES
                .iter()
                .map(|p| (p.method, p.path)),
        );
        let (mut pages, signouts): (Vec<_>, Vec<_>) = pages
            .into_iter()
            .partition(|(_, p, _)| !p.starts_with("/signout"));
        pages.extend(signouts);
        for prefix in ["", "/p/default", "/p/beta"] {
            let session = s
                .store
                .create_session(
                    &alice,
                    psirt_server::now(),
                    jiff::SignedDuration::from_hours(1),
                )
                .await
                .unwrap();
            let cookie = format!("psirt_session={}", session.cookie.reveal());
            for (method, path, cross) in &pages {
                let url = s.url(&format!("{prefix}{}", fill_beta(path, &beta)));
                let req = match *method {
                    "get" => s.http.get(url),
                    _ => s.http.post(url).form(&[
                        ("csrf", session.csrf.as_str()),
                        ("action", page_action(path)),
                        ("summary", "A's own report"),
                        ("location", "somewhere"),
                        ("org", &beta.org),
                        ("decision", "approve"),
                        ("kind", "review"),
                        ("outcome", "no_issues_found"),
                        ("text", "Fine."),
                        ("topic", "release_notes"),
                        ("password", "a long enough passphrase"),
                    ]),
                };
                let res = req.header("cookie", &cookie).send().await.unwrap();
                let status = res.status();
                let text = res.text().await.unwrap();
                let row = format!("{method} {prefix}{path}");
                match cross {
                    Cross::Refused
                        if !matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
                    {
                        let detail = text.split("<main").nth(1).unwrap_or(&text);
                        wrong.push(format!(
                            "{row}: {status} {}",
                            &detail[..detail.len().min(400)]
                        ));
                    }
                    Cross::Hidden if leaked(&text).is_some() => {
                        wrong.push(format!("{row}: {status} shows {:?}", leaked(&text)));
                    }
                    _ => {}
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));

        // B's own PST sees its case, on B's pages and not on A's.
        let bea = s
            .store
            .user_by_email(&"bea@example.org".parse().unwrap())
            .await
            .unwrap();
        let session = s
            .store
            .create_session(
                &bea,
                psirt_server::now(),
                jiff::SignedDuration::from_hours(1),
            )
            .await
            .unwrap();
        let cookie = format!("psirt_session={}", session.cookie.reveal());
        let page = |path: &str| {
            let req = s.http.get(s.url(path)).header("cookie", &cookie);
            async move {
                let res = req.send().await.unwrap();
                (res.status(), res.text().await.unwrap())
            }
        };
        let (status, dashboard) = page("/p/beta/cases").await;
        assert_eq!(status, StatusCode::OK);
        assert!(dashboard.contains(BETA_SUMMARY), "{dashboard}");
        assert!(dashboard.contains(&format!("href=\"/p/beta/cases/{}\"", beta.reference)));
        let (_, dashboard) = page("/p/default/cases").await;
        assert!(
            !dashboard.contains(BETA_SUMMARY),
            "B's case on A's dashboard"
        );
        let (status, _) = page(&format!("/p/beta/cases/{}", beta.reference)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = page(&format!("/p/default/cases/{}", beta.reference)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "B's case under A's prefix");
        let (status, _) = page(&format!("/p/default/distributors/admin/{}", beta.org)).await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "B's organisation under A's prefix"
        );
        let (status, org_page) = page(&format!("/p/beta/distributors/admin/{}", beta.org)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(org_page.contains("BetaDistro"));
        let (_, api) = s.call("GET", "/api/v1/cases", Some(&beta.bea), None).await;
        assert!(api.to_string().contains(&beta.reference));

        // A report filed on B's form goes to B, with its status link under
        // B's prefix, and appears on B's dashboard only.
        let res = s
            .http
            .post(s.url("/p/beta/report"))
            .form(&[
                ("summary", "Filed on Beta's form"),
                ("location", "beta/parser: a crafted header"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body = res.text().await.unwrap();
        let filed = body
            .split("recorded as <strong>")
            .nth(1)
            .and_then(|b| b.split("</strong>").next())
            .unwrap()
            .to_string();
        let status_link = body
            .split("href=\"/p/beta/status/")
            .nth(1)
            .and_then(|b| b.split('"').next())
            .unwrap_or_else(|| panic!("no status link under /p/beta/: {body}"))
            .to_string();
        assert_eq!(
            s.store.case_project(&filed).await.unwrap().as_deref(),
            Some("beta")
        );
        let (_, dashboard) = page("/p/beta/cases").await;
        assert!(dashboard.contains("Filed on Beta"), "{dashboard}");
        let (_, dashboard) = page("/p/default/cases").await;
        assert!(!dashboard.contains("Filed on Beta"));
        let alice_session = s
            .store
            .create_session(
                &alice,
                psirt_server::now(),
                jiff::SignedDuration::from_hours(1),
            )
            .await
            .unwrap();
        for path in ["/cases", "/p/default/cases", "/p/beta/cases"] {
            let res = s
                .http
                .get(s.url(path))
                .header(
                    "cookie",
                    format!("psirt_session={}", alice_session.cookie.reveal()),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            assert!(
                !res.text().await.unwrap().contains(&filed),
                "B's report on {path}"
            );
        }
        let status = |path: String| {
            let req = s.http.get(s.url(&path));
            async move { req.send().await.unwrap().status() }
        };
        assert_eq!(
            status(format!("/p/beta/status/{status_link}")).await,
            StatusCode::OK
        );
        assert_eq!(
            status(format!("/p/default/status/{status_link}")).await,
            StatusCode::NOT_FOUND,
            "B's status link under A's prefix"
        );

        // An unknown project and a private one answer alike; the front
        // page lists the projects that publish their policy.
        s.store
            .add_project("hidden", "Hidden", &Policy::default(), psirt_server::now())
            .await
            .unwrap();
        s.store.set_policy_published("hidden", false).await.unwrap();
        let (entries, _) = s.store.audit_all_for_tests().await;
        assert!(
            entries.iter().any(|(_, a, _)| a == "project.publish"),
            "{entries:?}"
        );
        let anonymous = |path: &'static str| {
            let req = s.http.get(s.url(path));
            async move {
                let res = req.send().await.unwrap();
                (res.status(), res.text().await.unwrap())
            }
        };
        let unknown = anonymous("/p/nosuch/").await;
        assert_eq!(unknown.0, StatusCode::NOT_FOUND);
        assert_eq!(anonymous("/p/hidden/").await, unknown);
        assert_eq!(anonymous("/p/hidden/report").await, unknown);
        let (status, policy) = anonymous("/p/beta/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(policy.contains("Security policy of Beta"), "{policy}");
        assert!(policy.contains("href=\"/p/beta/report\""));
        assert!(
            !policy.contains("href=\"/report\""),
            "a link out of /p/beta/"
        );
        // The API's intake answers the same for both.
        let file = |project: &'static str| {
            s.call(
                "POST",
                "/api/v1/reports",
                None,
                Some(json!({"project": project, "summary": "S", "details": "D"})),
            )
        };
        let (status, unknown) = file("nosuch").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
        let (status, private) = file("hidden").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{private}");
        assert_eq!(
            private["detail"]
                .as_str()
                .unwrap()
                .replace("hidden", "nosuch"),
            unknown["detail"].as_str().unwrap()
        );
        let (_, front) = anonymous("/").await;
        assert!(front.contains("href=\"/p/beta/\""), "{front}");
        assert!(front.contains("href=\"/p/default/\""));
        assert!(!front.contains("/p/hidden/"));
        let (_, metrics) = s.call("GET", "/metrics", Some(&s.admin), None).await;
        let metrics = metrics.as_str().unwrap().to_string();
        // A project's pages are counted by their row's template.
        assert!(
            metrics.contains(
                "psirt_http_requests_total{route=\"/p/{project}/cases/{reference}\",method=\"GET\",status=\"404\"}"
            ),
            "{metrics}"
        );
        assert!(!metrics.contains("unmatched"), "{metrics}");
    }
);

// Every row's door, over HTTP: for an anonymous caller and for a
// signed-in person with no standing (no PST, no administrator, no
// distributor; a fresh account for each row, so a row that ends its
// caller's sessions touches no other), the answer is the one the row's
// door and the access matrix give. The operations checked are then
// compared with the rows' operations: each row's operation is exercised.
both!(
    every_rows_door_answers_as_the_access_matrix_says,
    Settings::default(),
    async |s: &Server| {
        let (reference, _) = s.report("A door for every row").await;
        let now = psirt_server::now();
        let mut exercised = std::collections::HashSet::new();
        for (i, route) in ROUTES.iter().enumerate() {
            let path = route
                .path
                .replace("{reference}", &reference)
                .replace("{token}", "0000000000000000000000000000000000000000")
                .replace("{id}", "1")
                .replace("{kind}", "forthcoming_fix_notice")
                .replace("{email}", "alice@example.org")
                .replace("{slug}", "default")
                .replace("{name}", "fix_ready")
                .replace("{org}", "1")
                .replace("{format}", "osv");
            let method = route.method.to_uppercase();
            let what = format!("{method} {} ({:?})", route.path, route.door);
            let (user, token) = s
                .store
                .add_user(
                    &format!("probe{i}@example.org").parse().unwrap(),
                    "Probe",
                    false,
                    now,
                )
                .await
                .unwrap();
            let person = psirt_core::Actor::Person {
                user: user.id,
                pst: false,
                admin: false,
            };
            let (anonymous, _) = s.call(&method, &path, None, None).await;
            let (signed_in, _) = s.call(&method, &path, Some(token.reveal()), None).await;
            let refused = |status: StatusCode| {
                status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
            };
            match route.door {
                Door::Instance(op) if op.allowed().contains(&Standing::Anyone) => {
                    assert!(!refused(anonymous), "{what}: anonymous got {anonymous}");
                    assert!(!refused(signed_in), "{what}: a person got {signed_in}");
                    exercised.insert(op);
                }
                Door::Instance(op) | Door::Scrape(op) => {
                    assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{what}: anonymous");
                    if psirt_core::authorize_instance(&person, op).is_ok() {
                        assert!(!refused(signed_in), "{what}: a person got {signed_in}");
                    } else {
                        assert_eq!(signed_in, StatusCode::FORBIDDEN, "{what}: a person");
                    }
                    exercised.insert(op);
                }
                // The store finds no case by a link that is not one.
                Door::Link(op) => {
                    assert_eq!(anonymous, StatusCode::NOT_FOUND, "{what}: anonymous");
                    exercised.insert(op);
                }
                // Signed in, or 401; then the handler reads its input and
                // the store decides with what it loads: a person with no
                // standing on it never succeeds (sent without a body, a
                // route that needs one answers 400 or 422 first) unless any
                // signed-in person may.
                Door::Store(op) | Door::StoreByToken(op) => {
                    assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{what}: anonymous");
                    assert_ne!(signed_in, StatusCode::UNAUTHORIZED, "{what}: a person");
                    assert!(
                        !signed_in.is_success() || op.allowed().contains(&Standing::Person),
                        "{what}: a person with no standing got {signed_in}"
                    );
                    exercised.insert(op);
                }
                Door::Command => {
                    assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{what}: anonymous");
                    assert_ne!(signed_in, StatusCode::UNAUTHORIZED, "{what}: a person");
                }
            }
        }
        let rows: std::collections::HashSet<Operation> =
            ROUTES.iter().filter_map(|r| r.door.operation()).collect();
        assert_eq!(exercised, rows, "a row's operation went unexercised");
        assert!(rows.len() > 20);
    }
);
