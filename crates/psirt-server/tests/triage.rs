//! Triage through the HTTP API, on both databases: the PST disposes of a
//! report with a decision and a reason (the reporter's status page says
//! what happened and why, the team still reads the case), a project's
//! canned replies edited by its PST, "need more information" stopping the
//! clock until the reporter answers and closing the case without an
//! answer, and the intake's limits (reports per reporter address per day,
//! a size limit per field, the "AI tools" answer the team sees).

mod support;

use std::num::NonZeroU32;

use psirt_server::{AppState, Settings, app};
use psirt_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Role, Team};

struct Server {
    api: support::Api,
    store: Store,
    pg: Option<String>,
    _dir: Option<tempfile::TempDir>,
    /// On the PST.
    alice: String,
    /// Not on the PST.
    dev: String,
    /// An administrator, not on the PST.
    root: String,
}

impl Server {
    async fn start(postgres: bool) -> Server {
        let (store, pg, dir) = support::open(postgres, "psirt_triage").await;
        let [alice, dev, root] = Team::on("default", "Default")
            .person("alice@example.org", Role::Pst)
            .person("dev@example.org", Role::Developer)
            .person("root@example.org", Role::Admin)
            .add(&store, psirt_server::now())
            .await;
        let settings = Settings {
            intake_per_minute: NonZeroU32::new(1000).unwrap(),
            reports_per_email_per_day: NonZeroU32::new(2).unwrap(),
            ..Settings::default()
        };
        let (router, _) = app(AppState::new(store.clone(), settings));
        let base = support::serve(router).await;
        Server {
            api: support::Api::new(base),
            store,
            pg,
            _dir: dir,
            alice: alice.token,
            dev: dev.token,
            root: root.token,
        }
    }

    async fn stop(self) {
        support::close(&self.store, self.pg).await;
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.api.call(method, path, token.unwrap_or(""), body).await
    }

    /// A report; returns its reference and status URL.
    async fn report(&self, body: Value) -> (String, String) {
        let (status, body) = self.call("POST", "/api/v1/reports", None, Some(body)).await;
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
            Some(json!({ "command": command })),
        )
        .await
    }
}

macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = Server::start(false).await;
                ($body)(&s).await;
                s.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = Server::start(true).await;
                ($body)(&s).await;
                s.stop().await;
            }
        }
    };
}

fn report(summary: &str, email: &str) -> Value {
    json!({
        "summary": summary,
        "details": "Send a crafted packet to port 53.",
        "reporter_email": email,
    })
}

both!(
    closing_as_not_a_vulnerability_tells_the_reporter_why_and_the_team_still_reads_it,
    async |s: &Server| {
        let (reference, status_url) = s
            .report(report("Crash on empty query", "rita@example.net"))
            .await;
        let decision = json!({
            "type": "triage",
            "outcome": "not_a_vulnerability",
            "reason": "expected_behaviour",
            "text": "Empty queries are refused as documented.",
        });
        // Someone outside the PST may not triage.
        let (status, _) = s.command(&s.dev, &reference, decision.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A reason off the list is refused naming the field.
        let mut bad = decision.clone();
        bad["reason"] = json!("boring");
        let (status, body) = s.command(&s.alice, &reference, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "command.reason", "{body}");
        let (status, case) = s.command(&s.alice, &reference, decision).await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["open"], false);
        assert_eq!(case["triage"]["outcome"], "not_a_vulnerability");
        assert_eq!(case["triage"]["reason"], "expected_behaviour");
        let kinds: Vec<&str> = case["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds[kinds.len() - 2..], ["triaged", "message_to_reporter"]);
        // The team still reads the case, details included.
        let (status, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert!(case["details"].as_str().unwrap().contains("crafted packet"));
        // The reporter's status page says what happened and why.
        let (status, page) = s.call("GET", &status_url, None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(page["triage"]["headline"], "Closed: not a vulnerability.");
        assert_eq!(
            page["triage"]["reason"],
            "the behaviour is expected and documented"
        );
        assert_eq!(
            page["triage"]["text"],
            "Empty queries are refused as documented."
        );
        let last = page["messages"].as_array().unwrap().last().unwrap().clone();
        assert!(
            last["text"]
                .as_str()
                .unwrap()
                .contains("does not consider it a vulnerability"),
            "{last}"
        );
        // And the reporter is mailed.
        let (status, mail) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}/mail"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{mail}");
        assert!(mail.to_string().contains("message_to_reporter"), "{mail}");
    }
);

both!(
    a_projects_canned_reply_is_edited_by_its_pst_and_used_for_duplicates,
    async |s: &Server| {
        let (first, _) = s
            .report(report("Cache poisoning via CNAME", "a@example.net"))
            .await;
        let (second, status_url) = s
            .report(report("CNAME cache poisoning", "b@example.net"))
            .await;
        let body = json!({"body": "{reference} duplicates {duplicate_of}. {text}"});
        // The administrator is not on the project's PST.
        let (status, _) = s
            .call(
                "PUT",
                "/api/v1/projects/default/replies/duplicate",
                Some(&s.root),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = s
            .call(
                "PUT",
                "/api/v1/projects/default/replies/nonsense",
                Some(&s.alice),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, list) = s
            .call(
                "PUT",
                "/api/v1/projects/default/replies/duplicate",
                Some(&s.alice),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let edited: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["edited"] == true)
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(edited, ["duplicate"]);
        let (status, case) = s
            .command(
                &s.alice,
                &second,
                json!({
                    "type": "triage",
                    "outcome": "duplicate",
                    "reason": "known_issue",
                    "text": "Same PoC.",
                    "duplicate_of": first,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");
        assert_eq!(case["triage"]["duplicate_of"], first.as_str());
        let (_, page) = s.call("GET", &status_url, None, None).await;
        let last = page["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            last["text"],
            format!("{second} duplicates {first}. Same PoC.")
        );
        assert_eq!(
            page["triage"]["headline"],
            format!("Closed: a duplicate of {first}.")
        );
        // Edited per message: the team's words replace the template.
        let (third, _) = s.report(report("Also CNAME", "c@example.net")).await;
        let (status, case) = s
            .command(
                &s.alice,
                &third,
                json!({
                    "type": "triage",
                    "outcome": "duplicate",
                    "reason": "known_issue",
                    "text": "Published.",
                    "duplicate_of": "CVE-2026-12345",
                    "message": "Already public as {duplicate_of}.",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{case}");
        let timeline = case["timeline"].as_array().unwrap();
        assert_eq!(
            timeline.last().unwrap()["data"]["text"],
            "Already public as CVE-2026-12345."
        );
    }
);

both!(
    need_more_information_waits_for_the_reporter_and_closes_without_an_answer,
    async |s: &Server| {
        let (answered, answered_url) = s
            .report(report("Overflow in parser", "d@example.net"))
            .await;
        let (silent, silent_url) = s.report(report("Overflow in lexer", "e@example.net")).await;
        for reference in [&answered, &silent] {
            let (status, case) = s
                .command(
                    &s.alice,
                    reference,
                    json!({"type": "request_information", "questions": "Which version?"}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{case}");
            assert!(
                case["awaiting_information"]["closes_at"].is_string(),
                "{case}"
            );
            assert!(case["next_due"].is_null(), "the clock stands still: {case}");
        }
        let (_, page) = s.call("GET", &answered_url, None, None).await;
        assert_eq!(page["stage"], "waiting for your answer");
        assert!(page["answer_needed_by"].is_string());
        let (status, _) = s
            .call(
                "POST",
                &format!("{answered_url}/replies"),
                None,
                Some(json!({"text": "1.11.1"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{answered}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert!(case["awaiting_information"].is_null(), "{case}");
        assert!(case["next_due"].is_object(), "the clock runs again: {case}");
        // Fifteen days on, psirt's job closes the silent one only.
        let later = psirt_server::now() + jiff::SignedDuration::from_hours(15 * 24);
        assert_eq!(s.store.close_unanswered(later).await.unwrap(), 1);
        assert_eq!(s.store.close_unanswered(later).await.unwrap(), 0);
        let (_, page) = s.call("GET", &silent_url, None, None).await;
        assert_eq!(page["open"], false);
        assert_eq!(page["triage"]["outcome"], "unanswered");
        let (_, page) = s.call("GET", &answered_url, None, None).await;
        assert_eq!(page["open"], true);
    }
);

both!(
    intake_limits_hold_per_address_and_per_field,
    async |s: &Server| {
        // Two reports a day from one address (this server's setting);
        // the address is compared without regard to case.
        s.report(report("First", "flood@example.net")).await;
        let (_, _) = s.report(report("Second", "FLOOD@example.net")).await;
        let (status, body) = s
            .call(
                "POST",
                "/api/v1/reports",
                None,
                Some(report("Third", "flood@example.net")),
            )
            .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        // The web form counts the same address, and refuses it the same
        // way (with when to try again), opening nothing.
        let form = reqwest::multipart::Form::new()
            .text("summary", "Fourth, by the form")
            .text("location", "plugin/cache: crafted EDNS options")
            .text("reporter_email", "Flood@example.net");
        let res = s
            .api
            .http
            .post(format!("{}/report", s.api.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(res.headers().contains_key("retry-after"));
        assert_eq!(
            s.store.raw_count("SELECT COUNT(*) FROM cases").await,
            2,
            "the refused reports opened nothing"
        );
        // Another address is not held back.
        s.report(report("Other", "calm@example.net")).await;
        // A field over its limit is refused naming it, and nothing is stored.
        let mut big = report("Big", "big@example.net");
        big["affected_versions"] = json!("1".repeat(2_001));
        let (status, body) = s.call("POST", "/api/v1/reports", None, Some(big)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "affected_versions");
        let mut big = report("Big", "big@example.net");
        big["details"] = json!("x".repeat(200_001));
        let (status, body) = s.call("POST", "/api/v1/reports", None, Some(big)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "details");
        // The "AI tools" answer reaches the team.
        let mut ai = report("Generated finding", "ai@example.net");
        ai["ai_assisted"] = json!(true);
        let (reference, _) = s.report(ai).await;
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{reference}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(case["ai_assisted"], true);
        assert_eq!(case["timeline"][0]["data"]["ai_assisted"], true);
        let (plain, _) = s.report(report("Hand-written", "human@example.net")).await;
        let (_, case) = s
            .call(
                "GET",
                &format!("/api/v1/cases/{plain}"),
                Some(&s.alice),
                None,
            )
            .await;
        assert_eq!(case["ai_assisted"], false);
    }
);
