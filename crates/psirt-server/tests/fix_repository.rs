//! The fix repository through the API, over a real socket, against a real
//! git repository and psirt's job: the Fix Team links the repository (bad
//! input is a 422 naming the field, with nothing written), the job reads
//! the branch, the case shows the commits with their authors' accounts and
//! the cherry-pick plan per release branch, the LGTMs go on those commits,
//! and the release is a 409 until the Fix Lead resolves the conflict; the
//! step's state and a failure's reason are on `/steps`.

mod support;

use support::{Api, Role, Team};

use psirt_git::testing::project;
use psirt_jobs::fix_repo::FixRepositories;
use psirt_server::{AppState, Settings, app};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fix_branch_and_its_plan_through_the_api() {
    let (store, dir) = support::sqlite().await;
    let now = psirt_server::now();
    let [alice, dave] = Team::on("default", "Default")
        .person("alice@example.org", Role::Pst)
        .person("dave@example.org", Role::Developer)
        .add(&store, now)
        .await;
    let (alice, dave) = (alice.token.as_str(), dave.token.as_str());
    let (router, _) = app(AppState::new(store.clone(), Settings::default()));
    let api = Api::new(support::serve(router).await);
    let (status, body) = api
        .call(
            "POST",
            "/api/v1/reports",
            "",
            Some(json!({"summary": "cache poisoning", "details": "Send a crafted packet."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let case = body["reference"].as_str().unwrap().to_string();
    let case = case.as_str();
    api.ok(alice, case, json!({"type": "assign_fix_lead"}))
        .await;
    api.ok(
        alice,
        case,
        json!({"type": "form_fix_team", "members": ["dave@example.org"]}),
    )
    .await;

    let p = project();
    let link = json!({
        "type": "link_fix_repository",
        "location": p.location(),
        "branch": "fix/cname",
        "base": "main",
        "release_branches": ["release-1.10", "release-1.11", "release-1.12"],
    });
    let mut bad = link.clone();
    bad["location"] = json!("https://dave:hunter2@git.example.org/coredns.git");
    let version = api
        .call("GET", &format!("/api/v1/cases/{case}"), alice, None)
        .await
        .1["version"]
        .clone();
    let (status, body) = api.command(dave, case, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "location", "{body}");
    let (_, after) = api
        .call("GET", &format!("/api/v1/cases/{case}"), alice, None)
        .await;
    assert_eq!(after["version"], version, "nothing written");
    api.ok(dave, case, link).await;

    let job = FixRepositories::new(store.clone(), dir.path().join("git"));
    assert_eq!(job.round(psirt_server::now()).await.unwrap(), 1);
    let (status, view) = api
        .call("GET", &format!("/api/v1/cases/{case}"), alice, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let commits = view["fix_commits"].as_array().unwrap();
    let titles: Vec<(&str, &str, bool)> = commits
        .iter()
        .map(|c| {
            (
                c["title"].as_str().unwrap(),
                c["author"].as_str().unwrap(),
                c["author_user"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        titles,
        [
            (
                "cache: bound CNAME chains",
                "Dave <dave@example.org>",
                false
            ),
            ("cache: test the bound", "Alice <alice@example.org>", false),
        ]
    );
    let plan = &view["fix_repository"]["plan"];
    assert_eq!(plan["current"], true);
    let outcomes: Vec<(&str, &str, &str)> = plan["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["branch"].as_str().unwrap(),
                b["tag"].as_str().unwrap(),
                b["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            ("release-1.10", "v1.10.1", "already_contains"),
            ("release-1.11", "v1.11.1", "clean"),
            ("release-1.12", "v1.12.0", "conflicts"),
        ]
    );
    let clean = &plan["branches"][1];
    let patches = clean["patches"].as_str().unwrap();
    assert_eq!(
        clean["sha256"].as_str().unwrap(),
        psirt_git::sha256_hex(patches.as_bytes())
    );
    assert_eq!(plan["branches"][2]["conflict_files"], json!(["cache.go"]));
    // The timeline does not repeat the patch sets.
    let planned = view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "cherry_pick_planned")
        .unwrap();
    assert!(
        planned["data"]["branches"][1]["outcome"]
            .get("patches")
            .is_none()
    );
    assert!(planned["data"]["branches"][1]["outcome"]["sha256"].is_string());

    // LGTMs on the read commits, never by their author.
    let ids: Vec<String> = commits
        .iter()
        .map(|c| c["commit"].as_str().unwrap().to_string())
        .collect();
    let (status, body) = api
        .command(
            dave,
            case,
            json!({"type": "approve_commit", "commit": ids[0]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    api.ok(
        alice,
        case,
        json!({"type": "approve_commit", "commit": ids[0]}),
    )
    .await;
    api.ok(
        dave,
        case,
        json!({"type": "approve_commit", "commit": ids[1]}),
    )
    .await;
    api.ok(dave, case, json!({"type": "mark_fix_ready"})).await;
    api.ok(
        alice,
        case,
        json!({"type": "finalize_cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
    )
    .await;
    api.ok(
        alice,
        case,
        json!({"type": "record_cve", "cve": "CVE-2026-12345"}),
    )
    .await;
    api.ok(
        dave,
        case,
        json!({"type": "draft_announcement", "text": "1.11.2 fixes CVE-2026-12345."}),
    )
    .await;
    let release = json!({"type": "release", "version": "v1.11.2", "base_release": "v1.11.1"});
    let (status, body) = api.command(alice, case, release.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("release-1.12"),
        "{body}"
    );
    api.ok(
        alice,
        case,
        json!({"type": "resolve_cherry_pick", "branch": "release-1.12", "commits": ["abcdef1"]}),
    )
    .await;
    let view = api.ok(alice, case, release).await;
    assert_eq!(
        view["fix_repository"]["plan"]["branches"][2]["resolved_as"],
        json!(["abcdef1"])
    );
    assert_eq!(view["release"]["cherry_picks"], json!(ids));

    // The step is on the API with its state; a repository that vanished
    // shows git's reason, and the case is unchanged.
    let steps_path = format!("/api/v1/cases/{case}/steps");
    let (status, steps) = api.call("GET", &steps_path, dave, None).await;
    assert_eq!(status, StatusCode::OK, "{steps}");
    assert_eq!(steps[0]["step"], "fix_repository");
    assert_eq!(steps[0]["state"], "ok");
    std::fs::rename(&p.work, p.work.with_extension("gone")).unwrap();
    let later = psirt_server::now() + jiff::SignedDuration::from_mins(10);
    assert_eq!(job.round(later).await.unwrap(), 1);
    let (_, steps) = api.call("GET", &steps_path, dave, None).await;
    assert_eq!(steps[0]["state"], "failed", "{steps}");
    assert_eq!(steps[0]["attempts"], 1);
    let reason = steps[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("the fix repository could not be fetched"),
        "{reason}"
    );
    let (_, after) = api
        .call("GET", &format!("/api/v1/cases/{case}"), alice, None)
        .await;
    assert_eq!(after["version"], view["version"]);
    // Someone without standing on the case learns nothing.
    let (_, stranger) = store
        .add_user(&"eve@example.org".parse().unwrap(), "eve", false, now)
        .await
        .unwrap();
    let (status, _) = api.call("GET", &steps_path, stranger.reveal(), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
