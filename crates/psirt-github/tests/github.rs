//! psirt's GitHub client against the stand-in, and the stand-in against
//! PyPI `PyGithub` (an independent client of GitHub's REST API) in the
//! same tests: issues created, read and paginated by `Link`; advisories
//! created, edited, published, with collaborators; GitHub's refusal
//! shapes; then lost answers (the stand-in acts, then fails) never making
//! a second issue or advisory, secondary (429/403 `retry-after`) and
//! primary (`x-ratelimit-reset`) rate limits waited out, 503 retried and
//! reported, refusals not retried.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use psirt_github::testing::{BOT, Fault, OWNER, REPO, StandIn, TOKEN};
use psirt_github::{AdvisoryDraft, GitHub, GitHubError, Patience, Token, Vulnerability, marker};
use serde_json::{Value, json};

/// Runs Python with PyGithub: `script` reads `ARGS` (JSON) and prints JSON.
fn python(script: &str, args: Value) -> Value {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import json, sys\nimport github\nfrom github import Auth, Github\nARGS = json.load(sys.stdin)\n{script}"
        ))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 with PyGithub (scripts/test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(args.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

fn quick() -> Patience {
    Patience {
        attempts: 3,
        max_retry_after: Duration::from_secs(5),
        first_pause: Duration::from_millis(50),
        timeout: Duration::from_secs(5),
    }
}

fn client(stand_in: &StandIn) -> GitHub {
    GitHub::new(
        &stand_in.url,
        &format!("{OWNER}/{REPO}"),
        Token::new(TOKEN),
        quick(),
    )
    .unwrap()
}

fn draft(case: &str) -> AdvisoryDraft {
    AdvisoryDraft {
        summary: "Cache poisoning through crafted CNAME chains".into(),
        description: format!(
            "A crafted CNAME chain poisons the cache.\n\n{}",
            marker(case)
        ),
        cvss_vector_string: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into()),
        severity: None,
        cve_id: None,
        cwe_ids: vec!["CWE-349".into()],
        vulnerabilities: vec![Vulnerability {
            ecosystem: "go".into(),
            package: "github.com/coredns/coredns".into(),
            vulnerable_version_range: Some(">= 1.11.0, < 1.11.2".into()),
            patched_versions: None,
        }],
        credits: vec![],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stand_in_answers_pygithub_as_github_does() {
    let stand_in = StandIn::start(2, &["alice", "bob"]).await;
    stand_in.open_issue_as("someone", "Crash on start");
    let url = stand_in.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        python(
            "g = Github(auth=Auth.Token(ARGS['token']), base_url=ARGS['url'], per_page=100, retry=None)\n\
             repo = g.get_repo(ARGS['repo'])\n\
             out = {'full_name': repo.full_name}\n\
             made = [repo.create_issue(title=f'Issue {n}', body=f'body {n}') for n in range(4)]\n\
             out['numbers'] = [i.number for i in made]\n\
             listed = repo.get_issues(state='all', direction='asc')\n\
             out['listed'] = [i.title for i in listed]\n\
             out['requested'] = [i.number for i in repo.get_issues(state='all')]\n\
             out['one'] = [repo.get_issue(3).title, repo.get_issue(3).user.login]\n\
             try:\n\
             \x20   repo.create_issue(title='')\n\
             except github.GithubException as e:\n\
             \x20   out['no_title'] = [e.status, e.data]\n\
             vuln = github.AdvisoryVulnerability.AdvisoryVulnerabilityInput if hasattr(github.AdvisoryVulnerability, 'AdvisoryVulnerabilityInput') else dict\n\
             adv = repo.create_repository_advisory('Cache poisoning', 'A crafted chain.', 'high', cwe_ids=['CWE-349'], vulnerabilities=[{'package': {'ecosystem': 'go', 'name': 'github.com/coredns/coredns'}, 'vulnerable_version_range': '< 1.11.2', 'patched_versions': None, 'vulnerable_functions': []}])\n\
             out['draft'] = [adv.state, adv.severity, adv.ghsa_id.startswith('GHSA-')]\n\
             g.requester.requestJsonAndCheck('PATCH', adv.url, input={'collaborating_users': ['alice', 'bob']})\n\
             seen = repo.get_repository_advisory(adv.ghsa_id)\n\
             out['collaborators'] = sorted(u.login for u in seen.collaborating_users)\n\
             try:\n\
             \x20   g.requester.requestJsonAndCheck('PATCH', adv.url, input={'collaborating_users': ['mallory']})\n\
             except github.GithubException as e:\n\
             \x20   out['unknown_user'] = [e.status, e.data['message'], e.data['errors']]\n\
             seen.edit(cve_id='CVE-2026-1001', summary='Cache poisoning via CNAME')\n\
             seen.publish()\n\
             done = repo.get_repository_advisory(adv.ghsa_id)\n\
             out['published'] = [done.state, done.cve_id, done.summary, done.publisher.login]\n\
             g.requester.requestJsonAndCheck('PATCH', adv.url, input={'collaborating_users': []})\n\
             out['revoked'] = repo.get_repository_advisory(adv.ghsa_id).collaborating_users\n\
             for n in range(2):\n\
             \x20   repo.create_repository_advisory(f'Other {n}', 'x', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L')\n\
             out['advisories'] = [a.summary for a in repo.get_repository_advisories()]\n\
             try:\n\
             \x20   repo.create_repository_advisory('No vector', 'x', 'CVSS:2.0/AV:N')\n\
             except github.GithubException as e:\n\
             \x20   out['bad_vector'] = e.status\n\
             try:\n\
             \x20   done.edit(state='published')\n\
             except github.GithubException as e:\n\
             \x20   out['again'] = e.status\n\
             out['rate'] = [g.rate_limiting[1], g.rate_limiting[0] < 5000]\n\
             bad = Github(auth=Auth.Token('wrong'), base_url=ARGS['url'], retry=None)\n\
             try:\n\
             \x20   bad.get_repo(ARGS['repo'])\n\
             except github.BadCredentialsException as e:\n\
             \x20   out['wrong_token'] = [e.status, e.data['message']]\n\
             print(json.dumps(out))",
            json!({ "url": url, "token": TOKEN, "repo": format!("{OWNER}/{REPO}") }),
        )
    })
    .await
    .unwrap();
    assert_eq!(out["full_name"], "coredns/coredns");
    assert_eq!(out["numbers"], json!([2, 3, 4, 5]));
    // Five issues over three pages of two, followed by PyGithub through `Link`.
    assert_eq!(
        out["listed"],
        json!(["Crash on start", "Issue 0", "Issue 1", "Issue 2", "Issue 3"])
    );
    assert_eq!(out["requested"], json!([5, 4, 3, 2, 1]), "newest first");
    assert_eq!(out["one"], json!(["Issue 1", BOT]));
    assert_eq!(out["no_title"][0], 422);
    assert_eq!(out["no_title"][1]["message"], "Validation Failed");
    assert_eq!(
        out["no_title"][1]["errors"],
        json!([{ "resource": "Issue", "code": "missing_field", "field": "title" }])
    );
    assert_eq!(
        out["no_title"][1]["documentation_url"],
        "https://docs.github.com/rest"
    );
    assert_eq!(out["draft"], json!(["draft", "high", true]));
    assert_eq!(out["collaborators"], json!(["alice", "bob"]));
    assert_eq!(
        out["unknown_user"],
        json!([
            422,
            "Validation Failed",
            ["Could not resolve to a User with the login of 'mallory'."]
        ])
    );
    assert_eq!(
        out["published"],
        json!([
            "published",
            "CVE-2026-1001",
            "Cache poisoning via CNAME",
            BOT
        ])
    );
    assert_eq!(out["revoked"], json!([]));
    assert_eq!(
        out["advisories"],
        json!(["Other 1", "Other 0", "Cache poisoning via CNAME"])
    );
    assert_eq!(out["bad_vector"], 422);
    assert_eq!(
        out["again"], 422,
        "a published advisory is not published twice"
    );
    // PyGithub read the rate-limit headers.
    assert_eq!(out["rate"], json!([5000, true]));
    assert_eq!(out["wrong_token"], json!([401, "Bad credentials"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_finds_what_pygithub_sees_and_pygithub_sees_what_the_client_made() {
    let stand_in = StandIn::start(2, &["alice", "bob"]).await;
    for n in 0..4 {
        stand_in.open_issue_as("someone", &format!("Other {n}"));
    }
    let gh = client(&stand_in);
    let m = marker("CDNS-2026-0007");
    let body = format!("A fix is coming.\n\n{m}");
    let issue = gh
        .ensure_issue(&m, "Forthcoming security fix", &body)
        .await
        .unwrap();
    assert_eq!(issue.number, 5);
    assert_eq!(issue.url, "https://github.com/coredns/coredns/issues/5");
    // More issues after ours: finding it takes the client over pages.
    for n in 4..7 {
        stand_in.open_issue_as("someone", &format!("Other {n}"));
    }
    assert_eq!(
        gh.ensure_issue(&m, "Forthcoming security fix", &body)
            .await
            .unwrap(),
        issue
    );
    assert_eq!(stand_in.issues().len(), 8, "no second issue");

    let advisory = gh
        .ensure_draft_advisory(&m, &draft("CDNS-2026-0007"))
        .await
        .unwrap();
    assert_eq!(advisory.state, "draft");
    let team = vec!["alice".to_string(), "bob".to_string()];
    let with = gh
        .set_collaborators(&advisory.ghsa_id, &team)
        .await
        .unwrap();
    assert_eq!(with.collaborators, team);
    let mut fixed = draft("CDNS-2026-0007");
    fixed.cve_id = Some("CVE-2026-1001".into());
    fixed.vulnerabilities[0].patched_versions = Some("1.11.2".into());
    let published = gh
        .publish_advisory(&advisory.ghsa_id, &fixed)
        .await
        .unwrap();
    assert_eq!(published.state, "published");
    let revoked = gh.set_collaborators(&advisory.ghsa_id, &[]).await.unwrap();
    assert!(revoked.collaborators.is_empty());
    // Publishing again changes nothing.
    let again = gh
        .publish_advisory(&advisory.ghsa_id, &fixed)
        .await
        .unwrap();
    assert_eq!(again.state, "published");

    let url = stand_in.url.clone();
    let ghsa = advisory.ghsa_id.clone();
    let out = tokio::task::spawn_blocking(move || {
        python(
            "g = Github(auth=Auth.Token(ARGS['token']), base_url=ARGS['url'], retry=None)\n\
             repo = g.get_repo(ARGS['repo'])\n\
             i = repo.get_issue(5)\n\
             a = repo.get_repository_advisory(ARGS['ghsa'])\n\
             v = a.vulnerabilities[0]\n\
             print(json.dumps({'issue': [i.title, i.body], 'advisory': [a.state, a.cve_id, a.cvss.vector_string, a.cwe_ids, v.package.ecosystem, v.package.name, v.vulnerable_version_range, v.patched_versions]}))",
            json!({ "url": url, "token": TOKEN, "repo": format!("{OWNER}/{REPO}"), "ghsa": ghsa }),
        )
    })
    .await
    .unwrap();
    assert_eq!(out["issue"], json!(["Forthcoming security fix", body]));
    assert_eq!(
        out["advisory"],
        json!([
            "published",
            "CVE-2026-1001",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            ["CWE-349"],
            "go",
            "github.com/coredns/coredns",
            ">= 1.11.0, < 1.11.2",
            "1.11.2"
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_never_makes_a_second_issue_or_advisory() {
    let stand_in = StandIn::start(3, &["alice"]).await;
    let gh = client(&stand_in);
    let m = marker("CDNS-2026-0001");
    let body = format!("A fix is coming.\n\n{m}");
    stand_in.fault("POST", "issues", Fault::ActThenFail);
    let issue = gh.ensure_issue(&m, "Forthcoming fix", &body).await.unwrap();
    assert_eq!(stand_in.issues().len(), 1);
    assert_eq!(issue.number, 1);
    // A later run of the step finds it too.
    assert_eq!(
        gh.ensure_issue(&m, "Forthcoming fix", &body).await.unwrap(),
        issue
    );
    let posts = stand_in
        .log()
        .iter()
        .filter(|l| *l == "POST issues")
        .count();
    assert_eq!(posts, 1, "created once");

    stand_in.fault("POST", "security-advisories", Fault::ActThenFail);
    let advisory = gh
        .ensure_draft_advisory(&m, &draft("CDNS-2026-0001"))
        .await
        .unwrap();
    assert_eq!(stand_in.advisories().len(), 1);
    assert_eq!(
        gh.ensure_draft_advisory(&m, &draft("CDNS-2026-0001"))
            .await
            .unwrap()
            .ghsa_id,
        advisory.ghsa_id
    );
    // Another case's marker is not this one's.
    let other = marker("CDNS-2026-0010");
    assert_eq!(gh.find_issue(&other).await.unwrap(), None);
    assert_eq!(stand_in.advisories().len(), 1);

    // A lost answer to the publication: read before retrying, found done.
    let route = format!("security-advisories/{}", advisory.ghsa_id);
    stand_in.fault("PATCH", &route, Fault::ActThenFail);
    let mut content = draft("CDNS-2026-0001");
    content.cve_id = Some("CVE-2026-1001".into());
    let published = gh
        .publish_advisory(&advisory.ghsa_id, &content)
        .await
        .unwrap();
    assert_eq!(published.state, "published");
    assert_eq!(published.cve_id.as_deref(), Some("CVE-2026-1001"));
    let patches = stand_in
        .log()
        .iter()
        .filter(|l| **l == format!("PATCH {route}"))
        .count();
    assert_eq!(patches, 1, "published once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_are_waited_out_outages_are_reported_and_refusals_are_not_retried() {
    let stand_in = StandIn::start(10, &["alice"]).await;
    let gh = client(&stand_in);
    let m = marker("CDNS-2026-0002");
    let body = format!("Soon.\n\n{m}");
    stand_in.fault("POST", "issues", Fault::RateLimit(1));
    let start = Instant::now();
    gh.ensure_issue(&m, "Fix", &body).await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(stand_in.issues().len(), 1);

    stand_in.fault("GET", "security-advisories", Fault::SecondaryRateLimit(1));
    stand_in.fault("POST", "security-advisories", Fault::PrimaryRateLimit(1));
    let advisory = gh
        .ensure_draft_advisory(&m, &draft("CDNS-2026-0002"))
        .await
        .unwrap();
    assert_eq!(stand_in.advisories().len(), 1);

    // 503 on every attempt: unavailable with GitHub's reason; nothing changed.
    let route = format!("security-advisories/{}", advisory.ghsa_id);
    for _ in 0..3 {
        stand_in.fault("PATCH", &route, Fault::Fail(503));
    }
    let err = gh
        .set_collaborators(&advisory.ghsa_id, &["alice".into()])
        .await
        .unwrap_err();
    assert!(err.retryable());
    assert_eq!(err.to_string(), "GitHub is unavailable: 503 Server Error");
    assert_eq!(stand_in.advisories()[0]["collaborating_users"], json!([]));
    // Asked to wait longer than a step waits: the job retries later.
    stand_in.fault("PATCH", &route, Fault::PrimaryRateLimit(3600));
    let start = Instant::now();
    let err = gh
        .set_collaborators(&advisory.ghsa_id, &["alice".into()])
        .await
        .unwrap_err();
    assert!(
        err.retryable() && start.elapsed() < Duration::from_secs(5),
        "{err}"
    );
    assert!(err.to_string().contains("API rate limit exceeded"), "{err}");

    // A refusal is not retried, and says why in GitHub's words.
    let before = stand_in.log().len();
    let err = gh
        .set_collaborators(&advisory.ghsa_id, &["mallory".into()])
        .await
        .unwrap_err();
    assert!(!err.retryable());
    assert_eq!(
        err.to_string(),
        "GitHub refused it (422): Validation Failed: Could not resolve to a User with the login of 'mallory'."
    );
    assert_eq!(stand_in.log().len() - before, 1);
    let wrong = GitHub::new(
        &stand_in.url,
        "coredns/coredns",
        Token::new("wrong"),
        quick(),
    )
    .unwrap();
    let err = wrong.ensure_issue(&m, "Fix", &body).await.unwrap_err();
    assert_eq!(err.to_string(), "GitHub refused it (401): Bad credentials");
    let elsewhere =
        GitHub::new(&stand_in.url, "coredns/other", Token::new(TOKEN), quick()).unwrap();
    let err = elsewhere.find_advisory(&m).await.unwrap_err();
    assert!(
        matches!(err, GitHubError::Refused { status: 404, .. }),
        "{err}"
    );
    // A body without the marker could never be found again: not sent.
    let before = stand_in.log().len();
    assert!(gh.ensure_issue(&m, "Fix", "no marker").await.is_err());
    assert_eq!(stand_in.log().len(), before);
}

#[test]
fn the_token_is_never_in_debug_output() {
    let gh = GitHub::new(
        "https://api.github.com",
        "coredns/coredns",
        Token::new("ghp_s3cr3t"),
        Patience::default(),
    )
    .unwrap();
    let shown = format!("{gh:?} {:?}", Token::new("ghp_s3cr3t"));
    assert!(!shown.contains("s3cr3t"), "{shown}");
    assert!(shown.contains("<redacted>"));
    assert!(
        GitHub::new(
            "https://api.github.com",
            "no-slash",
            Token::new("t"),
            Patience::default()
        )
        .is_err()
    );
}
