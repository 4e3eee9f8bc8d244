//! psirt's only door to GitHub's REST API (version 2022-11-28): the
//! forthcoming-fix issue in a project's public repository
//! (`POST /repos/{owner}/{repo}/issues`) and the case's repository
//! security advisory (`/repos/{owner}/{repo}/security-advisories`):
//! created as a draft, its collaborators set and revoked, and published.
//!
//! The texts arrive ready-made (the core's notice text, the case record);
//! this crate never writes one and decides nothing about the case. It must
//! never create a second issue or advisory when an answer is lost: every
//! body it creates carries a hidden marker with the case reference
//! ([`marker`]), and before it creates and before it retries a creation it
//! looks for the one it made (every page, following the `Link` header).
//! It never logs or shows the token ([`Token`] redacts it).

use std::time::Duration;

use psirt_core::Secret;
use psirt_http::{Acted, Answer};
use serde::Deserialize;
use serde_json::{Value, json};

mod http;
#[cfg(feature = "testing")]
pub mod testing;

/// How hard the client tries within one step: attempts per request, the
/// longest rate-limit wait it sits out, the first pause after a 5xx or a
/// timeout (doubling), each request's timeout; the CVE Services client's
/// too.
pub use psirt_http::Patience;

/// What went wrong, with GitHub's own words where it gave them.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// GitHub refused the request (4xx other than a rate limit): retrying
    /// will not help.
    #[error("GitHub refused it ({status}): {message}")]
    Refused { status: u16, message: String },
    /// GitHub is down, rate-limited us for longer than a step waits, or
    /// did not answer in time: the step may be retried later.
    #[error("GitHub is unavailable: {0}")]
    Unavailable(String),
    /// GitHub answered with something this client does not understand.
    #[error("GitHub answered unexpectedly: {0}")]
    Unexpected(String),
}

impl GitHubError {
    /// Whether the job may try the step again later.
    pub fn retryable(&self) -> bool {
        matches!(self, GitHubError::Unavailable(_))
    }
}

impl From<psirt_http::Unavailable> for GitHubError {
    fn from(psirt_http::Unavailable(reason): psirt_http::Unavailable) -> GitHubError {
        GitHubError::Unavailable(reason)
    }
}

/// A GitHub token (a fine-grained or classic personal access token, or an
/// installation token): sent as `Authorization: Bearer`, never shown.
#[derive(Clone)]
pub struct Token(Secret<String>);

impl Token {
    pub fn new(token: impl Into<String>) -> Token {
        Token(Secret::new(token.into()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// The hidden marker psirt puts in what it creates for a case, so that it
/// can find it again: an HTML comment, which GitHub does not render.
pub fn marker(case: &str) -> String {
    format!("<!-- psirt-case: {case} -->")
}

/// An issue as GitHub has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    /// The issue's page (`html_url`).
    pub url: String,
}

/// One credit on an advisory: GitHub credits accounts, so only a login
/// can be credited, with GitHub's type (`finder`, `reporter`, `analyst`,
/// `coordinator`, `remediation_developer`, `remediation_reviewer`,
/// `remediation_verifier`, `tool`, `sponsor`, `other`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    pub login: String,
    pub credit_type: String,
}

/// One affected package of an advisory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vulnerability {
    /// GitHub's ecosystem name: `go`, `npm`, `pip`, `rust`, `other`, …
    pub ecosystem: String,
    pub package: String,
    pub vulnerable_version_range: Option<String>,
    pub patched_versions: Option<String>,
}

impl Vulnerability {
    fn json(&self) -> Value {
        json!({
            "package": { "ecosystem": self.ecosystem, "name": self.package },
            "vulnerable_version_range": self.vulnerable_version_range,
            "patched_versions": self.patched_versions,
            "vulnerable_functions": [],
        })
    }
}

/// What a draft advisory says, from the case record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdvisoryDraft {
    pub summary: String,
    pub description: String,
    /// `CVSS:3.1/…` or `CVSS:4.0/…`; without one, `severity` is sent.
    pub cvss_vector_string: Option<String>,
    /// `critical`, `high`, `medium` or `low`, when there is no vector.
    pub severity: Option<String>,
    pub cve_id: Option<String>,
    pub cwe_ids: Vec<String>,
    pub vulnerabilities: Vec<Vulnerability>,
    /// Sent as the advisory's `credits` (the whole list, each time).
    pub credits: Vec<Credit>,
}

impl AdvisoryDraft {
    fn json(&self) -> Value {
        let mut request = json!({
            "summary": self.summary,
            "description": self.description,
            "cwe_ids": self.cwe_ids,
            "vulnerabilities": self.vulnerabilities.iter().map(Vulnerability::json).collect::<Vec<_>>(),
            "credits": self.credits.iter()
                .map(|c| json!({ "login": c.login, "type": c.credit_type }))
                .collect::<Vec<_>>(),
        });
        match (&self.cvss_vector_string, &self.severity) {
            (Some(v), _) => request["cvss_vector_string"] = json!(v),
            (None, Some(s)) => request["severity"] = json!(s),
            (None, None) => {}
        }
        if let Some(cve) = &self.cve_id {
            request["cve_id"] = json!(cve);
        }
        request
    }
}

/// A repository security advisory as GitHub has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Advisory {
    pub ghsa_id: String,
    /// The advisory's page (`html_url`).
    pub url: String,
    /// `draft`, `published`, `closed`, `triage`, `withdrawn`.
    pub state: String,
    pub cve_id: Option<String>,
    /// The logins of the users who may see and edit the draft.
    pub collaborators: Vec<String>,
}

/// One repository on one GitHub (or GitHub Enterprise Server) API.
#[derive(Clone, Debug)]
pub struct GitHub {
    /// `https://api.github.com/repos/{owner}/{repo}/`.
    repo: String,
    http: http::Client,
}

#[derive(Deserialize)]
struct IssueJson {
    number: u64,
    html_url: String,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    pull_request: Option<Value>,
}

impl GitHub {
    /// `api_url` is the API root (`https://api.github.com`); `repository`
    /// is `owner/name`.
    pub fn new(
        api_url: &str,
        repository: &str,
        token: Token,
        patience: Patience,
    ) -> Result<GitHub, GitHubError> {
        let (owner, name) = repository
            .split_once('/')
            .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| {
                GitHubError::Unexpected(format!("repository {repository:?} is not owner/name"))
            })?;
        let root = api_url.trim_end_matches('/');
        Ok(GitHub {
            repo: format!("{root}/repos/{owner}/{name}/"),
            http: http::Client::new(token, patience)?,
        })
    }

    /// The case's issue: the one psirt made for it (found by `marker` in
    /// its body), or a new one with `title` and `body` (which must carry
    /// the marker). A creation whose answer was lost is found, not repeated.
    pub async fn ensure_issue(
        &self,
        marker: &str,
        title: &str,
        body: &str,
    ) -> Result<Issue, GitHubError> {
        if !body.contains(marker) {
            return Err(GitHubError::Unexpected(
                "the issue's body must carry the case's marker".into(),
            ));
        }
        let request = json!({ "title": title, "body": body });
        let url = format!("{}issues", self.repo);
        let issue = self
            .once(reqwest::Method::POST, &url, &request, || {
                self.find_issue(marker)
            })
            .await?;
        match issue {
            Acted::Found(issue) => Ok(issue),
            Acted::Answer(a) => issue_of(&a.body),
        }
    }

    /// The issue whose body carries `marker`, looking through every issue
    /// of the repository, open or closed.
    pub async fn find_issue(&self, marker: &str) -> Result<Option<Issue>, GitHubError> {
        let first = format!(
            "{}issues?state=all&sort=created&direction=desc&per_page=100",
            self.repo
        );
        self.find_in_pages(first, |body| {
            let issues: Vec<IssueJson> = serde_json::from_value(body)
                .map_err(|e| GitHubError::Unexpected(format!("issues: {e}")))?;
            Ok(issues
                .into_iter()
                .find(|i| {
                    i.pull_request.is_none()
                        && i.body.as_deref().is_some_and(|b| b.contains(marker))
                })
                .map(|mine| Issue {
                    number: mine.number,
                    url: mine.html_url,
                }))
        })
        .await
    }

    /// The case's draft advisory: the one psirt made (found by `marker` in
    /// its description), or a new draft. A creation whose answer was lost
    /// is found, not repeated.
    pub async fn ensure_draft_advisory(
        &self,
        marker: &str,
        draft: &AdvisoryDraft,
    ) -> Result<Advisory, GitHubError> {
        if !draft.description.contains(marker) {
            return Err(GitHubError::Unexpected(
                "the advisory's description must carry the case's marker".into(),
            ));
        }
        let request = draft.json();
        let url = format!("{}security-advisories", self.repo);
        match self
            .once(reqwest::Method::POST, &url, &request, || {
                self.find_advisory(marker)
            })
            .await?
        {
            Acted::Found(advisory) => Ok(advisory),
            Acted::Answer(a) => advisory_of(&a.body),
        }
    }

    /// The advisory whose description carries `marker`, in any state.
    pub async fn find_advisory(&self, marker: &str) -> Result<Option<Advisory>, GitHubError> {
        let first = format!(
            "{}security-advisories?sort=created&direction=desc&per_page=100",
            self.repo
        );
        self.find_in_pages(first, |body| {
            let list = body
                .as_array()
                .ok_or_else(|| GitHubError::Unexpected("advisories: not a list".into()))?;
            list.iter()
                .find(|v| {
                    v["description"]
                        .as_str()
                        .is_some_and(|d| d.contains(marker))
                })
                .map(advisory_of)
                .transpose()
        })
        .await
    }

    /// Reads a list page by page (each page's `Link: rel="next"`) from
    /// `first` until `find` finds what it looks for in a page.
    async fn find_in_pages<T>(
        &self,
        first: String,
        find: impl Fn(serde_json::Value) -> Result<Option<T>, GitHubError>,
    ) -> Result<Option<T>, GitHubError> {
        let mut next = Some(first);
        while let Some(url) = next {
            let a = self
                .http
                .patiently(reqwest::Method::GET, &url, None)
                .await?;
            if a.status != 200 {
                return Err(refused(a));
            }
            next = http::next_page(&a);
            if let Some(found) = find(a.body)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// The advisory as GitHub has it now.
    pub async fn advisory(&self, ghsa_id: &str) -> Result<Advisory, GitHubError> {
        let url = format!("{}security-advisories/{ghsa_id}", self.repo);
        let a = self
            .http
            .patiently(reqwest::Method::GET, &url, None)
            .await?;
        match a.status {
            200 => advisory_of(&a.body),
            _ => Err(refused(a)),
        }
    }

    /// Sets who may see and edit the draft: exactly `logins` (an empty
    /// list revokes everyone's access). Idempotent.
    pub async fn set_collaborators(
        &self,
        ghsa_id: &str,
        logins: &[String],
    ) -> Result<Advisory, GitHubError> {
        self.edit(ghsa_id, &json!({ "collaborating_users": logins }))
            .await
    }

    /// Publishes the advisory with its final text, the CVE id and the
    /// fixed versions (`content` replaces the draft's). Publishing one
    /// that is already published changes nothing and returns it.
    pub async fn publish_advisory(
        &self,
        ghsa_id: &str,
        content: &AdvisoryDraft,
    ) -> Result<Advisory, GitHubError> {
        let mut patch = content.json();
        patch["state"] = json!("published");
        let url = format!("{}security-advisories/{ghsa_id}", self.repo);
        // A lost answer to the publication is found by reading the state.
        let published = || async {
            let now = self.advisory(ghsa_id).await?;
            Ok::<_, GitHubError>((now.state == "published").then_some(now))
        };
        match self
            .once(reqwest::Method::PATCH, &url, &patch, published)
            .await?
        {
            Acted::Found(advisory) => Ok(advisory),
            Acted::Answer(a) => advisory_of(&a.body),
        }
    }

    async fn edit(&self, ghsa_id: &str, patch: &Value) -> Result<Advisory, GitHubError> {
        let url = format!("{}security-advisories/{ghsa_id}", self.repo);
        let a = self
            .http
            .patiently(reqwest::Method::PATCH, &url, Some(patch))
            .await?;
        match a.status {
            200 => advisory_of(&a.body),
            _ => Err(refused(a)),
        }
    }

    /// Acts with one request (a `POST` that creates, a `PATCH` that
    /// publishes), unless `find` finds it done by an earlier attempt:
    /// before the first attempt and before each retry.
    async fn once<T, F, Fut>(
        &self,
        method: reqwest::Method,
        url: &str,
        body: &Value,
        find: F,
    ) -> Result<Acted<Answer, T>, GitHubError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, GitHubError>>,
    {
        if let Some(found) = find().await? {
            return Ok(Acted::Found(found));
        }
        let send = || self.http.send(method.clone(), url, Some(body));
        match self.http.patience.acting(send, find).await? {
            Acted::Answer(a) if a.status != 200 && a.status != 201 => Err(refused(a)),
            acted => Ok(acted),
        }
    }
}

/// GitHub's `message`, with a 422's `errors` (objects or strings).
fn refused(a: Answer) -> GitHubError {
    let mut message = a.body["message"]
        .as_str()
        .unwrap_or("no reason given")
        .to_string();
    if let Some(errors) = a.body["errors"].as_array() {
        let details: Vec<String> = errors
            .iter()
            .map(|e| match e {
                Value::String(s) => s.clone(),
                e => match e["message"].as_str() {
                    Some(m) => m.to_string(),
                    None => format!(
                        "{} {} {}",
                        e["resource"].as_str().unwrap_or(""),
                        e["field"].as_str().unwrap_or(""),
                        e["code"].as_str().unwrap_or("")
                    )
                    .trim()
                    .to_string(),
                },
            })
            .collect();
        if !details.is_empty() {
            message = format!("{message}: {}", details.join("; "));
        }
    }
    GitHubError::Refused {
        status: a.status,
        message,
    }
}

fn issue_of(body: &Value) -> Result<Issue, GitHubError> {
    let i: IssueJson = serde_json::from_value(body.clone())
        .map_err(|e| GitHubError::Unexpected(format!("issue: {e}")))?;
    Ok(Issue {
        number: i.number,
        url: i.html_url,
    })
}

fn advisory_of(v: &Value) -> Result<Advisory, GitHubError> {
    let field = |name: &str| {
        v[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| GitHubError::Unexpected(format!("an advisory without {name}")))
    };
    Ok(Advisory {
        ghsa_id: field("ghsa_id")?,
        url: field("html_url")?,
        state: field("state")?,
        cve_id: v["cve_id"].as_str().map(str::to_string),
        collaborators: v["collaborating_users"]
            .as_array()
            .map(|users| {
                users
                    .iter()
                    .filter_map(|u| u["login"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// How long GitHub asks us to wait, from its headers: `retry-after`
/// (seconds), or for the primary rate limit the reset time
/// (`x-ratelimit-reset`, epoch seconds) when `x-ratelimit-remaining` is 0.
fn wait_of(headers: &reqwest::header::HeaderMap, now_epoch: u64) -> Option<Duration> {
    let num = |name: &str| psirt_http::number(headers, name);
    if let Some(wait) = psirt_http::retry_after(headers) {
        return Some(wait);
    }
    if num("x-ratelimit-remaining") == Some(0) {
        let reset = num("x-ratelimit-reset")?;
        // One second more: the limit resets at the start of that second.
        return Some(Duration::from_secs(reset.saturating_sub(now_epoch) + 1));
    }
    None
}
