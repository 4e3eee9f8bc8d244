//! One request to GitHub: the headers GitHub asks for (`Authorization:
//! Bearer`, `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`,
//! a `User-Agent`), which answers are transient (its rate limits, primary:
//! `x-ratelimit-remaining: 0` until `x-ratelimit-reset`, secondary: 403 or
//! 429 with `retry-after`; 5xx), and the `Link` header's next page. The
//! exchange, timeouts, pauses and retries are psirt-http's, shared with
//! the CVE Services client.
//!
//! It never decides what a request means, and never logs the token or a
//! body.

use std::time::{SystemTime, UNIX_EPOCH};

use psirt_http::{Answer, Patience, Transient};
use serde_json::Value;

use crate::{GitHubError, Token};

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
        let http = patience
            .client(concat!("psirt/", env!("CARGO_PKG_VERSION")))
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
        let send = || self.send(method.clone(), url, body);
        self.patience.patiently(send).await
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
        let a = psirt_http::exchange(req).await?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let wait = crate::wait_of(&a.headers, now);
        // A 403 is a rate limit only when GitHub says when to come back;
        // otherwise it is a refusal (no permission).
        let limited = a.status == 429 || (a.status == 403 && wait.is_some());
        if limited || a.status >= 500 {
            let message = a.body["message"].as_str().unwrap_or("no reason given");
            let reason = match limited {
                true => format!("{} rate limited: {message}", a.status),
                false => format!("{} {message}", a.status),
            };
            return Err(self.patience.transient(wait, reason));
        }
        Ok(a)
    }
}

/// The next page of a list, from the answer's `Link` header.
pub(crate) fn next_page(a: &Answer) -> Option<String> {
    a.headers
        .get("link")
        .and_then(|v| v.to_str().ok())
        .and_then(next_link)
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
