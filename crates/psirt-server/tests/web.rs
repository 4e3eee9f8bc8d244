//! The HTML pages over a real socket on 127.0.0.1, with a temporary SQLite
//! database: security headers, the report form and status link, sign-in
//! with its pre-session token, CSRF on every signed-in form, forms shown
//! again with the input kept and each error next to its field, and access.

mod support;

use psirt_server::{AppState, Settings, app};
use psirt_store::Store;
use reqwest::StatusCode;
use support::{Role, Team};

const PASSWORD: &str = "correct horse battery staple";
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

struct Site {
    base: String,
    store: Store,
    http: reqwest::Client,
    alice_token: String,
    _dir: tempfile::TempDir,
}

impl Site {
    async fn start() -> Site {
        Site::start_with(Settings::default()).await
    }

    async fn start_with(settings: Settings) -> Site {
        let (store, dir) = support::sqlite().await;
        let [alice, _, _] = Team::on("default", "Default")
            .person("alice@example.org", Role::Pst)
            .person("bob@example.org", Role::Pst)
            .person("dev@example.org", Role::Developer)
            .password(PASSWORD)
            .add(&store, psirt_server::now())
            .await;
        let (router, _) = app(AppState::new(store.clone(), settings));
        let base = support::serve(router).await;
        Site {
            base,
            store,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            alice_token: alice.token,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
        let mut req = self.http.get(self.url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        let res = req.send().await.unwrap();
        (res.status(), res.text().await.unwrap())
    }

    async fn post(
        &self,
        path: &str,
        cookie: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url(path)).form(form);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// Files a report through the form; returns its reference and status path.
    async fn report(&self, summary: &str) -> (String, String) {
        let res = self
            .post(
                "/report",
                None,
                &[
                    ("summary", summary),
                    (
                        "location",
                        "plugin/cache: crafted EDNS options poison the cache",
                    ),
                    ("steps", "1. send the packet"),
                    ("poc", "dig +ednsopt=65001:00 example.org"),
                    ("affected_versions", "1.10.0 to 1.11.1"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let body = res.text().await.unwrap();
        let reference = between(&body, "recorded as <strong>", "</strong>");
        let link = format!("/status/{}", between(&body, "href=\"/status/", "\""));
        (reference, link)
    }

    /// Signs in through the form, landing on the cases; returns the session
    /// cookie and the page's CSRF token.
    async fn sign_in(&self, email: &str) -> (String, String) {
        self.sign_in_to(email, "/cases").await
    }

    /// Signs in through the form and checks the page it lands on.
    async fn sign_in_to(&self, email: &str, landing: &str) -> (String, String) {
        let res = self.http.get(self.url("/signin")).send().await.unwrap();
        let pre = set_cookie(&res, "psirt_signin").unwrap();
        let body = res.text().await.unwrap();
        let token = between(&body, "name=\"csrf\" value=\"", "\"");
        let res = self
            .post(
                "/signin",
                Some(&format!("psirt_signin={pre}")),
                &[("csrf", &token), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
        assert_eq!(res.headers()["location"], landing, "landing of {email}");
        let session = format!(
            "psirt_session={}",
            set_cookie(&res, "psirt_session").unwrap()
        );
        let (status, page) = self.get(landing, Some(&session)).await;
        assert_eq!(status, StatusCode::OK);
        let csrf = between(&page, "name=\"csrf\" value=\"", "\"");
        (session, csrf)
    }

    async fn version(&self, reference: &str) -> u64 {
        let res = self
            .http
            .get(self.url(&format!("/api/v1/cases/{reference}")))
            .bearer_auth(&self.alice_token)
            .send()
            .await
            .unwrap();
        let case: serde_json::Value = res.json().await.unwrap();
        case["version"].as_u64().unwrap()
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in page:\n{text}"))
        + start.len();
    let len = text[from..].find(end).unwrap();
    text[from..from + len].to_string()
}

fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

#[tokio::test]
async fn every_page_carries_the_strict_security_headers() {
    let site = Site::start().await;
    for path in [
        "/",
        "/advisories",
        "/report",
        "/signin",
        "/cases/PSIRT-2026-0001",
    ] {
        let res = site.http.get(site.url(path)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["content-security-policy"], CSP, "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    let res = site
        .http
        .get(site.url("/static/psirt.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/css; charset=utf-8");
    // The JSON API gets the same (issue 12 item 8; every API route is
    // walked in tests/hardening.rs).
    let res = site.http.get(site.url("/healthz")).send().await.unwrap();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_security_policy_comes_from_the_policy_and_the_seed() {
    let site = Site::start().await;
    let (status, page) = site.get("/", None).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "<td>We acknowledge your report</td><td>24 hours</td>",
        "<td>The fix is released and announced</td><td>21 days</td>",
        "below 4.0 (low severity)",
        "Embargoes last from 24 hours to 14 days",
        "Have someone already on the list vouch",
        "href=\"/report\"",
    ] {
        assert!(page.contains(text), "{text:?} missing");
    }
    let criteria = between(&page, "<h3>Membership criteria</h3>", "</ol>");
    assert_eq!(
        criteria.matches("<li>").count(),
        7,
        "the seed's seven criteria"
    );
}

#[tokio::test]
async fn a_report_through_the_form_gives_a_private_status_link() {
    let site = Site::start().await;
    let (reference, link) = site
        .report("Cache poisoning <script>alert(1)</script>")
        .await;
    assert_eq!(
        reference,
        "PSIRT-2026-0001".replace("2026", &jiff::Timestamp::now().strftime("%Y").to_string())
    );
    let (status, page) = site.get(&link, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&reference));
    // User input is escaped, never markup.
    assert!(page.contains("Cache poisoning &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<script>"));
    assert!(page.contains("received, awaiting triage"));

    let res = site
        .post(&link, None, &[("action", "reply"), ("text", "Any news?")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = site
        .post(
            &link,
            None,
            &[("action", "credit"), ("name", "Jane Finder")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = site.get(&link, None).await;
    assert!(page.contains("Any news?"));
    assert!(page.contains("Reported by Jane Finder"), "{page}");

    // The details reached the team with the form's parts under headings.
    let case: serde_json::Value = site
        .http
        .get(site.url(&format!("/api/v1/cases/{reference}")))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let details = case["details"].as_str().unwrap();
    assert!(details.starts_with("plugin/cache: crafted EDNS options"));
    assert!(details.contains("## Steps to reproduce\n\n1. send the packet"));
    assert!(details.contains("## Proof of concept\n\ndig +ednsopt"));
    assert!(details.contains("## Affected versions\n\n1.10.0 to 1.11.1"));

    let (status, _) = site.get("/status/psirt_unknown", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_report_is_shown_again_with_the_input_and_errors_by_field() {
    let site = Site::start().await;
    let res = site
        .post(
            "/report",
            None,
            &[
                ("summary", ""),
                ("location", "kept <text> & more"),
                ("reporter_email", "not-an-address"),
                ("public_link", "https://example.org/post"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("kept &lt;text&gt; &amp; more</textarea>"));
    assert!(page.contains("value=\"not-an-address\""));
    for field in ["summary", "reporter_email", "public_link"] {
        let id = format!("id=\"report-{field}-error\"");
        assert!(page.contains(&id), "no error next to {field}");
        assert!(
            page.contains(&format!(
                "aria-describedby=\"report-{field}-hint report-{field}-error\""
            )) || page.contains(&format!("aria-describedby=\"report-{field}-error\""))
        );
    }
    assert!(!page.contains("id=\"report-location-error\""));
    // Nothing was stored.
    let cases: serde_json::Value = site
        .http
        .get(site.url("/api/v1/cases"))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cases["cases"], serde_json::json!([]));
}

#[tokio::test]
async fn sign_in_needs_the_form_token_and_the_right_password() {
    let site = Site::start().await;
    // No pre-session cookie: a login-CSRF attempt from another site.
    let res = site
        .post(
            "/signin",
            None,
            &[
                ("csrf", "x"),
                ("email", "alice@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&res, "psirt_session").is_none());

    let res = site.http.get(site.url("/signin")).send().await.unwrap();
    let pre = set_cookie(&res, "psirt_signin").unwrap();
    let page = res.text().await.unwrap();
    let token = between(&page, "name=\"csrf\" value=\"", "\"");
    assert_eq!(token, pre);
    let res = site
        .post(
            "/signin",
            Some(&format!("psirt_signin={pre}")),
            &[
                ("csrf", &token),
                ("email", "alice@example.org"),
                ("password", "wrong password!"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let page = res.text().await.unwrap();
    assert!(page.contains("wrong e-mail address or password"));
    assert!(page.contains("value=\"alice@example.org\""));
    assert!(!page.contains("wrong password!"));

    let (session, csrf) = site.sign_in("alice@example.org").await;
    // Signing out is a form like the others: without the token, nothing happens.
    let res = site
        .post("/signout", Some(&session), &[("csrf", "nope")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.get("/cases", Some(&session)).await.0, StatusCode::OK);
    let res = site
        .post("/signout", Some(&session), &[("csrf", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = site
        .http
        .get(site.url("/cases"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/signin");
}

#[tokio::test]
async fn case_forms_need_the_csrf_token_and_keep_bad_input() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via EDNS").await;
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let path = format!("/cases/{reference}");
    let (status, dashboard) = site.get("/cases", Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(dashboard.contains(&format!("href=\"{path}\"")));
    assert!(dashboard.contains("Fix Lead assigned"));

    let before = site.version(&reference).await;
    for token in [None, Some("0000")] {
        let mut form = vec![("action", "assign_fix_lead")];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let res = site.post(&path, Some(&session), &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        site.version(&reference).await,
        before,
        "nothing stored without the token"
    );

    // A vector that does not parse: shown again, error next to the field.
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "propose_cvss"),
                ("vector", "CVSS:3.1/AV:X"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"cvss-vector-error\""));
    assert!(page.contains("value=\"CVSS:3.1/AV:X\""));
    assert_eq!(site.version(&reference).await, before);

    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "assign_fix_lead"),
                ("lead", "alice@example.org"),
                ("reason", "knows the cache plugin"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(site.version(&reference).await, before + 1);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{path}?done=assign_fix_lead")));
    let (_, page) = site.get(&location, Some(&session)).await;
    assert!(page.contains("Saved: Assign the Fix Lead."));
    assert!(page.contains("alice@example.org &lt;alice@example.org&gt;"));

    // A missing required field, and a date that is not one.
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "decide_distributors"),
                ("notify", "yes"),
                ("embargo_end", "soon"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"decide_distributors-rationale-error\""));
    assert!(page.contains("id=\"decide_distributors-embargo_end-error\""));
    assert!(page.contains("value=\"soon\""));
    assert_eq!(site.version(&reference).await, before + 1);

    // Preview computes the score and stores nothing.
    let vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "preview_cvss"),
                ("vector", vector),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Score: <strong>9.8 Critical</strong>"),
        "{page}"
    );
    assert_eq!(site.version(&reference).await, before + 1);

    // A rule says no (the fix is not ready without commits): the reason on the form.
    let res = site
        .post(
            &path,
            Some(&session),
            &[("csrf", &csrf), ("action", "mark_fix_ready")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(page.contains("<strong>Not saved: </strong>"));
    assert_eq!(site.version(&reference).await, before + 1);
}

#[tokio::test]
async fn a_fix_team_member_cannot_open_another_teams_case_nor_see_its_forms() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via EDNS").await;
    let (session, csrf) = site.sign_in("dev@example.org").await;
    let path = format!("/cases/{reference}");
    let (status, page) = site.get(&path, Some(&session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains("Cache poisoning"));
    let (_, dashboard) = site.get("/cases", Some(&session)).await;
    assert!(!dashboard.contains(&reference));
    let res = site
        .post(
            &path,
            Some(&session),
            &[("csrf", &csrf), ("action", "assign_fix_lead")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A PST member sees the PST's forms but not the Fix Lead's.
    let (session, _) = site.sign_in("bob@example.org").await;
    let (_, page) = site.get(&path, Some(&session)).await;
    assert!(page.contains("value=\"assign_fix_lead\""));
    assert!(!page.contains("value=\"finalize_cvss\""));
    assert!(!page.contains("value=\"release\""));
}

#[tokio::test]
async fn unreleased_cases_are_not_in_the_advisories() {
    let site = Site::start().await;
    site.report("Cache poisoning via EDNS").await;
    let (status, page) = site.get("/advisories", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("No advisories have been published yet."));
    assert!(!page.contains("Cache poisoning"));
    drop(site.store);
}

fn file(name: &str, mime: &str, data: Vec<u8>) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(data)
        .file_name(name.to_string())
        .mime_str(mime)
        .unwrap()
}

fn report_form() -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("summary", "Cache poisoning via EDNS")
        .text(
            "location",
            "plugin/cache: crafted EDNS options poison the cache",
        )
}

#[tokio::test]
async fn attachments_go_with_the_report_and_only_to_the_cases_team() {
    let site = Site::start().await;
    let capture: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let html = b"<html><script>alert(document.cookie)</script></html>".to_vec();
    let form = report_form()
        .part(
            "attachments",
            file(
                "poison.pcap",
                "application/vnd.tcpdump.pcap",
                capture.clone(),
            ),
        )
        .part(
            "attachments",
            file("notes \u{e9}t\u{e9}.html", "text/html", html.clone()),
        )
        // An empty file input, as browsers send one.
        .part(
            "attachments",
            file("", "application/octet-stream", Vec::new()),
        );
    let res = site
        .http
        .post(site.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let reference = between(
        &res.text().await.unwrap(),
        "recorded as <strong>",
        "</strong>",
    );
    let path = format!("/cases/{reference}");

    let (alice, _) = site.sign_in("alice@example.org").await;
    let (status, page) = site.get(&path, Some(&alice)).await;
    assert_eq!(status, StatusCode::OK);
    let list = between(&page, "<ul id=\"attachments\"", "</ul>");
    assert_eq!(list.matches("<li>").count(), 2, "{list}");
    assert!(list.contains("poison.pcap</a> (68.4 KiB, application/vnd.tcpdump.pcap)"));
    assert!(list.contains("notes été.html</a> (52 bytes, application/octet-stream)"));
    let links: Vec<String> = list
        .split(&format!("href=\"{path}/attachments/"))
        .skip(1)
        .map(|rest| format!("{path}/attachments/{}", &rest[..rest.find('"').unwrap()]))
        .collect();
    assert_eq!(links.len(), 2);

    let download = |link: String, cookie: Option<String>| {
        let mut req = site.http.get(site.url(&link));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    for (link, bytes, disposition) in [
        (
            &links[0],
            &capture,
            "attachment; filename=\"poison.pcap\"; filename*=UTF-8''poison.pcap",
        ),
        (
            &links[1],
            &html,
            "attachment; filename=\"notes _t_.html\"; filename*=UTF-8''notes%20%C3%A9t%C3%A9.html",
        ),
    ] {
        let res = download(link.clone(), Some(alice.clone())).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers();
        // Neither a pcap nor an uploaded page is served as something a
        // browser would run in our origin.
        assert_eq!(h["content-type"], "application/octet-stream");
        assert_eq!(h["content-disposition"], disposition);
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["content-security-policy"], CSP);
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(&res.bytes().await.unwrap()[..], &bytes[..]);
    }

    // Signed out: to the sign-in page. On another case's Fix Team: 403.
    let res = download(links[0].clone(), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let other = site.report("Zone transfer leaks private records").await.0;
    let lead = site
        .store
        .user_by_email(&"alice@example.org".parse().unwrap())
        .await
        .unwrap();
    let dev = site
        .store
        .user_by_email(&"dev@example.org".parse().unwrap())
        .await
        .unwrap();
    let caller = psirt_store::Caller::new(psirt_store::Principal::User(lead.clone()), "test");
    for command in [
        psirt_core::Command::AssignFixLead {
            lead: Some(lead.id),
            override_reason: Some("knows zone transfers".into()),
        },
        psirt_core::Command::FormFixTeam {
            members: vec![dev.id],
        },
    ] {
        site.store
            .execute(
                &caller,
                other.parse().unwrap(),
                command,
                None,
                psirt_server::now(),
            )
            .await
            .unwrap();
    }
    let (dev_session, _) = site.sign_in("dev@example.org").await;
    let res = download(links[0].clone(), Some(dev_session.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = res.bytes().await.unwrap();
    assert!(!body.windows(8).any(|w| w == &capture[..8]));
    // A number that is not an attachment of this case is not found.
    let res = download(format!("{path}/attachments/999"), Some(alice.clone()))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let audit = site
        .store
        .audit_show(reference.parse().unwrap())
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == "case.attachment.view")
            .count(),
        3,
        "{actions:?}"
    );
    assert!(actions.contains(&"case.attachment.view.denied"));
}

#[tokio::test]
async fn an_oversize_attachment_is_refused_next_to_the_field_and_nothing_is_stored() {
    let site = Site::start().await;
    let big = vec![7u8; psirt_store::MAX_ATTACHMENT_BYTES + 1];
    let form = report_form()
        .text("reporter_name", "Rita <kept>")
        .part(
            "attachments",
            file("small.txt", "text/plain", b"ok".to_vec()),
        )
        .part(
            "attachments",
            file("huge.pcap", "application/octet-stream", big),
        );
    let res = site
        .http
        .post(site.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let error = between(&page, "id=\"report-attachments-error\">", "</p>");
    assert!(
        error.contains("&quot;huge.pcap&quot; is larger than 10 MiB"),
        "{error}"
    );
    assert!(error.contains("choose them again"), "{error}");
    assert!(page.contains("aria-describedby=\"report-attachments-hint report-attachments-error\""));
    assert!(page.contains("value=\"Rita &lt;kept&gt;\""));
    assert!(page.contains("value=\"Cache poisoning via EDNS\""));
    assert!(page.contains("enctype=\"multipart/form-data\""));
    assert_eq!(site.store.raw_count("SELECT COUNT(*) FROM cases").await, 0);
    assert_eq!(
        site.store
            .raw_count("SELECT COUNT(*) FROM attachments")
            .await,
        0
    );

    // Too many files: the same, with the count.
    let mut form = report_form();
    for i in 0..6 {
        form = form.part(
            "attachments",
            file(&format!("f{i}.txt"), "text/plain", vec![b'x']),
        );
    }
    let res = site
        .http
        .post(site.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("at most 5 files per report; 6 were sent"));
    assert_eq!(site.store.raw_count("SELECT COUNT(*) FROM cases").await, 0);

    // Another field's error: the files are not kept, and the page says so.
    let form = reqwest::multipart::Form::new()
        .text("summary", "")
        .text("location", "somewhere")
        .part(
            "attachments",
            file("small.txt", "text/plain", b"ok".to_vec()),
        );
    let res = site
        .http
        .post(site.url("/report"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"report-summary-error\""));
    let error = between(&page, "id=\"report-attachments-error\">", "</p>");
    assert!(error.contains("1 file(s) were not kept"), "{error}");
}

impl Site {
    /// Runs a command through the JSON API as alice (PST, and Fix Lead
    /// once assigned).
    async fn api(&self, reference: &str, command: serde_json::Value) {
        let res = self
            .http
            .post(self.url(&format!("/api/v1/cases/{reference}/commands")))
            .bearer_auth(&self.alice_token)
            .json(&serde_json::json!({ "command": command }))
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert!(
            status.is_success(),
            "{command}: {status} {}",
            res.text().await.unwrap()
        );
    }

    /// A reported case led by alice, whose forthcoming-fix notice to the
    /// project's users waits as a draft.
    async fn with_notice_draft(&self, summary: &str) -> String {
        self.store
            .set_announce_address("default", Some(&"users@example.org".parse().unwrap()))
            .await
            .unwrap();
        let (reference, _) = self.report(summary).await;
        let release = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
        for command in [
            serde_json::json!({"type": "assign_fix_lead", "lead": "alice@example.org", "reason": "on call"}),
            serde_json::json!({"type": "record_mitigation", "steps": "Disable the cache plugin."}),
            serde_json::json!({"type": "publish_notice", "estimated_release": release.to_string(), "mitigation": "Disable the cache plugin."}),
        ] {
            self.api(&reference, command).await;
        }
        reference
    }

    /// The case's mail through the JSON API, as alice.
    async fn mail(&self, reference: &str) -> Vec<serde_json::Value> {
        let res = self
            .http
            .get(self.url(&format!("/api/v1/cases/{reference}/mail")))
            .bearer_auth(&self.alice_token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let mail: serde_json::Value = res.json().await.unwrap();
        mail.as_array().unwrap().clone()
    }

    /// The state, subject and body of the case's forthcoming-fix notice.
    async fn notice(&self, reference: &str) -> (String, String, String) {
        let mail = self.mail(reference).await;
        let m = mail
            .iter()
            .find(|m| m["kind"] == "forthcoming_fix_notice")
            .unwrap_or_else(|| panic!("no notice in {mail:?}"));
        let text = |k: &str| m[k].as_str().unwrap().to_string();
        (text("state"), text("subject"), text("body"))
    }

    /// Alice leads the case; the vector is final.
    async fn led_and_scored(&self, reference: &str, vector: &str) {
        self.api(
            reference,
            serde_json::json!({"type": "assign_fix_lead", "lead": "alice@example.org", "reason": "on call"}),
        )
        .await;
        self.api(
            reference,
            serde_json::json!({"type": "finalize_cvss", "vector": vector}),
        )
        .await;
    }
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";

#[tokio::test]
async fn a_high_score_case_cannot_be_slowed_down_and_the_form_says_which_rule() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via EDNS").await;
    site.led_and_scored(&reference, CRITICAL).await;
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let path = format!("/cases/{reference}");
    let (_, page) = site.get(&path, Some(&session)).await;
    for form in [
        "slow_down",
        "report_embargo_break",
        "set_upstream_embargo",
        "mark_publicly_disclosed",
        "request_private_handling",
        "record_private_handling_answer",
        "remove_fix_team_member",
    ] {
        assert!(
            page.contains(&format!("id=\"action-{form}\"")),
            "{form} not offered"
        );
    }
    let before = site.version(&reference).await;
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "slow_down"),
                ("reason", "holidays"),
                ("discussion", "https://example.org/thread"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("only a low-severity case (CVSS base score below 4.0) may be slowed down; this one scores 9.8"),
        "{page}"
    );
    assert!(page.contains("value=\"holidays\""));
    assert!(page.contains("<details class=\"action\" id=\"action-slow_down\" open>"));
    assert_eq!(site.version(&reference).await, before);

    // A missing field is named next to it.
    let res = site
        .post(
            &path,
            Some(&session),
            &[("csrf", &csrf), ("action", "slow_down"), ("reason", "x")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"slow_down-discussion-error\"")
    );
}

#[tokio::test]
async fn an_embargo_break_assessed_as_release_early_pulls_every_due_time_to_now() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via EDNS").await;
    site.led_and_scored(&reference, CRITICAL).await;
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let path = format!("/cases/{reference}");
    let (_, page) = site.get(&path, Some(&session)).await;
    assert!(!between(&page, "id=\"checklist\"", "</table>").contains("as soon as possible"));
    let leaked = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1))
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "report_embargo_break"),
                ("what", "the patch"),
                ("to_whom", "a public mailing list"),
                ("when", &leaked),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = site.get(&path, Some(&session)).await;
    // The choice is explicit: nothing is preselected.
    let assess = between(&page, "id=\"action-assess_embargo_break\"", "</details>");
    assert!(
        assess.contains("<option value=\"\" selected>Choose…</option>"),
        "{assess}"
    );
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "assess_embargo_break"),
                ("release_early", "yes"),
                ("reason", "the patch is public"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = site.get(&path, Some(&session)).await;
    let checklist = between(&page, "id=\"checklist\"", "</table>");
    let due: Vec<&str> = checklist
        .split("<td class=\"due\">")
        .skip(1)
        .map(|rest| &rest[..rest.find("</td>").unwrap()])
        // Closing has no due time of its own.
        .filter(|d| *d != "—")
        .collect();
    assert!(due.len() >= 4, "{due:?}");
    assert!(
        due.iter().all(|d| d.contains("as soon as possible")),
        "{due:?}"
    );
}

#[tokio::test]
async fn an_advisory_is_recorded_after_the_release() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via EDNS").await;
    site.led_and_scored(&reference, CRITICAL).await;
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let path = format!("/cases/{reference}");
    for command in [
        serde_json::json!({"type": "add_fix_commit", "commit": "abc1234", "author": "Dev <dev@example.org>"}),
    ] {
        site.api(&reference, command).await;
    }
    let bob = site.sign_in("bob@example.org").await;
    let res = site
        .post(
            &path,
            Some(&bob.0),
            &[
                ("csrf", &bob.1),
                ("action", "approve_commit"),
                ("commit", "abc1234"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    for command in [
        serde_json::json!({"type": "mark_fix_ready"}),
        serde_json::json!({"type": "record_cve", "cve": "CVE-2026-12345"}),
        serde_json::json!({"type": "draft_announcement", "text": "CoreDNS 1.12.1 fixes CVE-2026-12345."}),
        serde_json::json!({"type": "release", "version": "v1.12.1", "base_release": "v1.12.0", "cherry_picks": ["abc1234"]}),
    ] {
        site.api(&reference, command).await;
    }
    let res = site
        .post(
            &path,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "record_advisory"),
                ("format", "osv"),
                (
                    "location",
                    "https://github.com/coredns/coredns/security/advisories/GHSA-xxxx",
                ),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = site.get(&path, Some(&session)).await;
    let timeline = between(&page, "id=\"timeline\"", "</ol>");
    assert!(timeline.contains("GHSA-xxxx"), "{timeline}");
    assert!(page.contains("id=\"action-hold_retrospective\""));
}

/// Every form control a person fills in, and its label: `(id, has a label)`.
/// Hidden fields and buttons are not controls to label.
fn controls(html: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for tag in ["<input", "<textarea", "<select"] {
        for (at, _) in html.match_indices(tag) {
            let end = html[at..].find('>').map_or(html.len(), |e| at + e);
            let element = &html[at..end];
            if ["type=\"hidden\"", "type=\"submit\"", "type=\"button\""]
                .iter()
                .any(|t| element.contains(t))
            {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or("");
            let labelled = !id.is_empty() && html.contains(&format!("<label for=\"{id}\""));
            out.push((
                if id.is_empty() {
                    element.to_string()
                } else {
                    id.to_string()
                },
                labelled,
            ));
        }
    }
    out
}

/// The levels of the page's headings, in document order.
fn headings(html: &str) -> Vec<u8> {
    let bytes = html.as_bytes();
    (0..bytes.len().saturating_sub(3))
        .filter(|&i| {
            bytes[i] == b'<' && bytes[i + 1] == b'h' && (b'1'..=b'6').contains(&bytes[i + 2])
        })
        .filter(|&i| matches!(bytes[i + 3], b'>' | b' '))
        .map(|i| bytes[i + 2] - b'0')
        .collect()
}

/// Labels on every control, one h1, and no heading level skipped, on every
/// page a reporter, a PST member and a Fix Lead see.
#[tokio::test]
async fn every_page_labels_its_controls_and_keeps_its_headings_in_order() {
    // The checks themselves catch what they are for.
    assert_eq!(
        controls(
            r#"<label for="a">A</label><input id="a"><input id="b"><input type="hidden" name="csrf">"#
        ),
        [("a".to_string(), true), ("b".to_string(), false)]
    );
    assert_eq!(
        headings("<h1>x</h1><h2 class=\"y\">z</h2><h4>w</h4><header>"),
        [1, 2, 4]
    );
    let site = Site::start().await;
    let (reference, status) = site.report("Cache poisoning via EDNS").await;
    site.led_and_scored(&reference, CRITICAL).await;
    let drafted = site.with_notice_draft("Heap overflow in the parser").await;
    let (session, _) = site.sign_in("alice@example.org").await;
    let pages = [
        (&format!("/cases/{drafted}")[..], Some(session.as_str())),
        ("/", None),
        ("/advisories", None),
        ("/report", None),
        ("/signin", None),
        (status.as_str(), None),
        ("/cases", Some(session.as_str())),
        (&format!("/cases/{reference}")[..], Some(session.as_str())),
    ];
    for (path, cookie) in pages {
        let (code, html) = site.get(path, cookie).await;
        assert_eq!(code, StatusCode::OK, "{path}");
        let unlabelled: Vec<String> = controls(&html)
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(id, _)| id)
            .collect();
        assert!(
            unlabelled.is_empty(),
            "{path}: controls without a label: {unlabelled:?}"
        );
        let levels = headings(&html);
        assert_eq!(
            levels.iter().filter(|l| **l == 1).count(),
            1,
            "{path}: one h1, got {levels:?}"
        );
        assert_eq!(
            levels.first(),
            Some(&1),
            "{path}: the h1 comes first: {levels:?}"
        );
        for pair in levels.windows(2) {
            assert!(
                pair[1] <= pair[0] + 1,
                "{path}: heading level skipped in {levels:?}"
            );
        }
    }
    // The case page has many forms; make sure the check saw them.
    let (_, case_page) = site
        .get(&format!("/cases/{reference}"), Some(&session))
        .await;
    assert!(
        controls(&case_page).len() > 20,
        "{}",
        controls(&case_page).len()
    );
}

#[tokio::test]
async fn mail_drafts_are_edited_approved_and_discarded_on_the_case_page() {
    let site = Site::start().await;
    let reference = site.with_notice_draft("Heap overflow in the parser").await;
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let path = format!("/cases/{reference}");
    let (status, page) = site.get(&path, Some(&session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"drafts-waiting\""));
    let section = between(&page, "<h2 id=\"mail\">", "<h2 id=\"timeline\">");
    assert!(
        section.contains("<td>Forthcoming-fix notice to users</td><td>users@example.org</td>"),
        "{section}"
    );
    assert!(section.contains(
        "<h3 id=\"mail-forthcoming_fix_notice-title\">Draft: Forthcoming-fix notice to users</h3>"
    ));
    let (_, subject, body) = site.notice(&reference).await;
    assert!(
        section.contains(&format!("value=\"{subject}\"")),
        "{section}"
    );
    assert!(section.contains("Disable the cache plugin."));

    let action = format!("/cases/{reference}/mail/forthcoming_fix_notice");
    // Without the session's token nothing changes.
    let res = site
        .post(&action, Some(&session), &[("action", "approve")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.notice(&reference).await.0, "draft");
    // A bad edit comes back with the input kept and the error by the field.
    let res = site
        .post(
            &action,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "save"),
                ("subject", ""),
                ("body", "Kept <text>"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("id=\"mail-forthcoming_fix_notice-subject-error\""),
        "{page}"
    );
    assert!(page.contains("Kept &lt;text&gt;</textarea>"));
    assert_eq!(
        site.notice(&reference).await,
        ("draft".into(), subject.clone(), body.clone())
    );
    // Saved, then back on the case page (post, redirect, get).
    let res = site
        .post(
            &action,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "save"),
                ("subject", "Security fix for Default next week"),
                ("body", "Update on the 7th."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(location, format!("{path}?done=mail_saved#mail"));
    let (_, page) = site.get(&location, Some(&session)).await;
    assert!(page.contains("Saved: the mail draft."));
    assert_eq!(
        site.notice(&reference).await,
        (
            "draft".into(),
            "Security fix for Default next week".into(),
            "Update on the 7th.".into()
        )
    );
    // Approving sends the text as it stands in the form.
    let res = site
        .post(
            &action,
            Some(&session),
            &[
                ("csrf", &csrf),
                ("action", "approve"),
                ("subject", "Security fix for Default next week"),
                ("body", "Update on the 7th, please."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        site.notice(&reference).await,
        (
            "queued".into(),
            "Security fix for Default next week".into(),
            "Update on the 7th, please.".into()
        )
    );
    let (_, page) = site.get(&path, Some(&session)).await;
    assert!(
        !page.contains("id=\"mail-forthcoming_fix_notice\""),
        "no draft left"
    );
    assert!(!page.contains("id=\"drafts-waiting\""));
    // Approved meanwhile: the reason is shown on the page.
    let res = site
        .post(
            &action,
            Some(&session),
            &[("csrf", &csrf), ("action", "discard")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    let section = between(&page, "<h2 id=\"mail\">", "<h2 id=\"timeline\">");
    assert!(section.contains("role=\"alert\""), "{section}");

    // Discarded: nothing of it is sent.
    let other = site
        .with_notice_draft("Use after free in the resolver")
        .await;
    let action = format!("/cases/{other}/mail/forthcoming_fix_notice");
    let res = site
        .post(
            &action,
            Some(&session),
            &[("csrf", &csrf), ("action", "discard")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(site.notice(&other).await.0, "discarded");
}

#[tokio::test]
async fn the_fix_team_sees_the_mail_but_only_the_pst_and_fix_lead_review_drafts() {
    let site = Site::start().await;
    let reference = site.with_notice_draft("Heap overflow in the parser").await;
    site.api(
        &reference,
        serde_json::json!({"type": "form_fix_team", "members": ["dev@example.org"]}),
    )
    .await;
    let (session, csrf) = site.sign_in("dev@example.org").await;
    let (status, page) = site
        .get(&format!("/cases/{reference}"), Some(&session))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"mail-copies\""));
    assert!(!page.contains("id=\"mail-forthcoming_fix_notice\""));
    assert!(!page.contains("id=\"drafts-waiting\""));
    let res = site
        .post(
            &format!("/cases/{reference}/mail/forthcoming_fix_notice"),
            Some(&session),
            &[("csrf", &csrf), ("action", "approve")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.notice(&reference).await.0, "draft");
    // Someone off the case sees neither the case nor its mail.
    let outsider = site.with_notice_draft("Another").await;
    let (status, page) = site
        .get(&format!("/cases/{outsider}"), Some(&session))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!page.contains("users@example.org"));
}

/// The instance key of the encrypted-report test, with its public half as
/// the policy page shows it.
fn keyed_settings() -> (Settings, psirt_mail::InstanceKey) {
    let key = psirt_mail::InstanceKey::generate("psirt <security@example.org>").unwrap();
    let settings = Settings {
        openpgp: Some(psirt_server::OpenPgpKey {
            fingerprint: key.fingerprint().to_string(),
            armored_public: key.public_key_armored().unwrap(),
        }),
        instance_key: Some(std::sync::Arc::new(key.clone())),
        ..Settings::default()
    };
    (settings, key)
}

#[tokio::test]
async fn an_encrypted_report_through_the_form_is_stored_decrypted() {
    let (settings, key) = keyed_settings();
    let site = Site::start_with(settings).await;
    let (_, policy) = site.get("/", None).await;
    assert!(policy.contains("You may encrypt your report to this key"));
    let (_, form) = site.get("/report", None).await;
    assert!(form.contains(&key.fingerprint().to_string()));

    let gpg = psirt_mail::testing::gpg::Gpg::new();
    gpg.import(&key.public_key_armored().unwrap());
    let encrypted = String::from_utf8(gpg.encrypt(
        &key.fingerprint().to_string(),
        None,
        b"plugin/cache: crafted EDNS options poison the cache\n",
    ))
    .unwrap();
    let res = site
        .post(
            "/report",
            None,
            &[
                ("summary", "Cache poisoning via EDNS"),
                ("location", &encrypted),
                ("steps", "1. send the packet"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = res.text().await.unwrap();
    let reference = between(&page, "recorded as <strong>", "</strong>");
    let case: serde_json::Value = site
        .http
        .get(site.url(&format!("/api/v1/cases/{reference}")))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        case["details"],
        "plugin/cache: crafted EDNS options poison the cache\n\n## Steps to reproduce\n\n1. send the packet"
    );

    // Encrypted to someone else's key: the form comes back with the input
    // and the reason next to the field, and nothing is stored.
    let other = gpg.gen_key("someone@example.com", "0");
    let elsewhere = String::from_utf8(gpg.encrypt(&other, None, b"secret")).unwrap();
    let res = site
        .post(
            "/report",
            None,
            &[
                ("summary", "Not for us"),
                ("location", "see the proof of concept"),
                ("poc", &elsewhere),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let error = between(&page, "id=\"report-poc-error\">", "</p>");
    assert!(error.contains("/openpgp-key.asc"), "{error}");
    assert!(
        page.contains("-----BEGIN PGP MESSAGE-----"),
        "the input is kept"
    );
    assert!(page.contains("value=\"Not for us\""));
    let cases: serde_json::Value = site
        .http
        .get(site.url("/api/v1/cases"))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cases["cases"].as_array().unwrap().len(), 1, "{cases}");
}

#[tokio::test]
async fn without_an_instance_key_an_encrypted_report_is_refused_by_the_field() {
    let site = Site::start().await;
    let res = site
        .post(
            "/report",
            None,
            &[
                ("summary", "Encrypted"),
                (
                    "location",
                    "-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n",
                ),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    let error = between(&page, "id=\"report-location-error\">", "</p>");
    assert!(error.contains("no key to decrypt it"), "{error}");
}

/// Labels on every control, one h1 first, no heading level skipped.
fn assert_accessible(path: &str, html: &str) {
    let unlabelled: Vec<String> = controls(html)
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(id, _)| id)
        .collect();
    assert!(
        unlabelled.is_empty(),
        "{path}: controls without a label: {unlabelled:?}"
    );
    let levels = headings(html);
    assert_eq!(
        levels.iter().filter(|l| **l == 1).count(),
        1,
        "{path}: one h1, got {levels:?}"
    );
    assert_eq!(levels.first(), Some(&1), "{path}: the h1 first: {levels:?}");
    for pair in levels.windows(2) {
        assert!(
            pair[1] <= pair[0] + 1,
            "{path}: heading level skipped in {levels:?}"
        );
    }
}

impl Site {
    fn cli(&self, user: &psirt_store::User) -> psirt_store::Caller {
        psirt_store::Caller::cli(psirt_store::Principal::User(user.clone()))
    }

    async fn user(&self, email: &str) -> psirt_store::User {
        self.store
            .user_by_email(&email.parse().unwrap())
            .await
            .unwrap()
    }

    /// A case of the default project pre-notified to the list, its
    /// drafts approved (through the store, as alice and bob).
    async fn pre_notified(&self, summary: &str) -> String {
        use psirt_core::{Command, DistributorDecision};
        let (reference, _) = self.report(summary).await;
        let case: psirt_core::CaseRef = reference.parse().unwrap();
        let (alice, bob) = (
            self.user("alice@example.org").await,
            self.user("bob@example.org").await,
        );
        let at = psirt_server::now();
        let commit: psirt_core::CommitId = "a1b2c3d".parse().unwrap();
        for (who, command) in [
            (
                &bob,
                Command::AssignFixLead {
                    lead: Some(alice.id),
                    override_reason: Some("on call".into()),
                },
            ),
            (
                &alice,
                Command::AddFixCommit {
                    commit: commit.clone(),
                    author: "alice".into(),
                    author_user: Some(alice.id),
                    url: None,
                },
            ),
            (&bob, Command::ApproveCommit { commit }),
            (&alice, Command::MarkFixReady),
            (
                &alice,
                Command::DecideDistributors(DistributorDecision {
                    notify: true,
                    rationale: "Remotely exploitable.".into(),
                    embargo_end: Some(at + jiff::SignedDuration::from_hours(24 * 7)),
                    long_embargo_reason: None,
                    off_slot_reason: None,
                }),
            ),
            (
                &alice,
                Command::NotifyDistributors {
                    patches: vec!["diff --git a/plugin/cache b/plugin/cache".into()],
                    affected_versions: None,
                    fixed_versions: Some("1.12.1".into()),
                },
            ),
        ] {
            self.store
                .execute(&self.cli(who), case, command, None, at)
                .await
                .unwrap();
        }
        self.store
            .review_drafts(
                &self.cli(&alice),
                case,
                psirt_core::MailKind::PreNotification,
                psirt_store::DraftDecision::Approve,
                at,
            )
            .await
            .unwrap();
        reference
    }
}

/// The application form shows the seven criteria with a labelled field
/// each; bad input comes back with the errors next to their fields and the
/// input kept, and nothing is stored.
#[tokio::test]
async fn the_distributors_application_form_asks_each_criterion_and_keeps_bad_input() {
    let site = Site::start().await;
    let (_, policy) = site.get("/", None).await;
    assert!(
        policy.contains("href=\"/distributors/apply\""),
        "linked from the policy"
    );
    let (status, page) = site.get("/distributors/apply", None).await;
    assert_eq!(status, StatusCode::OK);
    for criterion in psirt_store::CRITERIA {
        assert!(page.contains(criterion), "{criterion}");
    }
    for i in 1..=7 {
        assert!(
            page.contains(&format!("<label for=\"apply-criterion_{i}\"")),
            "criterion {i}"
        );
    }
    assert!(
        page.contains("must not be made public"),
        "the embargo policy is shown"
    );
    assert_accessible("/distributors/apply", &page);

    let res = site
        .post(
            "/distributors/apply",
            None,
            &[
                ("organisation", "Distro"),
                ("criterion_1", "We ship it."),
                ("criterion_2", "Many users."),
                ("criterion_3", ""),
                ("criterion_4", "Our own builds."),
                ("criterion_5", "We contribute."),
                ("criterion_6", "We accept."),
                ("criterion_7", "Founder vouches."),
                ("person1_name", "Ann"),
                ("person1_email", "ann@distro.example"),
                ("person1_key", "not a key"),
                ("person2_name", "List"),
                ("person2_email", "security@distro.example"),
                ("person2_key", ""),
                ("voucher", "not an address"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    for field in [
        "criterion_3",
        "person1_key",
        "person2_email",
        "person2_key",
        "voucher",
    ] {
        assert!(
            page.contains(&format!("id=\"apply-{field}-error\"")),
            "{field}"
        );
    }
    assert!(!page.contains("id=\"apply-person1_email-error\""));
    assert!(page.contains("value=\"Distro\""), "input kept");
    assert!(page.contains(">Many users.</textarea>"), "answers kept");
    assert_accessible("/distributors/apply (errors)", &page);
    // The store's own checks come back next to their field too: the voucher
    // must be a member of the list. A good key in the third row is kept.
    let gpg = psirt_mail::testing::gpg::Gpg::new();
    gpg.gen_key("ann@distro.example", "0");
    let key = gpg.export("ann@distro.example");
    let mut form: Vec<(&str, &str)> = [
        "criterion_1",
        "criterion_2",
        "criterion_3",
        "criterion_4",
        "criterion_5",
        "criterion_6",
        "criterion_7",
    ]
    .into_iter()
    .map(|name| (name, "An answer."))
    .collect();
    form.extend([
        ("organisation", "Distro"),
        ("person3_name", "Ann"),
        ("person3_email", "ann@distro.example"),
        ("person3_key", key.as_str()),
        ("voucher", "nobody@example.net"),
    ]);
    let res = site.post("/distributors/apply", None, &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"apply-voucher-error\""), "{page}");
    assert!(!page.contains("id=\"apply-person3_key-error\""));
    let alice = site.user("alice@example.org").await;
    assert!(
        site.store
            .distributor_orgs(&site.cli(&alice), "default")
            .await
            .unwrap()
            .is_empty()
    );
}

/// The whole path through the pages: apply, vouch, accept the policy, the
/// PST approves, a member reads a notified case's notice and records
/// "tested, no issues found"; every page passes the accessibility checks.
#[tokio::test]
async fn a_distributor_goes_through_the_pages_from_application_to_notice() {
    let site = Site::start().await;
    let gpg = psirt_mail::testing::gpg::Gpg::new();
    gpg.gen_key("ann@distro.example", "0");
    let now = psirt_server::now();
    site.store
        .found_distributor(
            "default",
            "Origin",
            psirt_store::NewPerson {
                name: "Founder".into(),
                email: "founder@origin.example".parse().unwrap(),
                key: None,
            },
            now,
        )
        .await
        .unwrap();
    // People named in an application get an account without a way to sign
    // in; the administrator gives them a password (`psirt user passwd`).
    let founder = site.user("founder@origin.example").await;
    site.store.set_password(founder.id, PASSWORD).await.unwrap();

    let key = gpg.export("ann@distro.example");
    let res = site
        .post(
            "/distributors/apply",
            None,
            &[
                ("organisation", "Distro"),
                ("criterion_1", "We ship it."),
                ("criterion_2", "Many users."),
                ("criterion_3", "https://distro.example/security"),
                ("criterion_4", "Our own builds."),
                ("criterion_5", "We contribute."),
                ("criterion_6", "We accept."),
                ("criterion_7", "Founder vouches."),
                ("person1_name", "Ann"),
                ("person1_email", "ann@distro.example"),
                ("person1_key", &key),
                ("person2_name", ""),
                ("person2_email", ""),
                ("person2_key", ""),
                ("voucher", "founder@origin.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.text().await.unwrap().contains("Application received"));
    let ann = site.user("ann@distro.example").await;
    site.store.set_password(ann.id, PASSWORD).await.unwrap();
    let mut checked = Vec::new();

    // The voucher sees the request on their portal and vouches. A person
    // of a distributor organisation on no PST lands on the portal.
    let (founder_session, founder_csrf) = site
        .sign_in_to("founder@origin.example", "/distributors")
        .await;
    let (status, page) = site.get("/distributors", Some(&founder_session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Vouch for Distro"), "{page}");
    checked.push(("/distributors (voucher)".to_string(), page.clone()));
    let org = between(&page, "name=\"org\" value=\"", "\"");
    let res = site
        .post(
            "/distributors",
            Some(&founder_session),
            &[
                ("csrf", &founder_csrf),
                ("org", &org),
                ("action", "decline"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "declining needs a reason"
    );
    let res = site
        .post(
            "/distributors",
            Some(&founder_session),
            &[("org", &org), ("action", "vouch")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let res = site
        .post(
            "/distributors",
            Some(&founder_session),
            &[("csrf", &founder_csrf), ("org", &org), ("action", "vouch")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Ann sees the policy, accepts it.
    let (ann_session, ann_csrf) = site.sign_in_to("ann@distro.example", "/distributors").await;
    let (_, page) = site.get("/distributors", Some(&ann_session)).await;
    assert!(page.contains("I accept the embargo policy"), "{page}");
    assert!(page.contains("must not be made public"));
    checked.push(("/distributors (before accepting)".to_string(), page));
    let res = site
        .post(
            "/distributors",
            Some(&ann_session),
            &[("csrf", &ann_csrf), ("org", &org), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The PST sees the organisation and approves it.
    let (alice_session, alice_csrf) = site.sign_in("alice@example.org").await;
    let (status, page) = site.get("/distributors/admin", Some(&alice_session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Distro"));
    checked.push(("/distributors/admin".to_string(), page));
    let org_page = format!("/distributors/admin/{org}");
    let res = site
        .post(
            &org_page,
            Some(&alice_session),
            &[
                ("csrf", &alice_csrf),
                ("decision", "reject"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("id=\"decide-reason-error\"")
    );
    let res = site
        .post(
            &org_page,
            Some(&alice_session),
            &[("csrf", &alice_csrf), ("decision", "approve")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = site.get(&org_page, Some(&alice_session)).await;
    assert!(
        page.contains("Approved") && page.contains("Founder vouches."),
        "{page}"
    );
    checked.push((org_page.clone(), page));
    let (status, _) = site.get(&org_page, Some(&ann_session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the PST's page");

    // A notified case: listed on Ann's portal, its notice readable.
    let reference = site.pre_notified("Cache poisoning via EDNS").await;
    let (_, page) = site.get("/distributors", Some(&ann_session)).await;
    assert!(
        page.contains(&format!("/distributors/cases/{reference}")),
        "{page}"
    );
    assert!(page.contains("Add a person of your team"));
    checked.push(("/distributors (member)".to_string(), page));
    let notice = format!("/distributors/cases/{reference}");
    let (status, page) = site.get(&notice, Some(&ann_session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("1.12.1"), "{page}");
    assert!(
        !page.contains("poison the cache"),
        "the notice, never the report"
    );
    checked.push((notice.clone(), page));
    let res = site
        .post(
            &notice,
            Some(&ann_session),
            &[
                ("csrf", &ann_csrf),
                ("action", "feedback"),
                ("kind", "test"),
                ("outcome", "no_issues_found"),
                ("text", "tested, no issues found"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = site
        .post(
            &notice,
            Some(&ann_session),
            &[
                ("csrf", &ann_csrf),
                ("action", "leak"),
                ("what", "the patch"),
                ("to_whom", ""),
                ("when", "yesterday"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"leak-when-error\""), "{page}");
    assert!(page.contains(">the patch</textarea>"), "input kept");
    // Ann adds Carl with a bad key: the error is next to the field.
    let res = site
        .post(
            "/distributors",
            Some(&ann_session),
            &[
                ("csrf", &ann_csrf),
                ("org", &org),
                ("action", "add_person"),
                ("name", "Carl"),
                ("email", "carl@distro.example"),
                ("key", "nope"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains(&format!("id=\"add{org}-key-error\"")),
        "{page}"
    );
    assert!(page.contains("value=\"carl@distro.example\""));

    // Need to know: Carl, added with his key, sees nothing until he accepts.
    gpg.gen_key("carl@distro.example", "0");
    let carl_key = gpg.export("carl@distro.example");
    let res = site
        .post(
            "/distributors",
            Some(&ann_session),
            &[
                ("csrf", &ann_csrf),
                ("org", &org),
                ("action", "add_person"),
                ("name", "Carl"),
                ("email", "carl@distro.example"),
                ("key", &carl_key),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let carl = site.user("carl@distro.example").await;
    site.store.set_password(carl.id, PASSWORD).await.unwrap();
    let (carl_session, carl_csrf) = site
        .sign_in_to("carl@distro.example", "/distributors")
        .await;
    let (_, page) = site.get("/distributors", Some(&carl_session)).await;
    assert!(page.contains("I accept the embargo policy"), "{page}");
    assert!(!page.contains(&reference), "nothing before accepting");
    let (status, _) = site.get(&notice, Some(&carl_session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = site
        .post(
            "/distributors",
            Some(&carl_session),
            &[("csrf", &carl_csrf), ("org", &org), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = site.get("/distributors", Some(&carl_session)).await;
    assert!(page.contains(&reference), "{page}");
    assert_eq!(
        site.get(&notice, Some(&carl_session)).await.0,
        StatusCode::OK
    );

    // The team sees who was notified and the feedback, and asks for help.
    let (_, page) = site
        .get(&format!("/cases/{reference}"), Some(&alice_session))
        .await;
    assert!(page.contains(&format!("href=\"/cases/{reference}/distributors\"")));
    let team = format!("/cases/{reference}/distributors");
    let (status, page) = site.get(&team, Some(&alice_session)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("ann@distro.example") && page.contains("no issues found"),
        "{page}"
    );
    let res = site
        .post(
            &team,
            Some(&alice_session),
            &[
                ("csrf", &alice_csrf),
                ("topic", "release_notes"),
                ("text", " "),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("id=\"help-text-error\""));
    let res = site
        .post(
            &team,
            Some(&alice_session),
            &[
                ("csrf", &alice_csrf),
                ("topic", "release_notes"),
                ("text", "Please review the release notes."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, _) = site.get(&team, Some(&ann_session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the team's page");
    let (_, page) = site.get(&team, Some(&alice_session)).await;
    checked.push((team.clone(), page));
    let (_, page) = site.get(&notice, Some(&ann_session)).await;
    assert!(page.contains("Please review the release notes."), "{page}");
    let request = between(&page, "name=\"request\" value=\"", "\"");
    checked.push((format!("{notice} (help requested)"), page));
    let res = site
        .post(
            &notice,
            Some(&ann_session),
            &[
                ("csrf", &ann_csrf),
                ("action", "answer"),
                ("request", &request),
                ("text", "Mention the cache flag."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    for (path, html) in &checked {
        assert_accessible(path, html);
    }

    // The PST removes Carl on the organisation's page: a form like the
    // others (CSRF, then a redirect), and Carl has no access from then on.
    let (_, page) = site.get(&org_page, Some(&alice_session)).await;
    assert!(
        page.contains("aria-label=\"Remove carl@distro.example\""),
        "{page}"
    );
    assert_accessible(&format!("{org_page} (people)"), &page);
    let remove_carl = [
        ("org", org.as_str()),
        ("action", "remove_person"),
        ("email", "carl@distro.example"),
    ];
    let res = site
        .post(&org_page, Some(&alice_session), &remove_carl)
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "no CSRF token");
    let mut with_token = vec![("csrf", alice_csrf.as_str())];
    with_token.extend(remove_carl);
    let res = site
        .post(&org_page, Some(&alice_session), &with_token)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        format!("{org_page}?done=removed").as_str()
    );
    let (_, page) = site
        .get(&format!("{org_page}?done=removed"), Some(&alice_session))
        .await;
    assert!(page.contains("Saved: the person was removed."), "{page}");
    let people = between(&page, "<caption>People of", "</table>");
    assert!(
        !people.contains("carl@distro.example") && people.contains("ann@distro.example"),
        "{people}"
    );
    // His removal ended his session at once; signed in again, he sees nothing.
    let (status, _) = site.get(&notice, Some(&carl_session)).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "his session ended with his removal"
    );
    let (carl_session, _) = site.sign_in("carl@distro.example").await;
    let (status, _) = site.get(&notice, Some(&carl_session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the notice, after removal");
    let (_, page) = site.get("/distributors", Some(&carl_session)).await;
    assert!(
        !page.contains(&reference) && !page.contains("Distro"),
        "{page}"
    );
    // Removed from his only organisation, Carl now lands on the cases.
    site.sign_in("carl@distro.example").await;
    // Removing him again is refused on the form.
    let res = site
        .post(&org_page, Some(&alice_session), &with_token)
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(page.contains("Not saved:"), "{page}");

    // Removal takes effect at once for every page.
    site.store
        .decide_distributor(
            &site.cli(&site.user("alice@example.org").await),
            org.parse().unwrap(),
            psirt_store::OrgDecision::Remove {
                reason: "Leaked.".into(),
            },
            psirt_server::now(),
        )
        .await
        .unwrap();
    let (status, _) = site.get(&notice, Some(&ann_session)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "her session ended with it");
    // (A person of a removed organisation still lands on its page.)
    let (ann_session, _) = site.sign_in_to("ann@distro.example", "/distributors").await;
    let (status, _) = site.get(&notice, Some(&ann_session)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, page) = site.get("/distributors", Some(&ann_session)).await;
    assert!(!page.contains(&reference), "no case listed after removal");
}

/// Each page needs what its row in `PAGES` says: without a session, a
/// page for the signed-in sends the browser to sign in (forms too, before
/// anything of them is read), and the others answer without it.
#[tokio::test]
async fn every_page_needs_what_its_row_says() {
    use psirt_server::web::pages::{Needs, PAGES};
    let site = Site::start().await;
    let (reference, status) = site.report("Rows").await;
    let token = status.strip_prefix("/status/").unwrap();
    let mut wrong = Vec::new();
    // The same rows under the default project's `/p/default/`, whose
    // sign-in page is its own.
    for (prefix, page) in ["", "/p/default"]
        .into_iter()
        .flat_map(|prefix| PAGES.iter().map(move |page| (prefix, page)))
    {
        let path = prefix.to_string()
            + &page
                .path
                .replace("{reference}", &reference)
                .replace("{token}", token)
                .replace("{id}", "1")
                .replace("{kind}", "pre_notification")
                .replace("{org}", "Origin");
        let res = match page.method {
            "get" => site.http.get(site.url(&path)).send().await.unwrap(),
            _ => site.post(&path, None, &[]).await,
        };
        let to_sign_in = res
            .headers()
            .get("location")
            .is_some_and(|l| l.to_str().unwrap() == format!("{prefix}/signin"));
        let status = res.status();
        if to_sign_in != (page.needs == Needs::SignedIn) {
            wrong.push(format!(
                "{} {prefix}{} ({:?}): {status}, to sign in: {to_sign_in}",
                page.method, page.path, page.needs
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The case page's Fix repository section and its steps, from a real
/// repository read by psirt's job (issue 17).
#[tokio::test]
async fn the_case_page_shows_the_fix_commits_the_plan_and_the_steps() {
    use psirt_core::{Command, NewReport, Secret};
    use psirt_store::{Caller, Principal};
    let site = Site::start().await;
    let now = psirt_server::now();
    let case = site
        .store
        .report(
            NewReport {
                project: "default".into(),
                summary: "cache poisoning".into(),
                details: Secret::new("details".into()),
                reporter: None,
                public_link: None,
                already_public: false,
                ai_assisted: false,
            },
            "test",
            now,
        )
        .await
        .unwrap()
        .record
        .case
        .reference;
    let alice = site
        .store
        .user_by_email(&"alice@example.org".parse().unwrap())
        .await
        .unwrap();
    let as_alice = Caller::cli(Principal::User(alice.clone()));
    site.store
        .execute(
            &as_alice,
            case,
            Command::AssignFixLead {
                lead: Some(alice.id),
                override_reason: Some("test".into()),
            },
            None,
            now,
        )
        .await
        .unwrap();
    let project = psirt_git::testing::project();
    site.store
        .execute(
            &as_alice,
            case,
            Command::LinkFixRepository(project.repo(&[
                "release-1.10",
                "release-1.11",
                "release-1.12",
            ])),
            None,
            now,
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let job = psirt_jobs::fix_repo::FixRepositories::new(site.store.clone(), dir.path());
    assert_eq!(job.round(now).await.unwrap(), 1);
    let (cookie, _) = site.sign_in("alice@example.org").await;
    let (status, page) = site.get(&format!("/cases/{case}"), Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Fix repository",
        "cache: bound CNAME chains",
        // The author matched to an account, or not.
        "Alice &lt;alice@example.org&gt; (alice@example.org &lt;alice@example.org&gt;)",
        "Dave &lt;dave@example.org&gt; (no account)",
        "Already contains the fix",
        "Applies cleanly",
        "patch set SHA-256",
        "Conflicts",
        "cache.go",
        "Steps in other systems",
        "fix repository",
    ] {
        assert!(page.contains(text), "{text:?} missing from the case page");
    }
}

/// The advisory record's forms on the case page: an affected product with
/// its ranges one a line, and a bad range kept with its error and nothing
/// written.
#[tokio::test]
async fn the_record_forms_edit_the_advisory_record() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via EDNS").await;
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let path = format!("/cases/{reference}");
    let (_, page) = site.get(&path, Some(&session)).await;
    assert!(page.contains("value=\"set_affected_product\""));
    let before = site.version(&reference).await;
    let product = |ranges: &'static str| {
        vec![
            ("action", "set_affected_product"),
            ("package", "github.com/coredns/coredns"),
            ("ecosystem", "Go"),
            ("purl", "pkg:golang/github.com/coredns/coredns"),
            ("ranges", ranges),
            ("branches", "release-1.11"),
        ]
    };
    let mut form = product("semver:1.9.0..1.11.2\nfoo:1..2");
    form.push(("csrf", &csrf));
    let res = site.post(&path, Some(&session), &form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("is not one of semver, ecosystem, git"),
        "{page}"
    );
    assert_eq!(site.version(&reference).await, before);

    let mut form = product("semver:1.9.0..1.11.2\nsemver:0..=1.8.9");
    form.push(("csrf", &csrf));
    let res = site.post(&path, Some(&session), &form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(site.version(&reference).await, before + 1);
    let res = site
        .http
        .get(site.url(&format!("/api/v1/cases/{reference}")))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap();
    let case: serde_json::Value = res.json().await.unwrap();
    let last = case["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["type"], "record_edited", "{last}");
    let data = last["data"].to_string();
    assert!(
        data.contains("pkg:golang/github.com/coredns/coredns"),
        "{data}"
    );
    assert!(data.contains("\"last_affected\":\"1.8.9\""), "{data}");

    // The case page's "Advisory record" section shows the record as it
    // stands: the product and both of its ranges.
    let (_, page) = site.get(&path, Some(&session)).await;
    let section = between(&page, "<section id=\"record\"", "</section>");
    for text in [
        "Advisory record",
        "<code>github.com/coredns/coredns</code>",
        "<code>pkg:golang/github.com/coredns/coredns</code>",
        "<code>semver 1.9.0..1.11.2</code>",
        "<code>semver 0..=1.8.9</code>",
        "release-1.11",
    ] {
        assert!(section.contains(text), "{text:?} missing from {section}");
    }
}

/// The release-day forms of the case page (issue 17): the Fix Team links
/// the fix repository, the Fix Lead records how a conflict was resolved and
/// asks psirt for a CVE; each is the API's command through the same
/// `Store::execute`, offered only to whom `authorize` allows, and a form
/// with a field missing is shown again with nothing written.
#[tokio::test]
async fn the_fix_repository_conflict_and_cve_forms_run_the_same_commands() {
    let site = Site::start().await;
    let (reference, _) = site.report("Cache poisoning via CNAME chains").await;
    let path = format!("/cases/{reference}");
    let (session, csrf) = site.sign_in("alice@example.org").await;
    let post = |form: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = form;
        form.push(("csrf", csrf.clone()));
        let (site, session, path) = (&site, &session, &path);
        async move {
            let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            site.post(path, Some(session), &pairs).await
        }
    };
    let res = post(vec![
        ("action", "assign_fix_lead".into()),
        ("lead", "alice@example.org".into()),
        ("reason", "knows the cache plugin".into()),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Bob is on the PST, not the Fix Lead: no Fix Lead forms for him.
    let (bob, _) = site.sign_in("bob@example.org").await;
    let (_, page) = site.get(&path, Some(&bob)).await;
    assert!(page.contains("value=\"link_fix_repository\""));
    for lead_only in ["request_cve_reservation", "resolve_cherry_pick"] {
        assert!(
            !page.contains(&format!("value=\"{lead_only}\"")),
            "{lead_only} offered to bob"
        );
    }
    let (_, page) = site.get(&path, Some(&session)).await;
    for form in [
        "link_fix_repository",
        "request_cve_reservation",
        "resolve_cherry_pick",
    ] {
        assert!(
            page.contains(&format!("value=\"{form}\"")),
            "{form} missing"
        );
    }

    // A repository without its branch: shown again, nothing written.
    let project = psirt_git::testing::project();
    let before = site.version(&reference).await;
    let link = |branch: &str| {
        vec![
            ("action", "link_fix_repository".to_string()),
            ("location", project.location()),
            ("branch", branch.to_string()),
            ("base", "main".into()),
            ("release_branches", "release-1.11\nrelease-1.12\n".into()),
        ]
    };
    let res = post(link("")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("id=\"link_fix_repository-branch-error\""),
        "{page}"
    );
    assert_eq!(site.version(&reference).await, before);
    let res = post(link("fix/cname")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(site.version(&reference).await, before + 1);
    let last = last_event(&site, &reference).await;
    assert_eq!(last["type"], "fix_repository_linked", "{last}");
    assert_eq!(last["data"]["branch"], "fix/cname", "{last}");
    assert_eq!(
        last["data"]["release_branches"],
        serde_json::json!(["release-1.11", "release-1.12"]),
        "{last}"
    );

    // The job plans: release-1.12 conflicts; the Fix Lead resolves it.
    let dir = tempfile::tempdir().unwrap();
    let job = psirt_jobs::fix_repo::FixRepositories::new(site.store.clone(), dir.path());
    assert_eq!(job.round(psirt_server::now()).await.unwrap(), 1);
    let res = post(vec![
        ("action", "resolve_cherry_pick".into()),
        ("branch", "release-1.12".into()),
        (
            "commits",
            "1234567890abcdef1234567890abcdef12345678\n".into(),
        ),
    ])
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let last = last_event(&site, &reference).await;
    assert_eq!(last["type"], "cherry_pick_resolved", "{last}");

    // "Request a CVE": psirt's job is scheduled to reserve it.
    let res = post(vec![("action", "request_cve_reservation".into())]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let last = last_event(&site, &reference).await;
    assert_eq!(last["type"], "cve_reservation_requested", "{last}");
    let steps = site.store.steps(reference.parse().unwrap()).await.unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s.step == psirt_store::Step::CveReservation),
        "{steps:?}"
    );
}

async fn last_event(site: &Site, reference: &str) -> serde_json::Value {
    let res = site
        .http
        .get(site.url(&format!("/api/v1/cases/{reference}")))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap();
    let case: serde_json::Value = res.json().await.unwrap();
    case["timeline"].as_array().unwrap().last().unwrap().clone()
}

/// The dashboard shows a page of open cases, most pressing first, with a
/// link to the next page; following the links shows every case once.
#[tokio::test]
async fn the_dashboard_pages_through_the_open_cases() {
    let site = Site::start().await;
    let total = psirt_store::DEFAULT_PAGE as usize + 3;
    let mut made = Vec::new();
    let start = psirt_server::now() - jiff::SignedDuration::from_hours(total as i64);
    for i in 0..total {
        let report = psirt_core::NewReport {
            project: "default".into(),
            summary: format!("Case number {i}"),
            details: psirt_core::Secret::new("Send a crafted packet.".into()),
            reporter: None,
            public_link: None,
            already_public: false,
            ai_assisted: false,
        };
        let at = start + jiff::SignedDuration::from_hours(i as i64);
        let intake = site.store.report(report, "test", at).await.unwrap();
        made.push(intake.record.case.reference.to_string());
    }
    let (session, _) = site.sign_in("alice@example.org").await;
    let mut seen = Vec::new();
    let mut path = "/cases".to_string();
    let mut pages = 0;
    loop {
        let (status, page) = site.get(&path, Some(&session)).await;
        assert_eq!(status, StatusCode::OK);
        pages += 1;
        seen.extend(
            made.iter()
                .filter(|r| page.contains(&format!("href=\"/cases/{r}\"")))
                .cloned(),
        );
        match page.split_once("rel=\"next\" href=\"") {
            Some((_, rest)) => path = rest.split('"').next().unwrap().replace("&amp;", "&"),
            None => break,
        }
    }
    assert_eq!(pages, 2, "a full page, then the rest");
    // Oldest report first: its due times come first.
    assert_eq!(seen, made);
}

#[tokio::test]
async fn the_triage_form_starts_from_the_likeliest_duplicate_and_its_canned_reply() {
    let site = Site::start().await;
    let (first, _) = site.report("Cache poisoning via EDNS").await;
    let (second, status) = site.report("Cache poisoning via EDNS options").await;
    let (session, csrf) = site.sign_in("alice@example.org").await;

    // The first report has nothing before it: the form starts as an
    // acceptance with the accepted reply.
    let (_, page) = site.get(&format!("/cases/{first}"), Some(&session)).await;
    assert!(page.contains("No earlier report of this project is much like this one."));
    assert!(
        page.contains("<option value=\"accepted\" selected>"),
        "{page}"
    );

    // The second shows the first as its likely duplicate, and the form
    // starts as a duplicate of it with the duplicate reply to edit.
    let path = format!("/cases/{second}");
    let (_, page) = site.get(&path, Some(&session)).await;
    let similar = between(&page, "<ol id=\"similar\"", "</ol>");
    assert!(
        similar.contains(&format!("href=\"/cases/{first}\"")),
        "{similar}"
    );
    assert!(similar.contains("Cache poisoning via EDNS"), "{similar}");
    assert!(page.contains("id=\"action-triage\""));
    assert!(
        page.contains("<option value=\"duplicate\" selected>"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"known_issue\" selected>"),
        "{page}"
    );
    assert!(
        page.contains(&format!("name=\"duplicate_of\" value=\"{first}\"")),
        "{page}"
    );
    assert!(page.contains("It describes the same issue as"), "{page}");

    // A duplicate without what it duplicates is refused next to the field.
    let decision = [
        ("csrf", csrf.as_str()),
        ("action", "triage"),
        ("outcome", "duplicate"),
        ("reason", "known_issue"),
        ("text", "Same packet."),
    ];
    let res = site.post(&path, Some(&session), &decision).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("id=\"triage-duplicate_of-error\""), "{page}");

    // Submitted with the reply edited: the case closes as a duplicate,
    // the timeline shows the decision and the reporter reads the reply.
    let mut complete = decision.to_vec();
    complete.push(("duplicate_of", &first));
    complete.push((
        "message",
        "{reference} is {duplicate_of} again; thank you all the same.",
    ));
    let res = site.post(&path, Some(&session), &complete).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let event = last_event(&site, &second).await;
    assert_eq!(event["type"], "message_to_reporter", "{event}");
    let case: serde_json::Value = site
        .http
        .get(site.url(&format!("/api/v1/cases/{second}")))
        .bearer_auth(&site.alice_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(case["open"], false);
    assert_eq!(case["triage"]["outcome"], "duplicate");
    assert_eq!(case["triage"]["duplicate_of"], first);
    let (_, page) = site.get(&status, None).await;
    assert!(
        page.contains(&format!(
            "{second} is {first} again; thank you all the same."
        )),
        "{page}"
    );
}
