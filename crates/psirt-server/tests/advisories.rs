//! Advisories over HTTP, with a controlled clock (`Settings::clock`), on
//! both databases: the seed's private path walked through the API ends in
//! a published case whose exports validate against the official validators
//! and whose release announcement names the CVE, the fix pull request and
//! how to apply the fix, with no field typed twice; one second before the
//! embargo's instant every public URL answers as for a case that does not
//! exist, and from the instant all of them serve it.

mod support;

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use psirt_core::Policy;
use psirt_mail::testing::smtp_sink::{SinkOptions, SmtpSink};
use psirt_server::advisories::{Clock, Publication};
use psirt_server::{AppState, Settings, app};
use psirt_store::Store;
use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Role, Team};

struct Server {
    base: String,
    store: Store,
    clock: Clock,
    pg: Option<String>,
    _dir: Option<tempfile::TempDir>,
    http: reqwest::Client,
    alice: String,
    bob: String,
}

impl Server {
    async fn start(postgres: bool, now: Timestamp) -> Server {
        let (store, pg, dir) = support::open(postgres, "psirt_adv").await;
        let [alice, bob] = Team::on("coredns", "CoreDNS")
            .person("alice@example.org", Role::Pst)
            .person("bob@example.org", Role::Pst)
            .add(&store, now)
            .await;
        store
            .set_announce_address(
                "coredns",
                Some(&"announce@coredns.example".parse().unwrap()),
            )
            .await
            .unwrap();
        let clock = Clock::fixed(now);
        let key = instance_key();
        let settings = Settings {
            openpgp: Some(psirt_server::OpenPgpKey {
                fingerprint: key.fingerprint().as_str().to_string(),
                armored_public: key.public_key_armored().unwrap(),
            }),
            instance_key: Some(std::sync::Arc::new(key.clone())),
            default_project: "coredns".into(),
            publication: Publication {
                public_url: "https://security.coredns.example".into(),
                cna_org_id: Some("f8d3a5b2-1c4e-4d6f-9a7b-2e5c8d1f0a93".into()),
            },
            clock: clock.clone(),
            ..Settings::default()
        };
        let (router, _) = app(AppState::new(store.clone(), settings));
        let base = support::serve(router).await;
        Server {
            base,
            store,
            clock,
            pg,
            _dir: dir,
            http: reqwest::Client::new(),
            alice: alice.token,
            bob: bob.token,
        }
    }

    async fn stop(self) {
        support::close(&self.store, self.pg).await;
    }

    /// GET: the status, the content type and the body.
    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, String, Vec<u8>) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let kind = resp
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, kind, resp.bytes().await.unwrap().to_vec())
    }

    async fn command(&self, token: &str, reference: &str, command: Value) -> (StatusCode, Value) {
        let resp = self
            .http
            .post(format!("{}/api/v1/cases/{reference}/commands", self.base))
            .bearer_auth(token)
            .json(&json!({"command": command}))
            .send()
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap())
    }

    async fn ok(&self, token: &str, reference: &str, command: Value) -> Value {
        let (status, body) = self.command(token, reference, command).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}

fn instance_key() -> &'static psirt_mail::InstanceKey {
    static KEY: std::sync::OnceLock<psirt_mail::InstanceKey> = std::sync::OnceLock::new();
    KEY.get_or_init(|| psirt_mail::InstanceKey::generate("psirt <security@example.org>").unwrap())
}

fn validators() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/validators")
}

/// Runs the official validator for `kind` (osv, cve5, csaf) on a file.
fn validate(kind: &str, file: &Path) -> (bool, String) {
    let out = if kind == "csaf" {
        std::process::Command::new("node")
            .arg("csaf.mjs")
            .arg(file)
            .current_dir(validators())
            .output()
    } else {
        std::process::Command::new("python3")
            .arg(validators().join("validate.py"))
            .arg(kind)
            .arg(file)
            .output()
    }
    .expect("run the validator (scripts/test installs it)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Every public URL of a case: page, machine files, and the lists.
fn public_urls(reference: &str) -> Vec<String> {
    vec![
        format!("/advisories/{reference}"),
        format!("/advisories/{reference}.osv.json"),
        format!("/advisories/{reference}.cve.json"),
        format!("/advisories/{reference}.csaf.json"),
        format!("/advisories/{reference}.md"),
    ]
}

async fn the_seed_private_path_publishes_on_the_instant(s: &Server) {
    let t0 = s.clock.now();
    let intake = s
        .store
        .report(
            psirt_core::NewReport {
                project: "coredns".into(),
                summary: "cache poisoning through crafted CNAME chains".into(),
                details: psirt_core::Secret::new("SECRET-DETAILS: send a crafted packet".into()),
                reporter: Some(psirt_core::Reporter {
                    name: Some("Carol".into()),
                    email: None,
                }),
                public_link: None,
                already_public: false,
                ai_assisted: false,
            },
            "test",
            t0,
        )
        .await
        .unwrap();
    let r = intake.record.case.reference.to_string();
    let embargo_end = t0 + SignedDuration::from_hours(72);
    let (a, b) = (&s.alice, &s.bob);
    s.ok(
        a,
        &r,
        json!({"type": "assign_fix_lead", "lead": "alice@example.org", "reason": "on call"}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "form_fix_team", "members": ["bob@example.org"]}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "finalize_cvss", "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}),
    )
    .await;
    s.ok(
        b,
        &r,
        json!({"type": "add_fix_commit", "commit": "abc1234", "author": "Bob <bob@example.org>",
        "url": "https://github.com/coredns/coredns/commit/abc1234"}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "approve_commit", "commit": "abc1234"}),
    )
    .await;
    s.ok(a, &r, json!({"type": "mark_fix_ready"})).await;
    s.ok(
        b,
        &r,
        json!({"type": "record_mitigation", "steps": "Disable the cache plugin."}),
    )
    .await;

    // The record, each fact once.
    s.ok(
        a,
        &r,
        json!({"type": "set_affected_product", "package": "github.com/coredns/coredns",
        "ecosystem": "Go", "purl": "pkg:golang/github.com/coredns/coredns",
        "ranges": [{"kind": "semver", "introduced": "1.9.0", "fixed": "1.11.2"}],
        "branches": ["release-1.11"]}),
    )
    .await;
    s.ok(a, &r, json!({"type": "add_weakness", "cwe": "CWE-345", "name": "Insufficient Verification of Data Authenticity"})).await;
    s.ok(
        a,
        &r,
        json!({"type": "describe_advisory", "title": "Cache poisoning through crafted CNAME chains",
        "description": "A crafted chain of CNAME records poisons the cache.",
        "impact": "Remote attackers can redirect clients."}),
    )
    .await;
    s.ok(a, &r, json!({"type": "add_reference", "kind": "pull_request", "url": "https://github.com/coredns/coredns/pull/7001"})).await;
    // What is removed leaves the record.
    s.ok(
        a,
        &r,
        json!({"type": "add_reference", "kind": "web", "url": "https://example.org/typo"}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "set_affected_product", "package": "github.com/coredns/caddy",
        "ecosystem": "Go", "ranges": [{"kind": "semver", "introduced": "0"}]}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "remove_reference", "url": "https://example.org/typo"}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "remove_affected_product", "package": "github.com/coredns/caddy", "ecosystem": "Go"}),
    )
    .await;
    let before = s
        .ok(
            a,
            &r,
            json!({"type": "add_alias", "alias": "GHSA-abcd-1234-wxyz"}),
        )
        .await;

    // Bad input is refused naming the field, and nothing is written.
    for (command, field) in [
        (
            json!({"type": "set_affected_product", "package": "x", "ecosystem": "Go", "purl": "npm/x",
            "ranges": [{"kind": "semver", "introduced": "0", "fixed": "1.0.0"}]}),
            "command.purl",
        ),
        (
            json!({"type": "set_affected_product", "package": "x", "ecosystem": "Go",
            "ranges": [{"kind": "semver", "introduced": "v1.0", "fixed": "1.0.0"}]}),
            "ranges.introduced",
        ),
        (
            json!({"type": "set_affected_product", "package": "x", "ecosystem": "golang",
            "ranges": [{"kind": "semver", "introduced": "0"}]}),
            "ecosystem",
        ),
        (
            json!({"type": "set_affected_product", "package": "x", "ecosystem": "Go",
            "ranges": [{"kind": "semver", "introduced": "0", "fixed": "1.0.0", "last_affected": "0.9.0"}]}),
            "ranges",
        ),
        (
            json!({"type": "add_weakness", "cwe": "CWE-x", "name": "n"}),
            "command.cwe",
        ),
        (
            json!({"type": "add_reference", "kind": "web", "url": "ftp://example.org/x"}),
            "url",
        ),
        (
            json!({"type": "add_reference", "kind": "blog", "url": "https://example.org/x"}),
            "command.kind",
        ),
        (json!({"type": "add_alias", "alias": "GHSA-nope"}), "alias"),
    ] {
        let (status, body) = s.command(a, &r, command).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], field, "{body}");
    }
    let (_, _, case) = s.get(&format!("/api/v1/cases/{r}"), Some(a)).await;
    let case: Value = serde_json::from_slice(&case).unwrap();
    assert_eq!(
        case["version"], before["version"],
        "a refused edit wrote nothing"
    );
    // The API shows the record as it stands, each fact as it was set and
    // nothing that was removed; modified at its last edit.
    let last_edit = case["timeline"].as_array().unwrap().last().unwrap()["at"].clone();
    assert_eq!(
        case["record"],
        json!({
            "products": [{"package": "github.com/coredns/coredns", "ecosystem": "Go",
                "purl": "pkg:golang/github.com/coredns/coredns",
                "ranges": [{"kind": "semver", "repo": null, "introduced": "1.9.0",
                    "fixed": "1.11.2", "last_affected": null}],
                "branches": ["release-1.11"]}],
            "weaknesses": [{"cwe": "CWE-345", "name": "Insufficient Verification of Data Authenticity"}],
            "title": "Cache poisoning through crafted CNAME chains",
            "description": "A crafted chain of CNAME records poisons the cache.",
            "impact": "Remote attackers can redirect clients.",
            "references": [{"kind": "pull_request", "url": "https://github.com/coredns/coredns/pull/7001"}],
            "aliases": ["GHSA-abcd-1234-wxyz"],
            "modified_at": last_edit,
        })
    );

    // The notice carries the recorded mitigation: it is the same field.
    s.ok(a, &r, json!({"type": "publish_notice", "estimated_release": embargo_end.to_string(), "mitigation": ""})).await;
    s.ok(
        a,
        &r,
        json!({"type": "decide_distributors", "notify": true, "rationale": "network-exploitable",
        "embargo_end": embargo_end.to_string()}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "notify_distributors", "patches": ["From abc1234 ..."]}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "record_cve", "cve": "CVE-2026-12345"}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "record_credit", "name": "Carol", "credit_type": "reporter"}),
    )
    .await;
    s.ok(
        a,
        &r,
        json!({"type": "draft_announcement", "text": "CoreDNS 1.11.2 fixes a cache poisoning."}),
    )
    .await;

    // The team's export, under embargo: the distributors' CSAF copy is AMBER.
    let (status, _, csaf) = s
        .get(&format!("/api/v1/cases/{r}/export/csaf"), Some(a))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&csaf).contains("\"AMBER\""));
    let (status, _, _) = s.get(&format!("/api/v1/cases/{r}/export/csaf"), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = s
        .get(&format!("/api/v1/cases/{r}/export/pdf"), Some(a))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Alice's private calendar: the case's due times and embargo end,
    // by reference only, parsed by an independent parser (PyPI icalendar).
    let resp = s
        .http
        .post(format!("{}/api/v1/me/calendar", s.base))
        .bearer_auth(a)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let link: Value = resp.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    let path = url
        .strip_prefix("https://security.coredns.example")
        .unwrap();
    let (status, kind, ics) = s.get(path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/calendar"));
    let events = ical_events(&ics);
    assert!(
        events.contains(&format!(
            "[{r}] Embargo ends @ {}",
            embargo_end.strftime("%Y-%m-%d %H:%M:%S+00:00")
        )),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with(&format!("[{r}] Fix released due"))),
        "{events:?}"
    );
    assert!(!String::from_utf8_lossy(&ics).contains("CNAME"));
    let (status, _, _) = s.get("/calendar/psirt_0000.ics", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The Fix Lead records the release an hour ahead, for the agreed
    // instant; one in the past is refused naming the field, and so is the
    // release before the instant with no public_at past it.
    s.clock.set(embargo_end - SignedDuration::from_hours(1));
    let release = |public_at: Timestamp| {
        json!({"type": "release", "version": "1.11.2", "base_release": "v1.11.1",
            "cherry_picks": ["abc1234"], "public_at": public_at.to_string()})
    };
    let (status, body) = s
        .command(a, &r, release(embargo_end - SignedDuration::from_hours(2)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "public_at", "{body}");
    s.ok(a, &r, release(embargo_end)).await;
    // The publication step is due at the instant, not at the command.
    let (_, _, steps) = s.get(&format!("/api/v1/cases/{r}/steps"), Some(a)).await;
    let steps: Value = serde_json::from_slice(&steps).unwrap();
    let publication = steps
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["step"] == "publication")
        .unwrap_or_else(|| panic!("no publication step: {steps}"));
    assert_eq!(publication["state"], "pending");
    assert_eq!(
        publication["next_at"]
            .as_str()
            .unwrap()
            .parse::<Timestamp>()
            .unwrap(),
        embargo_end
    );
    // The Fix Lead approves the announcement now; it is held until the instant.
    let resp = s
        .http
        .post(format!(
            "{}/api/v1/cases/{r}/mail/release_announcement/approve",
            s.base
        ))
        .bearer_auth(a)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "{}",
        resp.text().await.unwrap()
    );
    let mut sink = SmtpSink::start(SinkOptions::default());
    let delivery = psirt_jobs::deliver::Delivery {
        store: s.store.clone(),
        smtp: psirt_mail::Smtp::new(&sink.config()).unwrap(),
        key: instance_key().clone(),
        from: psirt_mail::Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
        worker: "test".into(),
        lease: SignedDuration::from_mins(5),
        first_retry: SignedDuration::from_secs(30),
        clock: psirt_server::now,
    };
    let base = "https://security.coredns.example";
    let org = Some("f8d3a5b2-1c4e-4d6f-9a7b-2e5c8d1f0a93");
    let to_users = |sink: &SmtpSink| -> Vec<String> {
        sink.messages()
            .into_iter()
            .filter(|m| m.rcpt_to == ["announce@coredns.example"])
            .map(|m| {
                String::from_utf8_lossy(&m.bytes)
                    .replace("=\r\n", "")
                    .replace("=3D", "=")
            })
            .collect()
    };

    // One second before the instant: as if the case did not exist, and
    // neither the publication job nor the delivery worker sends anything.
    s.clock.set(embargo_end - SignedDuration::from_secs(1));
    let now = s.clock.now();
    assert_eq!(
        psirt_jobs::publish::round(&s.store, base, org, now)
            .await
            .unwrap(),
        0
    );
    delivery.round(now).await.unwrap();
    assert_eq!(to_users(&sink), Vec::<String>::new());
    let (_, _, missing) = s.get("/advisories/PSIRT-2099-9999.osv.json", None).await;
    for url in public_urls(&r) {
        let (status, _, body) = s.get(&url, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
        let other = url.replace(&r, "PSIRT-2099-9999");
        let (_, _, nonexistent) = s.get(&other, None).await;
        assert_eq!(
            String::from_utf8_lossy(&body).replace(&r, "REF"),
            String::from_utf8_lossy(&nonexistent).replace("PSIRT-2099-9999", "REF"),
            "{url} tells an embargoed case from a missing one"
        );
        assert!(!String::from_utf8_lossy(&body).contains("CNAME"));
    }
    assert!(!missing.is_empty());
    for url in [
        "/advisories",
        "/advisories/feed.atom",
        "/advisories/csaf/feed-tlp-white.json",
    ] {
        let (status, _, body) = s.get(url, None).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        let body = String::from_utf8_lossy(&body);
        assert!(
            !body.contains(&r) && !body.contains("CNAME"),
            "{url}: {body}"
        );
    }
    let (_, _, zip) = s.get("/advisories/osv/all.zip", None).await;
    assert_eq!(zip_names(&zip), Vec::<String>::new());

    // One second after the instant, everything is public at once.
    s.clock.set(embargo_end + SignedDuration::from_secs(1));
    for url in public_urls(&r) {
        let (status, _, body) = s.get(&url, None).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        assert!(
            !String::from_utf8_lossy(&body).contains("SECRET-DETAILS"),
            "{url}"
        );
    }
    for url in [
        "/advisories",
        "/advisories/feed.atom",
        "/advisories/csaf/feed-tlp-white.json",
        "/.well-known/csaf/provider-metadata.json",
    ] {
        let (status, _, body) = s.get(url, None).await;
        assert_eq!(status, StatusCode::OK, "{url}");
        if url != "/.well-known/csaf/provider-metadata.json" {
            assert!(String::from_utf8_lossy(&body).contains(&r), "{url}");
        }
    }
    let (status, kind, zip) = s.get("/advisories/osv/all.zip", None).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/zip"));
    assert_eq!(zip_names(&zip), vec!["CVE-2026-12345.json".to_string()]);

    // The project's own pages publish it too, at its /p/coredns address;
    // another project's pages know nothing of it (issue 15 §2).
    s.store
        .add_project("other", "Other", &Policy::default(), s.clock.now())
        .await
        .unwrap();
    for url in public_urls(&r) {
        let (status, _, _) = s.get(&format!("/p/coredns{url}"), None).await;
        assert_eq!(status, StatusCode::OK, "/p/coredns{url}");
        let (status, _, _) = s.get(&format!("/p/other{url}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "/p/other{url}");
    }
    let (_, _, list) = s.get("/p/coredns/advisories", None).await;
    let list = String::from_utf8_lossy(&list);
    assert!(
        list.contains(&format!("href=\"/p/coredns/advisories/{r}\"")),
        "{list}"
    );
    let (_, _, list) = s.get("/p/other/advisories", None).await;
    assert!(!String::from_utf8_lossy(&list).contains(&r));
    let (_, _, zip) = s.get("/p/coredns/advisories/osv/all.zip", None).await;
    assert_eq!(zip_names(&zip), vec!["CVE-2026-12345.json".to_string()]);
    let (_, _, zip) = s.get("/p/other/advisories/osv/all.zip", None).await;
    assert_eq!(zip_names(&zip), Vec::<String>::new());
    let (_, _, atom) = s.get("/p/coredns/advisories/feed.atom", None).await;
    assert!(
        String::from_utf8_lossy(&atom).contains(&format!("{base}/p/coredns/advisories/{r}")),
        "{}",
        String::from_utf8_lossy(&atom)
    );
    let (_, _, atom) = s.get("/p/other/advisories/feed.atom", None).await;
    assert!(!String::from_utf8_lossy(&atom).contains(&r));
    let (_, _, txt) = s.get("/p/other/.well-known/security.txt", None).await;
    let txt = String::from_utf8_lossy(&txt);
    assert!(txt.contains(&format!("Policy: {base}/p/other/")), "{txt}");
    assert!(
        txt.contains(&format!("Contact: {base}/p/other/report")),
        "{txt}"
    );

    // The publication job, on two replicas at once: the case is recorded
    // published once, and each advisory once, as psirt, with its public URL.
    let now = s.clock.now();
    let (one, two) = tokio::join!(
        psirt_jobs::publish::round(&s.store, base, org, now),
        psirt_jobs::publish::round(&s.store, base, org, now),
    );
    assert_eq!(one.unwrap() + two.unwrap(), 1 + 4);
    assert_eq!(
        psirt_jobs::publish::round(&s.store, base, org, now)
            .await
            .unwrap(),
        0
    );
    let (_, _, case) = s.get(&format!("/api/v1/cases/{r}"), Some(a)).await;
    let case: Value = serde_json::from_slice(&case).unwrap();
    let published: Vec<&str> = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["type"].as_str())
        .filter(|t| *t == "published")
        .collect();
    assert_eq!(published, ["published"], "{}", case["timeline"]);
    // The held announcement goes out now, over SMTP, naming the CVE, the
    // fix pull request and how to apply the fix.
    delivery.round(now).await.unwrap();
    let sent = to_users(&sink);
    assert_eq!(sent.len(), 1, "{sent:?}");
    for expected in [
        "Subject: Security release: coredns 1.11.2 fixes CVE-2026-12345",
        "https://github.com/coredns/coredns/pull/7001",
        "How to apply the fix: upgrade to coredns 1.11.2.",
    ] {
        assert!(
            sent[0].contains(expected),
            "{expected:?} not in {}",
            sent[0]
        );
    }
    sink.stop();
    let recorded: Vec<String> = case["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["location"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        recorded,
        [".osv.json", ".cve.json", ".csaf.json", ".md"]
            .map(|x| format!("{base}/advisories/{r}{x}"))
    );

    // The four exports validate: the public machine URLs through the
    // official validators, the Markdown as the team exports it.
    let dir = tempfile::tempdir().unwrap();
    for (suffix, kind) in [
        (".osv.json", "osv"),
        (".cve.json", "cve5"),
        (".csaf.json", "csaf"),
    ] {
        let (_, _, body) = s.get(&format!("/advisories/{r}{suffix}"), None).await;
        let file = dir.path().join(format!("{kind}.json"));
        std::fs::write(&file, &body).unwrap();
        let (ok, output) = validate(kind, &file);
        assert!(ok, "{kind}: {output}");
    }
    let (_, _, csaf) = s.get(&format!("/advisories/{r}.csaf.json"), None).await;
    assert!(String::from_utf8_lossy(&csaf).contains("\"WHITE\""));
    let (status, kind, markdown) = s
        .get(&format!("/api/v1/cases/{r}/export/markdown"), Some(a))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/markdown"));
    assert!(String::from_utf8_lossy(&markdown).contains("Upgrade to 1.11.2."));

    // The announcement draft names the CVE, the fix PR and how to apply it.
    let (_, _, mail) = s.get(&format!("/api/v1/cases/{r}/mail"), Some(a)).await;
    let mail: Value = serde_json::from_slice(&mail).unwrap();
    let announcement = mail
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "release_announcement")
        .unwrap_or_else(|| panic!("no announcement draft: {mail}"));
    let body = announcement["body"].as_str().unwrap();
    for expected in [
        "CVE-2026-12345",
        "https://github.com/coredns/coredns/pull/7001",
        "How to apply the fix: upgrade to coredns 1.11.2.",
        "Disable the cache plugin.",
    ] {
        assert!(body.contains(expected), "{expected:?} not in {body}");
    }
    let notice = mail
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "forthcoming_fix_notice")
        .unwrap();
    assert!(
        notice["body"]
            .as_str()
            .unwrap()
            .contains("Disable the cache plugin.")
    );
}

/// The events of an iCalendar feed as `SUMMARY @ DTSTART`, read by PyPI
/// `icalendar` (an independent parser, strict about the syntax).
fn ical_events(ics: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, ics).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sys, icalendar\n\
             cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())\n\
             assert cal['VERSION'] == '2.0'\n\
             for e in cal.walk('VEVENT'):\n\
             \x20   assert e['UID'] and e['DTSTAMP']\n\
             \x20   print(f\"{e['SUMMARY']} @ {e.decoded('DTSTART')}\")",
        )
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// security.txt (RFC 9116) is signed with the instance key: the signature
/// verifies, and the fields are there.
async fn security_txt_is_signed(s: &Server) {
    let (status, kind, body) = s.get("/.well-known/security.txt", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/plain"));
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.starts_with("-----BEGIN PGP SIGNED MESSAGE-----"),
        "{body}"
    );
    let public = psirt_mail::PublicKey::from_armored(
        &instance_key().public_key_armored().unwrap(),
        psirt_server::now(),
    )
    .unwrap();
    let text = psirt_mail::verify_cleartext(&body, &public).unwrap();
    let fields: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(": ").map(|(k, _)| k))
        .collect();
    assert_eq!(
        fields,
        [
            "Contact",
            "Encryption",
            "Policy",
            "Acknowledgments",
            "Preferred-Languages",
            "Canonical",
            "Expires"
        ]
    );
    assert!(text.contains("Encryption: https://security.coredns.example/openpgp-key.asc"));
    let expires: Timestamp = text
        .lines()
        .find_map(|l| l.strip_prefix("Expires: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        expires > s.clock.now() && expires < s.clock.now() + SignedDuration::from_hours(24 * 365)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_security_txt_is_signed() {
    let s = Server::start(false, start_time()).await;
    security_txt_is_signed(&s).await;
    s.stop().await;
}

/// The names in a ZIP archive, read by Python's own `zipfile` (an
/// independent reader), which also checks every CRC.
fn zip_names(zip: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("all.zip");
    std::fs::write(&file, zip).unwrap();
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg("import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint('\\n'.join(z.namelist()))")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn start_time() -> Timestamp {
    Timestamp::from_second(psirt_server::now().as_second()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_the_seed_private_path_publishes_on_the_instant() {
    let s = Server::start(false, start_time()).await;
    the_seed_private_path_publishes_on_the_instant(&s).await;
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_the_seed_private_path_publishes_on_the_instant() {
    let s = Server::start(true, start_time()).await;
    the_seed_private_path_publishes_on_the_instant(&s).await;
    s.stop().await;
}
