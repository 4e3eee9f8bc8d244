//! One request to GitHub and the patience around it: the headers GitHub
//! asks for (`Authorization: Bearer`, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version`, a `User-Agent`), its rate limits (primary:
//! `x-ratelimit-remaining: 0` until `x-ratelimit-reset`; secondary: 403 or
//! 429 with `retry-after`), 5xx and timeouts as transient, and the `Link`
//! header's next page.
//!
//! It never decides what a request means, and never logs the token or a
//! body.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::{GitHubError, Token};

/// How hard the client tries within one step: attempts per request, the
/// longest rate-limit wait it sits out, the first pause after a 5xx or a
/// timeout (doubling), and each request's timeout. Longer outages are the
/// job's, with its own backoff.
#[derive(Clone, Copy, Debug)]
pub struct Patience {
    pub attempts: u32,
    pub max_retry_after: Duration,
    pub first_pause: Duration,
    pub timeout: Duration,
}

impl Default for Patience {
    fn default() -> Patience {
        Patience {
            attempts: 3,
            max_retry_after: Duration::from_secs(60),
            first_pause: Duration::from_secs(2),
            timeout: Duration::from_secs(30),
        }
    }
}

/// One answer: the status, the JSON body (or `Null`), and the next page.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
    pub next: Option<String>,
}

/// A failure worth retrying: a rate limit, a 5xx, a timeout.
pub(crate) struct Transient {
    pub wait: Option<Duration>,
    /// Asked to wait longer than a step waits: leave it to the job.
    pub give_up: bool,
    pub reason: String,
}

#[derive(Clone)]
pub(crate) struct Client {
    token: Token,
    pub patience: Patience,
    http: reqwest::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("token", &self.token)
            .field("patience", &self.patience)
            .finish()
    }
}

impl Client {
    pub fn new(token: Token, patience: Patience) -> Result<Client, GitHubError> {
        let http = reqwest::Client::builder()
            .timeout(patience.timeout)
            .user_agent(concat!("psirt/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GitHubError::Unexpected(format!("HTTP client: {e}")))?;
        Ok(Client {
            token,
            patience,
            http,
        })
    }

    /// A request that is safe to repeat (GET, PATCH), retried on rate
    /// limits, 5xx and timeouts.
    pub async fn patiently(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, GitHubError> {
        let mut pause = self.patience.first_pause;
        for attempt in 1..=self.patience.attempts {
            match self.send(method.clone(), url, body).await {
                Ok(a) => return Ok(a),
                Err(Transient {
                    reason, give_up, ..
                }) if give_up || attempt == self.patience.attempts => {
                    return Err(GitHubError::Unavailable(reason));
                }
                Err(Transient { wait, .. }) => {
                    tokio::time::sleep(wait.unwrap_or(pause)).await;
                    pause *= 2;
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// One request; every answer but a transient failure is returned.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Answer, Transient> {
        let mut req = self
            .http
            .request(method, url)
            .bearer_auth(self.token.0.expose())
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|e| Transient {
            wait: None,
            give_up: false,
            reason: match e.is_timeout() {
                true => "no answer in time".into(),
                false => "could not connect".into(),
            },
        })?;
        let status = resp.status().as_u16();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let wait = crate::wait_of(resp.headers(), now);
        let next = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(next_link);
        let text = resp.text().await.map_err(|_| Transient {
            wait: None,
            give_up: false,
            reason: "the answer broke off".into(),
        })?;
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        // A 403 is a rate limit only when GitHub says when to come back;
        // otherwise it is a refusal (no permission).
        let limited = status == 429 || (status == 403 && wait.is_some());
        if limited || status >= 500 {
            let message = body["message"].as_str().unwrap_or("no reason given");
            let reason = match limited {
                true => format!("{status} rate limited: {message}"),
                false => format!("{status} {message}"),
            };
            let give_up = wait.is_some_and(|w| w > self.patience.max_retry_after);
            return Err(Transient {
                wait,
                give_up,
                reason,
            });
        }
        Ok(Answer { status, body, next })
    }
}

/// The `rel="next"` URL of a `Link` header.
pub(crate) fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        let h = "<https://api.github.com/repositories/1/issues?page=2>; rel=\"next\", \
                 <https://api.github.com/repositories/1/issues?page=5>; rel=\"last\"";
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        let last = "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=1>; rel=\"first\"";
        assert_eq!(next_link(last), None);
    }
}
