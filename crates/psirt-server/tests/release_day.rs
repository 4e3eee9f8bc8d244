//! The seed's private path through the HTTP API (issue 17's "Done when"):
//! every step of the case is a request to the real router over a socket,
//! and psirt's jobs run in process the way `psirt serve` runs them, one
//! round at a time on the server's controlled clock, against a real fix
//! repository with release branches and tags (psirt-git's fixture), the
//! GitHub stand-in, the CVE Services stand-in, GnuPG and an SMTP sink.
//!
//! The report gets a Fix Lead and a Fix Team, who become collaborators on
//! the draft GitHub advisory (a member who sets their GitHub login later
//! is added then); the fix commits are read from git and LGTMed; a CVE id
//! is reserved; the notice opens the GitHub issue; the plan applies on two
//! release branches and conflicts on a third; the patch sets go to the
//! distributor encrypted; the release publishes the CVE record (valid for
//! cvelib) and the advisory, the Fix Team's access revoked. `CaseView`
//! shows the GitHub issue, the advisory and the CVE record's state on the
//! way. SQLite only: the walk is heavy (git, gpg, two stand-ins) and the
//! two-database tests of each piece are in psirt-store and psirt-jobs.

mod support;

use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use mail_parser::MimeHeaders;
use psirt_cve::testing::{KEY, ORG, ORG_UUID, StandIn as CveStandIn, USER};
use psirt_git::testing::{commit_all, git, project, write};
use psirt_github::testing::{OWNER, REPO, StandIn as GitHubStandIn, TOKEN};
use psirt_jobs::cve::{Cve5, CveSteps, ProjectAccounts};
use psirt_jobs::deliver::Delivery;
use psirt_jobs::fix_repo::FixRepositories;
use psirt_jobs::github::{Connected, GitHubSteps};
use psirt_mail::testing::gpg::Gpg;
use psirt_mail::testing::smtp_sink::SmtpSink;
use psirt_server::advisories::{Clock, Publication};
use psirt_server::{AppState, Settings, app};
use psirt_store::{CheckedKey, NewPerson, ServiceSecret, ServiceSettings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{Role, Team};

/// Minutes after a fixed morning.
fn at(minutes: i64) -> Timestamp {
    "2026-11-02T09:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(minutes)
}

/// The API's client on the case the walk follows.
struct Api {
    client: support::Api,
    case: String,
}

impl Api {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.client.call(method, path, token, body).await
    }

    async fn command(&self, token: &str, command: Value) -> (StatusCode, Value) {
        self.client.command(token, &self.case, command).await
    }

    /// Runs the command; anything but a 200 fails the test with the answer.
    async fn ok(&self, token: &str, command: Value) -> Value {
        self.client.ok(token, &self.case, command).await
    }

    async fn view(&self, token: &str) -> Value {
        let (status, view) = self
            .call("GET", &format!("/api/v1/cases/{}", self.case), token, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{view}");
        view
    }

    /// The state of one of the case's steps on `/steps`.
    async fn step(&self, token: &str, step: &str) -> String {
        let path = format!("/api/v1/cases/{}/steps", self.case);
        let (status, steps) = self.call("GET", &path, token, None).await;
        assert_eq!(status, StatusCode::OK, "{steps}");
        let found = steps.as_array().unwrap().iter().find(|s| s["step"] == step);
        found.map_or("none".into(), |s| s["state"].as_str().unwrap().to_string())
    }
}

fn logins(users: &Value) -> Vec<String> {
    users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().or(u["login"].as_str()).unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seeds_private_path_runs_through_the_api_on_real_git_and_both_stand_ins() {
    // The instance: the CoreDNS project, its Product Security Team
    // (alice), a maintainer (dave) and a distributor with a GnuPG key.
    let (store, dir) = support::sqlite().await;
    let [alice, dave] = Team::on("coredns", "CoreDNS")
        .named("alice@example.org", "alice", Role::Pst)
        .named("dave@example.org", "dave", Role::Developer)
        .add(&store, at(0))
        .await;
    let (alice_user, dave_user) = (alice.user, dave.user);
    let (alice, dave) = (alice.token.as_str(), dave.token.as_str());
    let gpg = Gpg::new();
    gpg.gen_key("founder@origin.example", "0");
    store
        .found_distributor(
            "coredns",
            "Origin",
            NewPerson {
                name: "Founder".into(),
                email: "founder@origin.example".parse().unwrap(),
                key: Some(
                    CheckedKey::new(
                        &gpg.fingerprint("founder@origin.example"),
                        &gpg.export("founder@origin.example"),
                    )
                    .unwrap(),
                ),
            },
            at(0),
        )
        .await
        .unwrap();

    // The project connected to GitHub and to its CNA account (as
    // `psirt project service` does), both secrets sealed in the vault.
    let github = GitHubStandIn::start(2, &["alice", "dave"]).await;
    let cve_services = CveStandIn::start(10).await;
    let vault = store
        .open_vault(b"a key-encryption key of 32 bytes", at(0))
        .await
        .unwrap();
    let repository = format!("{OWNER}/{REPO}");
    for (settings, secret) in [
        (
            ServiceSettings::github(Some(&github.url), &repository).unwrap(),
            TOKEN,
        ),
        (
            ServiceSettings::cve_services(Some(&cve_services.url), ORG, USER).unwrap(),
            KEY,
        ),
    ] {
        let secret = ServiceSecret::new(secret).unwrap();
        store
            .put_service("coredns", &settings, &secret, &vault, at(0))
            .await
            .unwrap();
    }

    // The server on a socket, its clock the test's; the jobs `psirt
    // serve` runs, on the same store.
    let clock = Clock::fixed(at(0));
    let settings = Settings {
        default_project: "coredns".into(),
        publication: Publication {
            public_url: "https://security.coredns.io".into(),
            cna_org_id: Some(ORG_UUID.into()),
        },
        clock: clock.clone(),
        ..Settings::default()
    };
    let (router, _) = app(AppState::new(store.clone(), settings));
    let base = support::serve(router).await;
    let github_steps = GitHubSteps {
        store: store.clone(),
        targets: Arc::new(Connected {
            store: store.clone(),
            vault: vault.clone(),
        }),
        patience: psirt_github::Patience {
            attempts: 3,
            max_retry_after: Duration::from_secs(5),
            first_pause: Duration::from_millis(20),
            timeout: Duration::from_secs(5),
        },
    };
    let cve_steps = CveSteps {
        store: store.clone(),
        accounts: Arc::new(ProjectAccounts {
            store: store.clone(),
            vault,
            patience: psirt_cve::Patience {
                attempts: 3,
                max_retry_after: Duration::from_secs(5),
                first_pause: Duration::from_millis(20),
                timeout: Duration::from_secs(5),
            },
        }),
        container: Arc::new(Cve5 {
            public_url: "https://security.coredns.io".into(),
            cna_org_id: Some(ORG_UUID.into()),
        }),
    };
    let fix_repo = FixRepositories::new(store.clone(), dir.path().join("git"));

    // The report, through the public intake.
    let mut api = Api {
        client: support::Api::new(base),
        case: String::new(),
    };
    let report = json!({"summary": "Cache poisoning through CNAME chains",
        "details": "dig @127.0.0.1 evil.example"});
    let (status, body) = api.call("POST", "/api/v1/reports", "", Some(report)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    api.case = body["reference"].as_str().unwrap().to_string();

    // Alice set her GitHub login; dave has none yet. The Fix Lead and
    // Team: "the Fix Lead will get the Fix Team access", as collaborators
    // on a draft advisory.
    let (status, body) = api
        .call(
            "PUT",
            "/api/v1/me/github-login",
            alice,
            Some(json!({"login": "Alice"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    clock.set(at(1));
    api.ok(
        alice,
        json!({"type": "assign_fix_lead", "reason": "on call"}),
    )
    .await;
    api.ok(
        alice,
        json!({"type": "form_fix_team", "members": ["dave@example.org"]}),
    )
    .await;
    assert_eq!(github_steps.round(clock.now()).await.unwrap(), 1);
    let advisory = api.view(alice).await["github_advisory"].clone();
    assert_eq!(advisory["state"], "draft", "{advisory}");
    assert_eq!(logins(&advisory["collaborators"]), ["alice"]);
    assert_eq!(
        logins(&github.advisories()[0]["collaborating_users"]),
        ["alice"]
    );
    // Dave sets his login: the case he is on has its collaborators
    // updated by the next round, not at the next team change.
    assert_eq!(api.step(dave, "github_advisory").await, "ok");
    clock.set(at(2));
    let (status, body) = api
        .call(
            "PUT",
            "/api/v1/me/github-login",
            dave,
            Some(json!({"login": "dave"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(api.step(dave, "github_advisory").await, "pending");
    assert_eq!(github_steps.round(clock.now()).await.unwrap(), 1);
    let advisory = api.view(alice).await["github_advisory"].clone();
    assert_eq!(logins(&advisory["collaborators"]), ["alice", "dave"]);
    let drafted = &github.advisories()[0];
    assert_eq!(drafted["state"], "draft");
    assert_eq!(logins(&drafted["collaborating_users"]), ["alice", "dave"]);
    assert_eq!(github.advisories().len(), 1, "one advisory, updated");

    // The fix repository: the fixture's branches plus release-1.9, an
    // older release the fix applies on as it does on release-1.11.
    let repo = project();
    let w = repo.work.as_path();
    git(w, &["checkout", "-q", "-b", "release-1.9", "main"]);
    write(w, "VERSION", "1.9.0\n");
    commit_all(w, "1.9.0");
    git(w, &["tag", "v1.9.0"]);
    git(w, &["checkout", "-q", "main"]);
    api.ok(
        dave,
        json!({"type": "link_fix_repository", "location": repo.location(),
            "branch": "fix/cname", "base": "main",
            "release_branches": ["release-1.9", "release-1.11", "release-1.12"]}),
    )
    .await;
    assert_eq!(fix_repo.round(clock.now()).await.unwrap(), 1);
    let view = api.view(alice).await;
    let commits: Vec<(String, Value)> = view["fix_commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let who = format!("{} {}", c["author"].as_str().unwrap(), c["title"]);
            (who, c["author_user"].clone())
        })
        .collect();
    assert_eq!(
        commits,
        [
            (
                "Dave <dave@example.org> \"cache: bound CNAME chains\"".to_string(),
                json!(dave_user.id.get())
            ),
            (
                "Alice <alice@example.org> \"cache: test the bound\"".to_string(),
                json!(alice_user.id.get())
            ),
        ],
        "read from git, the authors matched to accounts"
    );
    let plan = view["fix_repository"]["plan"].clone();
    let outcomes: Vec<String> = plan["branches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            format!(
                "{} {} {} {}",
                b["branch"].as_str().unwrap(),
                b["tag"].as_str().unwrap(),
                b["outcome"].as_str().unwrap(),
                b["conflict_files"]
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            "release-1.9 v1.9.0 clean []",
            "release-1.11 v1.11.1 clean []",
            "release-1.12 v1.12.0 conflicts [\"cache.go\"]",
        ]
    );

    // LGTMs on the commits read from git: each LGTMs the other's.
    let commit_ids: Vec<String> = view["fix_commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["commit"].as_str().unwrap().to_string())
        .collect();
    clock.set(at(3));
    for (who, commit) in [(alice, &commit_ids[0]), (dave, &commit_ids[1])] {
        api.ok(who, json!({"type": "approve_commit", "commit": commit}))
            .await;
    }
    let ready = api.ok(dave, json!({"type": "mark_fix_ready"})).await;
    assert_eq!(ready["fix_ready"], true);

    // "Request a CVE": reserved at CVE Services, the id on the case.
    clock.set(at(4));
    api.ok(alice, json!({"type": "request_cve_reservation"}))
        .await;
    assert_eq!(cve_steps.round(clock.now()).await.unwrap(), 1);
    let reserved = cve_services.reserved();
    assert_eq!(reserved.len(), 1);
    let view = api.view(alice).await;
    assert_eq!(view["cves"], json!(reserved));
    let cve = reserved[0].clone();
    assert_eq!(view["cve_records"], json!({}), "reserved, not published");

    // The notice opens the forthcoming-fix issue; its URL is a reference.
    clock.set(at(5));
    let mitigation = "Disable the cache plugin until you upgrade.";
    api.ok(
        alice,
        json!({"type": "record_mitigation", "steps": mitigation}),
    )
    .await;
    api.ok(
        alice,
        json!({"type": "publish_notice", "estimated_release": at(60 * 24 * 7),
            "mitigation": mitigation}),
    )
    .await;
    assert_eq!(github_steps.round(clock.now()).await.unwrap(), 1);
    let issues = github.issues();
    assert_eq!(issues.len(), 1);
    assert!(issues[0]["body"].as_str().unwrap().contains(mitigation));
    let view = api.view(alice).await;
    let url = issues[0]["html_url"].as_str().unwrap();
    assert_eq!(view["github_issue"]["url"], url, "{}", view["github_issue"]);
    assert_eq!(view["github_issue"]["number"], issues[0]["number"]);
    assert!(
        view["record"]["references"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["url"] == url),
        "{}",
        view["record"]["references"]
    );

    // The distributors' pre-notification, the patch sets attached,
    // approved through the API and delivered by one outbox round.
    clock.set(at(6));
    api.ok(
        alice,
        json!({"type": "decide_distributors", "notify": true,
            "rationale": "Remotely exploitable.", "embargo_end": at(60 * 24 * 7),
            "long_embargo_reason": null}),
    )
    .await;
    api.ok(
        alice,
        json!({"type": "notify_distributors", "patches": ["the patch sets attached"],
            "affected_versions": ">= 1.11.0, < 1.11.2", "fixed_versions": "1.11.2"}),
    )
    .await;
    clock.set(at(7));
    let approve = format!("/api/v1/cases/{}/mail/pre_notification/approve", api.case);
    let (status, body) = api.call("POST", &approve, alice, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut sink = SmtpSink::start(Default::default());
    let key = psirt_mail::InstanceKey::generate("psirt (instance key)").unwrap();
    let delivery = Delivery {
        store: store.clone(),
        smtp: psirt_mail::Smtp::new(&sink.config()).unwrap(),
        key: key.clone(),
        from: psirt_mail::Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
        worker: "test".into(),
        lease: SignedDuration::from_mins(5),
        first_retry: SignedDuration::from_secs(30),
        clock: || at(8),
    };
    let round = delivery.round(at(8)).await.unwrap();
    assert_eq!(round.failed, 0, "{round:?}");
    let received = sink.messages();
    sink.stop();
    gpg.import(&key.public_key_armored().unwrap());
    let (copy, decrypted) = received
        .iter()
        .filter(|m| m.rcpt_to == ["founder@origin.example"])
        .map(|m| (m, gpg.decrypt_pgp_mime(&m.bytes).unwrap()))
        .find(|(_, d)| String::from_utf8_lossy(&d.plaintext).contains("SHA-256"))
        .expect("the distributor's copy");
    assert!(
        !String::from_utf8_lossy(&copy.bytes).contains("cache.go"),
        "never in clear"
    );
    assert!(decrypted.signature_good);
    let message = mail_parser::MessageParser::default()
        .parse(&decrypted.plaintext)
        .expect("a MIME entity");
    let text = message.body_text(0).expect("the text").into_owned();
    let attached: Vec<(String, String)> = message
        .attachments()
        .map(|a| {
            let name = a.attachment_name().unwrap_or_default().to_string();
            let digest: String = Sha256::digest(a.contents())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            (name, digest)
        })
        .collect();
    let mut planned = Vec::new();
    for b in plan["branches"].as_array().unwrap() {
        if b["outcome"] != "clean" {
            continue;
        }
        let (branch, tag) = (b["branch"].as_str().unwrap(), b["tag"].as_str().unwrap());
        let sha256 = b["sha256"].as_str().unwrap();
        let name = format!("{branch}_{tag}.patch");
        assert!(
            text.contains(&format!("- {branch} on {tag}: {name}, SHA-256 {sha256}")),
            "{text}"
        );
        planned.push((name, sha256.to_string()));
    }
    assert_eq!(
        attached, planned,
        "one set per branch that takes the fix, hashing to what the text and the API state"
    );
    assert_eq!(planned.len(), 2);

    // The release: refused while release-1.12 conflicts, until the Fix
    // Lead records how it was resolved.
    clock.set(at(9));
    for (who, command) in [
        (
            alice,
            json!({"type": "finalize_cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
        ),
        (
            alice,
            json!({"type": "set_affected_product", "package": "github.com/coredns/coredns",
                "ecosystem": "Go", "purl": "pkg:golang/github.com/coredns/coredns",
                "ranges": [{"kind": "semver", "introduced": "1.11.0", "fixed": "1.11.2"}]}),
        ),
        (
            alice,
            json!({"type": "describe_advisory",
                "description": "A crafted CNAME chain poisons the cache of a resolver."}),
        ),
        (
            dave,
            json!({"type": "draft_announcement", "text": format!("CoreDNS 1.11.2 fixes {cve}.")}),
        ),
        // Credits: dave's account has a GitHub login, so GitHub credits
        // him; Carol has no account, so she is on psirt's record only.
        (
            alice,
            json!({"type": "record_credit", "name": "dave@example.org",
                "credit_type": "remediation_developer"}),
        ),
        (
            alice,
            json!({"type": "record_credit", "name": "Carol", "credit_type": "finder"}),
        ),
    ] {
        api.ok(who, command).await;
    }
    let release = json!({"type": "release", "version": "v1.11.2", "base_release": "v1.11.1"});
    clock.set(at(10));
    let (status, body) = api.command(alice, release.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["detail"],
        "the fix does not apply cleanly on release-1.12: the Fix Lead records how each conflict was resolved first"
    );
    // The Fix Lead ports the fix onto v1.12.0 by hand; the resolution is
    // that real commit.
    git(w, &["checkout", "-q", "-b", "fix/cname-1.12", "v1.12.0"]);
    write(
        w,
        "cache.go",
        "package cache\n\nfunc chase(n int) {\n\tif n > 8 {\n\t\treturn\n\t}\n\tfollowAll(n, nil)\n}\n",
    );
    commit_all(w, "cache: bound CNAME chains (1.12)");
    let ported = git(w, &["rev-parse", "HEAD"]).trim().to_string();
    git(w, &["checkout", "-q", "main"]);
    api.ok(
        alice,
        json!({"type": "resolve_cherry_pick", "branch": "release-1.12", "commits": [ported]}),
    )
    .await;
    // On the day the embargo ends, as the distributors were told.
    clock.set(at(60 * 24 * 7));
    api.ok(alice, release).await;

    // After it: the CVE record published and valid for cvelib; the
    // advisory published with the CVE id, the Fix Team's access revoked.
    assert_eq!(cve_steps.round(clock.now()).await.unwrap(), 1);
    let containers = cve_services.containers();
    assert_eq!(containers.len(), 1);
    assert_eq!(valid_for_cvelib(containers), json!([null]));
    assert_eq!(github_steps.round(clock.now()).await.unwrap(), 1);
    let view = api.view(alice).await;
    assert_eq!(view["cve_records"], json!({ cve.clone(): "PUBLISHED" }));
    let advisory = &view["github_advisory"];
    assert_eq!(advisory["state"], "published", "{advisory}");
    assert_eq!(advisory["collaborators"], json!([]));
    assert!(advisory["revoked_at"].is_string(), "{advisory}");
    let on = &github.advisories()[0];
    assert_eq!(on["state"], "published");
    assert_eq!(on["cve_id"], json!(cve));
    assert_eq!(on["collaborating_users"], json!([]));
    assert_eq!(on["vulnerabilities"][0]["patched_versions"], "1.11.2");
    assert_eq!(
        on["credits"],
        json!([{"login": "dave", "type": "remediation_developer"}])
    );
    // The GHSA id is an alias on the record.
    assert_eq!(view["record"]["aliases"], json!([on["ghsa_id"]]));
    // The case page shows the same to the team.
    let session = store
        .create_session(&alice_user, at(0), SignedDuration::from_hours(24 * 365))
        .await
        .unwrap();
    let page = api
        .client
        .http
        .get(format!("{}/cases/{}", api.client.base, api.case))
        .header(
            "cookie",
            format!("psirt_session={}", session.cookie.reveal()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    for shown in [
        format!("{cve} — at CVE Services: published"),
        format!("href=\"{url}\""),
        format!(
            "{}</a> — published; the Fix Team's access revoked",
            on["ghsa_id"].as_str().unwrap()
        ),
    ] {
        assert!(page.contains(&shown), "{shown} not on the case page");
    }
    for step in ["github_issue", "github_advisory", "github_release"] {
        assert_eq!(api.step(alice, step).await, "ok", "{step}");
    }
    for step in ["cve_reservation", "cve_publication", "fix_repository"] {
        assert_eq!(api.step(alice, step).await, "ok", "{step}");
    }
    assert_eq!(github.issues().len(), 1);
    assert_eq!(github.advisories().len(), 1);
    assert_eq!(cve_services.reserved().len(), 1);
}

/// Each container checked by cvelib (the CVE Program's own client) against
/// the published-CNA schema it ships: `null` for a valid one, else the
/// validation error.
fn valid_for_cvelib(containers: Vec<Value>) -> Value {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys\n\
             from cvelib.cve_api import CveRecord, CveRecordValidationError\n\
             out = []\n\
             for c in json.loads(sys.argv[1]):\n\
             \x20   try:\n\
             \x20       CveRecord.validate(c, CveRecord.Schemas.CNA_PUBLISHED)\n\
             \x20       out.append(None)\n\
             \x20   except CveRecordValidationError as e:\n\
             \x20       out.append(str(e))\n\
             print(json.dumps(out))",
        )
        .arg(Value::Array(containers).to_string())
        .output()
        .expect("python3 with cvelib");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
