//! The pages in a real browser: headless Chromium driven through
//! chromedriver (WebDriver), against the real server on 127.0.0.1 with a
//! temporary SQLite database. No JavaScript is needed by the pages; the
//! browser is here to prove that forms, redirects and cookies work as a
//! person uses them. Each test saves screenshots under
//! `target/screenshots/` (look at them).
//!
//! Chromium and chromedriver come from Debian (`scripts/test` installs
//! them); the tests fail, never skip, when they are missing.

mod support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use psirt_core::{Command as CaseCommand, NewReport, Secret};
use psirt_server::{AppState, Settings, app};
use psirt_store::{Caller, Principal, Store, User};
use support::{Role, Team};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const INSTALL: &str = "apt-get update && apt-get install -y chromium chromium-driver";
const PASSWORD: &str = "correct horse battery staple";

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser session on its own chromedriver and fresh profile.
async fn browser() -> (Client, Driver) {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(
            std::path::Path::new(tool).exists(),
            "{tool} is missing: the browser tests need Debian's Chromium and chromedriver. Install them with:\n    {INSTALL}\n(scripts/test does this)"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; install with: {INSTALL}"));
    let profile = tempfile::tempdir().unwrap();
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _profile: profile,
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let args = vec![
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--disable-dev-shm-usage".into(),
        format!("--user-data-dir={}", driver._profile.path().display()),
        "--window-size=1280,1400".into(),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": args }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .unwrap_or_else(|e| panic!("chromedriver did not start Chromium: {e}"));
    (client, driver)
}

struct Site {
    base: String,
    store: Store,
    users: [User; 3],
    _dir: tempfile::TempDir,
}

impl Site {
    /// The server with alice and bob on the PST and dev, a developer.
    async fn start() -> Site {
        let (store, dir) = support::sqlite().await;
        let users = Team::on("default", "Default")
            .named("alice@example.org", "Alice", Role::Pst)
            .named("bob@example.org", "Bob", Role::Pst)
            .named("dev@example.org", "Dev", Role::Developer)
            .password(PASSWORD)
            .add::<3>(&store, psirt_server::now())
            .await
            .map(|p| p.user);
        let (router, _) = app(AppState::new(store.clone(), Settings::default()));
        let base = support::serve(router).await;
        Site {
            base,
            store,
            users,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn report(&self, summary: &str) -> String {
        let intake = self
            .store
            .report(
                NewReport {
                    project: "default".into(),
                    summary: summary.into(),
                    details: Secret::new(
                        "plugin/cache: crafted EDNS options poison the cache".into(),
                    ),
                    reporter: None,
                    public_link: None,
                    already_public: false,
                    ai_assisted: false,
                },
                "test",
                psirt_server::now(),
            )
            .await
            .unwrap();
        intake.record.case.reference.to_string()
    }

    async fn run(&self, who: usize, reference: &str, command: CaseCommand) {
        let caller = Caller::new(Principal::User(self.users[who].clone()), "test");
        self.store
            .execute(
                &caller,
                reference.parse().unwrap(),
                command,
                None,
                psirt_server::now(),
            )
            .await
            .unwrap();
    }
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn text(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not on the page: {e}"))
        .text()
        .await
        .unwrap()
}

async fn fill(client: &Client, id: &str, value: &str) {
    let input = client.find(Locator::Id(id)).await.unwrap();
    input.clear().await.unwrap();
    input.send_keys(value).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} not on the page: {e}"))
        .click()
        .await
        .unwrap();
}

/// Clicks something that loads a new page (a submit button, a link) and
/// waits until the old page is gone, so the next look is at the new one.
async fn navigate(client: &Client, css: &str) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    click(client, css).await;
    for _ in 0..400 {
        if old.tag_name().await.is_err() {
            // Stale: the browser has replaced the document. Wait until the
            // new one has finished loading.
            client
                .wait()
                .for_element(Locator::Css("body"))
                .await
                .unwrap();
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("clicking {css} did not load a new page within 10 s");
}

async fn sign_in(client: &Client, site: &Site, email: &str) {
    sign_in_to(client, site, email, "/cases").await;
}

/// Signs in through the form and checks the page it lands on.
async fn sign_in_to(client: &Client, site: &Site, email: &str, landing: &str) {
    sign_in_at(client, site, "", email, landing).await;
}

/// Signs in through the form of the pages under `prefix` (a project's
/// `/p/{project}`, or none).
async fn sign_in_at(client: &Client, site: &Site, prefix: &str, email: &str, landing: &str) {
    client
        .goto(&site.url(&format!("{prefix}/signin")))
        .await
        .unwrap();
    fill(client, "signin-email", email).await;
    fill(client, "signin-password", PASSWORD).await;
    navigate(client, "main form button[type=submit]").await;
    assert_eq!(
        client.current_url().await.unwrap().path(),
        landing,
        "landing of {email}"
    );
}

async fn sign_out(client: &Client) {
    navigate(client, "form.signout button[type=submit]").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/signin");
}

/// The confirmation of a report just filed: its reference, and its status
/// link under `prefix`, followed.
async fn filed(client: &Client, prefix: &str, screenshot: &str) -> String {
    let lead = text(client, "main .lead").await;
    let reference = lead
        .split_whitespace()
        .find(|w| w.starts_with("PSIRT-"))
        .unwrap_or_else(|| panic!("no reference in {lead:?}"))
        .to_string();
    shot(client, screenshot).await;
    navigate(client, "#status-link").await;
    let path = client.current_url().await.unwrap().path().to_string();
    assert!(
        path.starts_with(&format!("{prefix}/status/psirt_")),
        "{path}"
    );
    reference
}

#[tokio::test]
async fn a_reporter_files_a_report_and_follows_it_through_the_status_link() {
    let site = Site::start().await;
    let (client, _driver) = browser().await;
    client.goto(&site.url("/report")).await.unwrap();
    // First without the required fields: the form comes back with errors.
    fill(&client, "report-affected_versions", "1.10.0 to 1.11.1").await;
    navigate(&client, "main form button[type=submit]").await;
    assert!(
        text(&client, "#report-summary-error")
            .await
            .contains("is required")
    );
    assert_eq!(
        client
            .find(Locator::Id("report-affected_versions"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("1.10.0 to 1.11.1")
    );
    shot(&client, "reporter-1-form-errors").await;

    fill(
        &client,
        "report-summary",
        "Cache poisoning via EDNS <b>options</b>",
    )
    .await;
    fill(
        &client,
        "report-location",
        "plugin/cache: crafted EDNS options poison the cache for every client.",
    )
    .await;
    fill(
        &client,
        "report-steps",
        "1. Run coredns with the cache plugin\n2. Send the packet below",
    )
    .await;
    fill(
        &client,
        "report-poc",
        "dig @127.0.0.1 +ednsopt=65001:00 example.org",
    )
    .await;
    fill(&client, "report-reporter_name", "Jane Finder").await;
    // A file input takes a path typed into it (Chromium).
    let files = tempfile::tempdir().unwrap();
    let capture = files.path().join("edns-poison.txt");
    std::fs::write(
        &capture,
        "22:14:01 IP 10.0.0.1.53 > 10.0.0.2.5353: EDNS0 opt 65001\n",
    )
    .unwrap();
    client
        .find(Locator::Id("report-attachments"))
        .await
        .unwrap()
        .send_keys(capture.to_str().unwrap())
        .await
        .unwrap();
    navigate(&client, "main form button[type=submit]").await;
    let reference = filed(&client, "", "reporter-2-confirmation").await;
    assert_eq!(text(&client, "#stage").await, "received, awaiting triage");
    assert_eq!(
        text(&client, "main .lead").await,
        "Cache poisoning via EDNS <b>options</b>"
    );
    fill(&client, "reply-text", "I can also share a packet capture.").await;
    navigate(&client, "form button[type=submit]").await;
    assert!(
        client
            .source()
            .await
            .unwrap()
            .contains("I can also share a packet capture.")
    );
    click(&client, "#credit-anonymous").await;
    navigate(&client, "#credit ~ form button[type=submit]").await;
    assert!(
        text(&client, "dl.facts")
            .await
            .contains("Reported by someone who asked to stay anonymous")
    );
    shot(&client, "reporter-3-status").await;

    client.set_window_size(412, 915).await.unwrap();
    shot(&client, "reporter-4-status-phone").await;

    // The team sees the file on the case page, with its size and hash.
    client.set_window_size(1280, 1400).await.unwrap();
    sign_in(&client, &site, "alice@example.org").await;
    client
        .goto(&site.url(&format!("/cases/{reference}")))
        .await
        .unwrap();
    let listed = text(&client, "#attachments").await;
    assert!(
        listed.contains("edns-poison.txt") && listed.contains("57 bytes, text/plain"),
        "{listed}"
    );
    shot(&client, "reporter-5-case-with-attachment").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_pst_member_assigns_the_fix_lead_and_scores_the_case() {
    let site = Site::start().await;
    let reference = site.report("Cache poisoning via EDNS").await;
    let (client, _driver) = browser().await;
    sign_in(&client, &site, "alice@example.org").await;
    let row = text(&client, "#cases tbody tr").await;
    assert!(
        row.contains(&reference)
            && row.contains("Fix Lead assigned")
            && row.contains("not assigned"),
        "{row}"
    );
    shot(&client, "pst-1-dashboard").await;

    navigate(&client, &format!("a[href='/cases/{reference}']")).await;
    let cvss_due_before = text(&client, "#m-cvss_scored .due").await;
    assert!(
        text(&client, "#m-fix_lead_assigned")
            .await
            .contains("Pending")
    );
    click(&client, "#action-assign_fix_lead summary").await;
    fill(&client, "assign_fix_lead-lead", "alice@example.org").await;
    fill(&client, "assign_fix_lead-reason", "knows the cache plugin").await;
    navigate(&client, "#action-assign_fix_lead button[type=submit]").await;
    assert!(text(&client, "#fix-lead").await.contains("Alice"));
    assert!(text(&client, "#m-fix_lead_assigned").await.contains("Done"));
    shot(&client, "pst-2-fix-lead-assigned").await;

    // Preview first: the score is shown and nothing is saved.
    let vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
    fill(&client, "cvss-vector", vector).await;
    navigate(&client, "button[value=preview_cvss]").await;
    assert!(
        text(&client, "#cvss-preview")
            .await
            .contains("9.8 Critical")
    );
    assert_eq!(text(&client, "#cvss-final").await, "not final yet");
    shot(&client, "pst-3-cvss-preview").await;
    navigate(&client, "button[value=propose_cvss]").await;
    assert!(
        text(&client, "ul.proposals")
            .await
            .contains("proposed by Alice")
    );
    fill(&client, "cvss-vector", vector).await;
    navigate(&client, "button[value=finalize_cvss]").await;
    assert!(
        text(&client, "#cvss-final")
            .await
            .starts_with("9.8 Critical (final)")
    );
    // The checklist moved: CVSS is done, no longer due.
    let cvss_row = text(&client, "#m-cvss_scored").await;
    assert!(cvss_row.contains("Done"), "{cvss_row}");
    assert!(!cvss_row.contains(&cvss_due_before), "{cvss_row}");
    shot(&client, "pst-4-cvss-final").await;

    client.goto(&site.url("/cases")).await.unwrap();
    let row = text(&client, "#cases tbody tr").await;
    assert!(
        row.contains("Alice") && row.contains("9.8 Critical"),
        "{row}"
    );
    assert!(
        !row.contains("Fix Lead assigned"),
        "the next due step moved on: {row}"
    );
    shot(&client, "pst-5-dashboard-after").await;
    client.set_window_size(412, 915).await.unwrap();
    client
        .goto(&site.url(&format!("/cases/{reference}")))
        .await
        .unwrap();
    shot(&client, "pst-6-case-phone").await;
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_fix_team_member_cannot_open_another_teams_case() {
    let site = Site::start().await;
    let theirs = site.report("Cache poisoning via EDNS").await;
    let other = site.report("Zone transfer leaks private records").await;
    let alice = site.users[0].id;
    let dev = site.users[2].id;
    site.run(
        0,
        &theirs,
        CaseCommand::AssignFixLead {
            lead: Some(alice),
            override_reason: Some("knows the cache plugin".into()),
        },
    )
    .await;
    site.run(0, &theirs, CaseCommand::FormFixTeam { members: vec![dev] })
        .await;

    let (client, _driver) = browser().await;
    sign_in(&client, &site, "dev@example.org").await;
    let table = text(&client, "#cases").await;
    assert!(
        table.contains(&theirs) && !table.contains(&other),
        "{table}"
    );
    client
        .goto(&site.url(&format!("/cases/{theirs}")))
        .await
        .unwrap();
    assert!(text(&client, "h1").await.contains("Cache poisoning"));
    // The Fix Team may propose but not finalize, nor assign the Fix Lead.
    assert!(
        client
            .find(Locator::Css("button[value=propose_cvss]"))
            .await
            .is_ok()
    );
    assert!(
        client
            .find(Locator::Css("button[value=finalize_cvss]"))
            .await
            .is_err()
    );
    assert!(
        client
            .find(Locator::Css("#action-assign_fix_lead"))
            .await
            .is_err()
    );
    shot(&client, "team-1-own-case").await;
    client
        .goto(&site.url(&format!("/cases/{other}")))
        .await
        .unwrap();
    assert_eq!(text(&client, "h1").await, "Not allowed");
    assert!(!client.source().await.unwrap().contains("Zone transfer"));
    shot(&client, "team-2-other-case-denied").await;
    client.close().await.unwrap();
}

/// An organisation joins the distributors list through the pages: it
/// applies, its voucher vouches, its person accepts the embargo policy for
/// themself, and the PST approves; each sees the state on their own page.
#[tokio::test]
async fn an_organisation_applies_is_vouched_for_accepts_the_policy_and_is_approved() {
    let site = Site::start().await;
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
    let founder = site
        .store
        .user_by_email(&"founder@origin.example".parse().unwrap())
        .await
        .unwrap();
    site.store.set_password(founder.id, PASSWORD).await.unwrap();
    let key = psirt_mail::InstanceKey::generate("Ann <ann@distro.example>")
        .unwrap()
        .public_key_armored()
        .unwrap();

    let (client, _driver) = browser().await;
    client.goto(&site.url("/distributors/apply")).await.unwrap();
    fill(&client, "apply-organisation", "Distro").await;
    let answers = [
        "We ship coredns in our stable release.",
        "About two million installations.",
        "https://distro.example/security",
        "We build every package ourselves.",
        "We send our patches upstream.",
        "We accept the embargo policy.",
        "Origin vouches for us.",
    ];
    for (i, answer) in answers.iter().enumerate() {
        fill(&client, &format!("apply-criterion_{}", i + 1), answer).await;
    }
    // The voucher first, so that the browser shows the person last filled in.
    fill(&client, "apply-voucher", "founder@origin.example").await;
    fill(&client, "apply-person1_name", "Ann").await;
    fill(&client, "apply-person1_email", "ann@distro.example").await;
    fill(&client, "apply-person1_key", &key).await;
    shot(&client, "distributors-1-application").await;
    navigate(&client, "main form button[type=submit]").await;
    assert_eq!(text(&client, "h1").await, "Application received");
    let received = text(&client, "main .notice").await;
    assert!(
        received.contains("Distro") && received.contains("founder@origin.example"),
        "{received}"
    );
    shot(&client, "distributors-2-confirmation").await;

    let alice = Caller::new(Principal::User(site.users[0].clone()), "test");
    let org = site
        .store
        .distributor_orgs(&alice, "default")
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.name == "Distro")
        .expect("the application is stored")
        .id;
    let section = format!("#org-{org}");

    // The voucher lands on the portal, reads the answers and vouches.
    sign_in_to(&client, &site, "founder@origin.example", "/distributors").await;
    let request = text(&client, &section).await;
    assert!(
        request.contains("Applied: waits for the voucher")
            && request.contains("Vouch for Distro")
            && request.contains("We build every package ourselves."),
        "{request}"
    );
    navigate(&client, &format!("{section} button[value=vouch]")).await;
    assert!(
        text(&client, "main .notice")
            .await
            .contains("your answer to the application is recorded")
    );
    assert!(
        text(&client, &format!("{section} dl.facts"))
            .await
            .contains("Vouched for: waits for the security team")
    );
    sign_out(&client).await;

    // Ann, given a password by the administrator, lands on the portal and
    // is shown the policy; nothing else until she accepts it.
    let ann = site
        .store
        .user_by_email(&"ann@distro.example".parse().unwrap())
        .await
        .unwrap();
    site.store.set_password(ann.id, PASSWORD).await.unwrap();
    sign_in_to(&client, &site, "ann@distro.example", "/distributors").await;
    assert!(
        text(&client, &format!("{section} dl.facts"))
            .await
            .contains("Vouched for: waits for the security team")
    );
    let people = text(&client, &format!("{section} table")).await;
    assert!(
        people.contains("ann@distro.example") && people.contains("Not yet accepted"),
        "{people}"
    );
    assert!(
        text(&client, &section)
            .await
            .contains("must not be made public")
    );
    shot(&client, "distributors-3-portal-before-accepting").await;
    navigate(
        &client,
        &format!("{section} form:has(input[value=accept]) button[type=submit]"),
    )
    .await;
    assert!(
        text(&client, "main .notice")
            .await
            .contains("you accepted the embargo policy")
    );
    let people = text(&client, &format!("{section} table")).await;
    assert!(
        people.contains("Accepted") && !people.contains("Not yet accepted"),
        "{people}"
    );
    assert!(
        client
            .find(Locator::Css("input[value=accept]"))
            .await
            .is_err(),
        "the policy is accepted once"
    );
    shot(&client, "distributors-4-portal-after-accepting").await;
    sign_out(&client).await;

    // The PST reads the application on the organisation's page: a
    // rejection needs a reason, which the form says; then it approves.
    sign_in(&client, &site, "alice@example.org").await;
    client.goto(&site.url("/distributors/admin")).await.unwrap();
    navigate(&client, &format!("a[href='/distributors/admin/{org}']")).await;
    assert_eq!(text(&client, "h1").await, "Distro");
    assert!(
        text(&client, "dl.facts")
            .await
            .contains("Vouched for: waits for the security team")
    );
    let people = text(&client, "main table").await;
    assert!(
        people.contains("ann@distro.example") && people.contains("Accepted"),
        "{people}"
    );
    navigate(&client, "button[value=reject]").await;
    assert!(
        text(&client, "#decide-reason-error")
            .await
            .contains("give the reason")
    );
    shot(&client, "distributors-5-pst-reason-required").await;
    assert!(
        text(&client, "dl.facts")
            .await
            .contains("Vouched for: waits for the security team"),
        "nothing decided"
    );
    navigate(&client, "button[value=approve]").await;
    assert!(
        text(&client, "main .notice")
            .await
            .contains("the decision is recorded")
    );
    assert!(text(&client, "dl.facts").await.contains("Approved"));
    // Each person can be removed from here; a tall window shows the table.
    assert!(
        client
            .find(Locator::Css(
                "button[aria-label='Remove ann@distro.example']"
            ))
            .await
            .is_ok()
    );
    client.set_window_size(1280, 2600).await.unwrap();
    shot(&client, "distributors-6-pst-approved").await;
    client.set_window_size(1280, 1400).await.unwrap();
    sign_out(&client).await;

    // Ann sees the outcome on her portal, and may now add her team.
    sign_in_to(&client, &site, "ann@distro.example", "/distributors").await;
    assert!(
        text(&client, &format!("{section} dl.facts"))
            .await
            .contains("Approved")
    );
    assert!(
        text(&client, &section)
            .await
            .contains("Add a person of your team")
    );
    shot(&client, "distributors-7-portal-approved").await;
    client.close().await.unwrap();
}

/// Sets a field's value as a person would pick it (a date picker or a
/// select, which typing does not drive the same way in every locale).
async fn set_value(client: &Client, id: &str, value: &str) {
    client
        .execute(
            "document.getElementById(arguments[0]).value = arguments[1];",
            vec![id.into(), value.into()],
        )
        .await
        .unwrap();
}

/// The embargo-break path as its people walk it: a distributor reports a
/// leak on the portal; the PST member sees the case urgent on the
/// dashboard, opens it and chooses to release early; the distributor's
/// portal shows the new date with the old one struck, and the embargo
/// update reaches them encrypted (gpg decrypts it).
#[tokio::test]
async fn an_embargo_break_raises_the_alarm_and_releasing_early_tells_the_distributors() {
    let site = Site::start().await;
    let gpg = psirt_mail::testing::gpg::Gpg::new();
    gpg.gen_key("founder@origin.example", "0");
    let armored = gpg.export("founder@origin.example");
    let now = psirt_server::now();
    let fingerprint = psirt_mail::PublicKey::from_armored(&armored, now)
        .unwrap()
        .fingerprint()
        .to_string();
    site.store
        .found_distributor(
            "default",
            "Origin",
            psirt_store::NewPerson {
                name: "Founder".into(),
                email: "founder@origin.example".parse().unwrap(),
                key: Some(psirt_store::CheckedKey::new(&fingerprint, &armored).unwrap()),
            },
            now,
        )
        .await
        .unwrap();
    let founder = site
        .store
        .user_by_email(&"founder@origin.example".parse().unwrap())
        .await
        .unwrap();
    site.store.set_password(founder.id, PASSWORD).await.unwrap();
    let reference = site.report("Cache poisoning via EDNS").await;
    let commit: psirt_core::CommitId = "a1b2c3d".parse().unwrap();
    let alice = site.users[0].id;
    for (who, command) in [
        (
            1,
            CaseCommand::AssignFixLead {
                lead: Some(alice),
                override_reason: Some("knows the cache".into()),
            },
        ),
        (
            0,
            CaseCommand::AddFixCommit {
                commit: commit.clone(),
                author: "alice".into(),
                author_user: Some(alice),
                url: None,
            },
        ),
        (1, CaseCommand::ApproveCommit { commit }),
        (0, CaseCommand::MarkFixReady),
        (
            0,
            CaseCommand::DecideDistributors(psirt_core::DistributorDecision {
                notify: true,
                rationale: "Remotely exploitable.".into(),
                embargo_end: Some(now + jiff::SignedDuration::from_hours(24 * 7)),
                long_embargo_reason: None,
                off_slot_reason: None,
            }),
        ),
        (
            0,
            CaseCommand::NotifyDistributors {
                patches: vec!["diff --git a/plugin/cache b/plugin/cache".into()],
                affected_versions: None,
                fixed_versions: Some("1.12.1".into()),
            },
        ),
    ] {
        site.run(who, &reference, command).await;
    }
    site.store
        .review_drafts(
            &Caller::new(Principal::User(site.users[0].clone()), "test"),
            reference.parse().unwrap(),
            psirt_core::MailKind::PreNotification,
            psirt_store::DraftDecision::Approve,
            now,
        )
        .await
        .unwrap();

    // The distributor reports the leak on the case's notice.
    let (client, _driver) = browser().await;
    sign_in_to(&client, &site, "founder@origin.example", "/distributors").await;
    client
        .goto(&site.url(&format!("/distributors/cases/{reference}")))
        .await
        .unwrap();
    fill(&client, "leak-what", "The patch").await;
    fill(&client, "leak-to_whom", "A public mirror of our build farm").await;
    let leaked = (now - jiff::SignedDuration::from_hours(1))
        .strftime("%Y-%m-%dT%H:%M")
        .to_string();
    set_value(&client, "leak-when", &leaked).await;
    navigate(&client, "form:has(input[value=leak]) button[type=submit]").await;
    assert!(
        text(&client, "main .notice")
            .await
            .contains("the leak is reported"),
    );
    shot(&client, "break-1-leak-reported").await;
    sign_out(&client).await;

    // The PST member sees it urgent, first, and opens it.
    sign_in(&client, &site, "alice@example.org").await;
    let row = text(&client, &format!("tr:has(a[href='/cases/{reference}'])")).await;
    assert!(
        row.contains("Urgent") && row.contains("Embargo break assessed"),
        "{row}"
    );
    shot(&client, "break-2-dashboard-urgent").await;
    navigate(&client, &format!("a[href='/cases/{reference}']")).await;
    click(&client, "#action-assess_embargo_break summary").await;
    set_value(&client, "assess_embargo_break-release_early", "yes").await;
    fill(
        &client,
        "assess_embargo_break-reason",
        "The patch is public on a mirror",
    )
    .await;
    navigate(
        &client,
        "#action-assess_embargo_break form button[type=submit]",
    )
    .await;
    assert!(text(&client, "main .notice").await.contains("Saved"));
    assert!(
        client
            .find(Locator::Css("#action-assess_embargo_break"))
            .await
            .is_err(),
        "the form is gone once the break is assessed"
    );
    shot(&client, "break-3-released-early").await;
    sign_out(&client).await;

    // The distributor's portal shows the new date, the old one struck.
    sign_in_to(&client, &site, "founder@origin.example", "/distributors").await;
    let listed = text(
        &client,
        &format!("tr:has(a[href='/distributors/cases/{reference}'])"),
    )
    .await;
    assert!(listed.contains("moved earlier"), "{listed}");
    assert!(
        client
            .find(Locator::Css(&format!(
                "tr:has(a[href='/distributors/cases/{reference}']) del"
            )))
            .await
            .is_ok(),
        "the old date is struck"
    );
    shot(&client, "break-4-portal-new-date").await;
    client.close().await.unwrap();

    // And the embargo update reaches them encrypted.
    let mut sink = psirt_mail::testing::smtp_sink::SmtpSink::start(Default::default());
    let instance = psirt_mail::InstanceKey::generate("psirt <security@example.org>").unwrap();
    let delivery = psirt_jobs::deliver::Delivery {
        store: site.store.clone(),
        smtp: psirt_mail::Smtp::new(&sink.config()).unwrap(),
        key: instance.clone(),
        from: psirt_mail::Mailbox::new(Some("psirt"), "security@example.org".parse().unwrap()),
        worker: "test".into(),
        lease: jiff::SignedDuration::from_mins(5),
        first_retry: jiff::SignedDuration::from_secs(30),
        clock: psirt_server::now,
    };
    delivery.round(psirt_server::now()).await.unwrap();
    let received = sink.messages();
    sink.stop();
    gpg.import(&instance.public_key_armored().unwrap());
    let update = received
        .iter()
        .filter(|m| m.rcpt_to == ["founder@origin.example"])
        .map(|m| {
            gpg.decrypt_pgp_mime(&m.bytes)
                .expect("encrypted to the founder")
        })
        .map(|d| String::from_utf8_lossy(&d.plaintext).into_owned())
        .find(|text| text.contains("now ends EARLIER"))
        .expect("the embargo update");
    assert!(update.contains(&reference), "{update}");
}

/// Two projects on one instance: a report filed through project Beta's
/// pages (`/p/beta/`) lands on Beta's dashboard, where its PST signs in
/// and finds it, and not on the default project's, whose PST member does
/// not see it anywhere.
#[tokio::test]
async fn a_report_filed_on_a_projects_pages_reaches_that_projects_dashboard_only() {
    let site = Site::start().await;
    Team::on("beta", "Beta")
        .named("bea@example.org", "Bea", Role::Pst)
        .password(PASSWORD)
        .add::<1>(&site.store, psirt_server::now())
        .await;
    let (client, _driver) = browser().await;

    // From the instance's front page to Beta's policy and report form.
    client.goto(&site.url("/")).await.unwrap();
    navigate(&client, "#projects a[href='/p/beta/']").await;
    assert_eq!(text(&client, "main h1").await, "Security policy of Beta");
    navigate(&client, "main a[href='/p/beta/report']").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/p/beta/report");
    fill(&client, "report-summary", "Beta's parser overflows").await;
    fill(
        &client,
        "report-location",
        "beta/parser: a crafted header overflows the buffer.",
    )
    .await;
    navigate(&client, "main form button[type=submit]").await;
    let reference = filed(&client, "/p/beta", "projects-1-beta-report-filed").await;

    // Beta's PST signs in on Beta's pages and lands on Beta's dashboard.
    sign_in_at(
        &client,
        &site,
        "/p/beta",
        "bea@example.org",
        "/p/beta/cases",
    )
    .await;
    assert!(
        text(&client, "#cases")
            .await
            .contains("Beta's parser overflows")
    );
    navigate(
        &client,
        &format!("#cases a[href='/p/beta/cases/{reference}']"),
    )
    .await;
    assert!(text(&client, "main").await.contains(&reference));
    shot(&client, "projects-2-beta-dashboard-case").await;
    navigate(&client, "form.signout button[type=submit]").await;
    assert_eq!(client.current_url().await.unwrap().path(), "/p/beta/signin");

    // The default project's PST member sees nothing of it.
    sign_in_at(
        &client,
        &site,
        "/p/default",
        "alice@example.org",
        "/p/default/cases",
    )
    .await;
    assert!(!client.source().await.unwrap().contains(&reference));
    client.goto(&site.url("/cases")).await.unwrap();
    assert!(!client.source().await.unwrap().contains(&reference));
    shot(&client, "projects-3-default-dashboard").await;
    client.close().await.unwrap();
}
