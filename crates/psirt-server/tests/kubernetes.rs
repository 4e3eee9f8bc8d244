//! The Kubernetes preset walked through the HTTP API, with the server's
//! clock set by the test (`Settings::clock`) and the reminder job run at
//! chosen instants: a project created with `"policy": "kubernetes"`, a
//! distributor notice shorter than 7 days refused naming the rule, the
//! 16:00 UTC suggestion on a Friday moved to Monday and used as the
//! embargo's default end, the final notice to distributors drafted a day
//! before it is due (24 hours before the release) and recorded when
//! approved, the retrospective due within 1–3 days of the release, and
//! the Fix Team member outside the PST and the notified distributor
//! losing access at the release.

mod support;

use support::{Api, Role, Team};

use jiff::Timestamp;
use psirt_server::advisories::Clock;
use psirt_server::{AppState, Settings, app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn milestone<'a>(case: &'a Value, name: &str) -> &'a Value {
    case["milestones"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["milestone"] == name)
        .unwrap_or_else(|| panic!("no milestone {name}: {case}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kubernetes_preset_through_the_api() {
    let (store, _dir) = support::sqlite().await;
    // Friday 13 November 2026, 09:00 UTC: the report arrives.
    let clock = Clock::fixed(at("2026-11-13T09:00:00Z"));
    let now = clock.now();
    // The project, with alice and bob on its PST, is made through the API.
    let [root, alice, bob, dave] = Team::without_project()
        .person("root@example.org", Role::Admin)
        .person("alice@example.org", Role::Developer)
        .person("bob@example.org", Role::Developer)
        .person("dave@example.org", Role::Developer)
        .add(&store, now)
        .await
        .map(|p| p.token);
    let settings = Settings {
        default_project: "k8s".into(),
        clock: clock.clone(),
        ..Settings::default()
    };
    let (router, _) = app(AppState::new(store.clone(), settings));
    let api = Api::new(support::serve(router).await);

    // The project adopts the Kubernetes preset by name; a name that is no
    // preset is refused naming the field.
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/projects",
            &root,
            Some(json!({"slug": "bad", "name": "Bad", "policy": "k8s"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "policy", "{body}");
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/projects",
            &root,
            Some(json!({"slug": "k8s", "name": "Kubernetes", "policy": "kubernetes"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for who in ["alice@example.org", "bob@example.org"] {
        let (status, body) = api
            .call(
                "POST",
                "/api/v1/projects/k8s/pst",
                &root,
                Some(json!({"email": who})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // A distributor on the project's list, with a key.
    let founder = psirt_mail::InstanceKey::generate("founder@distro.example").unwrap();
    store
        .found_distributor(
            "k8s",
            "Distro",
            psirt_store::NewPerson {
                name: "Founder".into(),
                email: "founder@distro.example".parse().unwrap(),
                key: Some(
                    psirt_store::CheckedKey::new(
                        &founder.fingerprint().to_string(),
                        &founder.public_key_armored().unwrap(),
                    )
                    .unwrap(),
                ),
            },
            now,
        )
        .await
        .unwrap();
    let founder_user = store
        .user_by_email(&"founder@distro.example".parse().unwrap())
        .await
        .unwrap();
    let distro = store
        .issue_token(founder_user.id, now)
        .await
        .unwrap()
        .reveal()
        .to_string();

    let (status, body) = api
        .call("POST", "/api/v1/reports", "", Some(json!({"summary": "Privilege escalation in the kubelet", "details": "Steps to reproduce."})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let case = body["reference"].as_str().unwrap().to_string();
    let case = case.as_str();

    // The release is due 21 days on, Friday 4 December; the suggested
    // announcement is 16:00 UTC, and not on a Friday: Monday 7 December.
    let (_, view) = api.case(&alice, case).await;
    assert_eq!(
        milestone(&view, "released")["due_at"],
        "2026-12-04T09:00:00Z"
    );
    assert_eq!(
        view["policy"]["suggested_announcement"],
        "2026-12-07T16:00:00Z"
    );
    // The SRC's own triage rotation: one PST member on call this week.
    assert_eq!(view["policy"]["triage_on_call"]["week_of"], "2026-11-09");
    // A person answers the reporter within one business day: Monday.
    assert_eq!(
        milestone(&view, "first_response")["due_at"],
        "2026-11-16T09:00:00Z"
    );

    api.ok(&bob, case, json!({"type": "assign_fix_lead"})).await;
    api.ok(
        &alice,
        case,
        json!({"type": "form_fix_team", "members": ["dave@example.org"]}),
    )
    .await;
    api.ok(
        &alice,
        case,
        json!({"type": "finalize_cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}),
    )
    .await;
    api.ok(
        &dave,
        case,
        json!({"type": "add_fix_commit", "commit": "abc1234", "author": "Dave <dave@example.org>"}),
    )
    .await;
    api.ok(
        &alice,
        case,
        json!({"type": "approve_commit", "commit": "abc1234"}),
    )
    .await;
    api.ok(&dave, case, json!({"type": "mark_fix_ready"})).await;
    api.ok(
        &alice,
        case,
        json!({"type": "record_cve", "cve": "CVE-2026-4242"}),
    )
    .await;
    api.ok(
        &dave,
        case,
        json!({"type": "draft_announcement", "text": "Kubernetes 1.34.3 fixes CVE-2026-4242."}),
    )
    .await;
    let (status, _) = api.case(&dave, case).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the Fix Team reads the case before the release"
    );

    // Friday 27 November: a notice of four days is refused, naming the
    // rule; the default embargo end is the suggestion, Monday 16:00.
    clock.set(at("2026-11-27T09:00:00Z"));
    let (status, body) = api
        .command(&alice, case, json!({"type": "decide_distributors", "notify": true, "rationale": "Privilege escalation.", "embargo_end": "2026-12-01T16:00:00Z"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains(
            "at least 7d from the notice (the policy's distributor notice window, min_embargo)"
        ),
        "{body}"
    );
    // Friday 4 December, 16:00 is off the announcement time: it needs a reason.
    let (status, body) = api
        .command(&alice, case, json!({"type": "decide_distributors", "notify": true, "rationale": "Privilege escalation.", "embargo_end": "2026-12-04T16:00:00Z"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("suggests Monday 2026-12-07 16:00 UTC"),
        "{body}"
    );
    let view = api
        .ok(&alice, case, json!({"type": "decide_distributors", "notify": true, "rationale": "Privilege escalation."}))
        .await;
    assert_eq!(
        view["distributors"]["embargo_end"], "2026-12-07T16:00:00Z",
        "{view}"
    );
    api.ok(&alice, case, json!({"type": "notify_distributors", "patches": ["From abc1234 Mon Sep 17 00:00:00 2001\n..."]}))
        .await;
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/cases/{case}/mail/pre_notification/approve"),
            &alice,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = api
        .call(
            "GET",
            &format!("/api/v1/cases/{case}/pre-notification"),
            &distro,
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the notified distributor reads the notice before publication"
    );

    // The final notice is due 24 hours before the embargo ends (Sunday 6
    // December, 16:00); psirt drafts it a day ahead, not before.
    let (_, view) = api.case(&alice, case).await;
    assert_eq!(
        milestone(&view, "distributors_final_notice")["due_at"],
        "2026-12-06T16:00:00Z"
    );
    let final_drafts = |mail: &Value| -> Vec<Value> {
        mail.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "final_distributor_notice")
            .cloned()
            .collect()
    };
    store.remind(at("2026-12-05T15:59:00Z")).await.unwrap();
    let (_, mail) = api
        .call("GET", &format!("/api/v1/cases/{case}/mail"), &alice, None)
        .await;
    assert!(final_drafts(&mail).is_empty(), "{mail}");
    store.remind(at("2026-12-05T16:00:00Z")).await.unwrap();
    store.remind(at("2026-12-05T17:00:00Z")).await.unwrap();
    let (_, mail) = api
        .call("GET", &format!("/api/v1/cases/{case}/mail"), &alice, None)
        .await;
    let drafts = final_drafts(&mail);
    assert_eq!(drafts.len(), 1, "one draft, written once: {mail}");
    assert_eq!(drafts[0]["state"], "draft");
    assert_eq!(drafts[0]["recipient"], "founder@distro.example");
    clock.set(at("2026-12-05T18:00:00Z"));
    let (status, body) = api
        .call(
            "POST",
            &format!("/api/v1/cases/{case}/mail/final_distributor_notice/approve"),
            &alice,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view) = api.case(&alice, case).await;
    assert_eq!(
        milestone(&view, "distributors_final_notice")["status"],
        "done",
        "{view}"
    );
    assert_eq!(
        milestone(&view, "distributors_final_notice")["done_at"],
        "2026-12-05T18:00:00Z"
    );

    // Monday 7 December, 16:00: the release.
    clock.set(at("2026-12-07T16:00:00Z"));
    let view = api
        .ok(&alice, case, json!({"type": "release", "version": "v1.34.3", "base_release": "v1.34.2", "cherry_picks": ["abc1234"]}))
        .await;
    // The retrospective is due within 1–3 days of the release.
    let due: Timestamp = milestone(&view, "retrospective")["due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let released = at("2026-12-07T16:00:00Z");
    assert!(
        due >= released + jiff::SignedDuration::from_hours(24)
            && due <= released + jiff::SignedDuration::from_hours(72),
        "{due}"
    );
    // Access ends with the case: the Fix Team member outside the PST at
    // the release, the notified distributor at publication (psirt's
    // publication job at the release's public instant), each an event on
    // the timeline.
    let kinds = |view: &Value| -> Vec<String> {
        view["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    };
    let released = kinds(&view);
    assert!(
        released.ends_with(&["released".into(), "fix_team_access_ended".into()]),
        "{released:?}"
    );
    let (status, _) = api
        .call(
            "GET",
            &format!("/api/v1/cases/{case}/pre-notification"),
            &distro,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "until publication");
    let published =
        psirt_jobs::publish::round(&store, "https://security.example", None, clock.now())
            .await
            .unwrap();
    assert!(published >= 1);
    let (_, view) = api.case(&alice, case).await;
    let after = kinds(&view);
    let at_publication = &after[released.len()..];
    assert_eq!(
        at_publication[..2],
        ["published", "distributor_access_ended"],
        "{after:?}"
    );
    assert_eq!(
        view["policy"]["fix_team_access_ended"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, body) = api.case(&dave, case).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = api
        .call(
            "GET",
            &format!("/api/v1/cases/{case}/pre-notification"),
            &distro,
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the distributor's access ended at publication"
    );
    let (status, _) = api.case(&alice, case).await;
    assert_eq!(status, StatusCode::OK, "the PST keeps the case");
    // Both refusals are in the case's audit trail.
    let (status, audit) = api
        .call("GET", &format!("/api/v1/cases/{case}/audit"), &alice, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let denied = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().is_some_and(|a| a.contains("denied")))
        .count();
    assert!(denied >= 2, "{audit}");
    store.close().await;
}
