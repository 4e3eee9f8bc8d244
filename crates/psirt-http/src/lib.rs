//! The patience psirt's web-service clients share (psirt-cve for CVE
//! Services, psirt-github for GitHub): one exchange whose answer is read
//! as JSON ([`exchange`]), each request's timeout, the pauses and
//! `Retry-After` waits between attempts ([`Patience`]), and the retry loop
//! that, after a failure, looks for what the lost answer may have done
//! before it tries again ([`Patience::acting`]), so that a step never acts
//! twice.
//!
//! It knows no service: which answers are transient, which headers say how
//! long to wait, what a request means and how a refusal reads are each
//! client's. It never logs, and never keeps a request: the token in one is
//! the client's to redact. Longer outages than a step waits are the jobs',
//! with the store's backoff.

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;

#[cfg(feature = "testing")]
pub mod testing;

/// How hard a client tries within one step: attempts per request, the
/// longest wait it sits out when the service asks for one, the first pause
/// after a 5xx or a timeout (doubling), and each request's timeout.
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

/// One answer: its status, its headers, and its body as JSON (`Null` when
/// it is empty or not JSON).
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A failure worth trying again: no answer, or one the client reads as
/// transient (a rate limit, a 5xx), with the wait the service asked for.
pub struct Transient {
    wait: Option<Duration>,
    /// Asked to wait longer than a step waits: leave it to the job.
    give_up: bool,
    reason: String,
}

/// The reason a step's request went unanswered after its patience ran
/// out; each client turns it into its own "unavailable" error.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// What came of acting: the service's answer, or what an earlier attempt
/// did, found by looking.
pub enum Acted<A, T> {
    Answer(A),
    Found(T),
}

impl Patience {
    /// The HTTP client for requests with this patience: each times out
    /// after `timeout` and names itself `user_agent`.
    pub fn client(&self, user_agent: &str) -> reqwest::Result<reqwest::Client> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .user_agent(user_agent)
            .build()
    }

    /// A transient answer that asks for `wait` (the doubling pause when
    /// `None`); asked to wait longer than `max_retry_after`, the step
    /// gives up at once and leaves the retry to the job.
    pub fn transient(&self, wait: Option<Duration>, reason: String) -> Transient {
        Transient {
            wait,
            give_up: wait.is_some_and(|w| w > self.max_retry_after),
            reason,
        }
    }

    /// Sends a request that is safe to repeat until an answer comes, with
    /// the pauses (or the asked-for waits) between attempts.
    pub async fn patiently<A, E, S, SF>(&self, send: S) -> Result<A, E>
    where
        S: Fn() -> SF,
        SF: Future<Output = Result<A, Transient>>,
        E: From<Unavailable>,
    {
        let nothing = || async { Ok::<_, E>(None::<Infallible>) };
        match self.acting(send, nothing).await? {
            Acted::Answer(a) => Ok(a),
            Acted::Found(never) => match never {},
        }
    }

    /// Sends a request that acts (creates, reserves, publishes) until an
    /// answer comes; after each transient failure, `look` says whether
    /// that attempt acted after all, which ends the retries with what it
    /// found. It looks after the pause, so that the service has had the
    /// pause to show what it did, and at once after the last attempt.
    /// Looking before the first attempt is the caller's, where it wants to.
    pub async fn acting<A, T, E, S, SF, L, LF>(&self, send: S, look: L) -> Result<Acted<A, T>, E>
    where
        S: Fn() -> SF,
        SF: Future<Output = Result<A, Transient>>,
        L: Fn() -> LF,
        LF: Future<Output = Result<Option<T>, E>>,
        E: From<Unavailable>,
    {
        let mut pause = self.first_pause;
        for attempt in 1..=self.attempts {
            let failure = match send().await {
                Ok(a) => return Ok(Acted::Answer(a)),
                Err(failure) => failure,
            };
            let last = failure.give_up || attempt == self.attempts;
            if !last {
                tokio::time::sleep(failure.wait.unwrap_or(pause)).await;
                pause *= 2;
            }
            if let Some(found) = look().await? {
                return Ok(Acted::Found(found));
            }
            if last {
                return Err(Unavailable(failure.reason).into());
            }
        }
        unreachable!("the loop returns on its last attempt")
    }
}

/// Sends one request and reads its whole answer. No answer in time, no
/// connection, or an answer that broke off is `Transient`; every answer is
/// returned as it came, for the client to read.
pub async fn exchange(request: reqwest::RequestBuilder) -> Result<Answer, Transient> {
    let no_answer = |reason: &str| Transient {
        wait: None,
        give_up: false,
        reason: reason.into(),
    };
    let resp = request.send().await.map_err(|e| match e.is_timeout() {
        true => no_answer("no answer in time"),
        false => no_answer("could not connect"),
    })?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp
        .text()
        .await
        .map_err(|_| no_answer("the answer broke off"))?;
    Ok(Answer {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
    })
}

/// The wait a `Retry-After` header asks for, in seconds (the form CVE
/// Services and GitHub send).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    number(headers, "retry-after").map(Duration::from_secs)
}

/// A header that holds a whole number, such as `x-ratelimit-reset`.
pub fn number(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// Three attempts, a millisecond's pause, a minute's longest wait.
    fn patience() -> Patience {
        Patience {
            first_pause: Duration::from_millis(1),
            ..Patience::default()
        }
    }

    #[derive(Debug, PartialEq)]
    struct Failed(String);

    impl From<Unavailable> for Failed {
        fn from(Unavailable(reason): Unavailable) -> Failed {
            Failed(reason)
        }
    }

    /// Runs `acting` with answers that fail `failures` times (each asking
    /// for `wait`), and a look that finds something from the `found_at`-th
    /// look on; returns the outcome, the sends and the looks.
    async fn check(
        failures: u32,
        wait: Option<Duration>,
        found_at: Option<u32>,
    ) -> (Result<&'static str, Failed>, u32, u32) {
        let p = patience();
        let (sends, looks) = (Cell::new(0), Cell::new(0));
        let send = || {
            sends.set(sends.get() + 1);
            let n = sends.get();
            async move {
                match n <= failures {
                    true => Err(p.transient(wait, format!("failure {n}"))),
                    false => Ok("answer"),
                }
            }
        };
        let look = || {
            looks.set(looks.get() + 1);
            let found = found_at.is_some_and(|at| looks.get() >= at);
            async move { Ok::<_, Failed>(found.then_some("found")) }
        };
        let outcome = match p.acting(send, look).await {
            Ok(Acted::Answer(a)) => Ok(a),
            Ok(Acted::Found(f)) => Ok(f),
            Err(e) => Err(e),
        };
        (outcome, sends.get(), looks.get())
    }

    #[tokio::test]
    async fn a_failure_is_retried_and_a_lost_answer_is_found_by_looking() {
        assert_eq!(check(0, None, None).await, (Ok("answer"), 1, 0));
        assert_eq!(check(2, None, None).await, (Ok("answer"), 3, 2));
        assert_eq!(check(1, None, Some(1)).await, (Ok("found"), 1, 1));
        assert_eq!(check(9, None, Some(3)).await, (Ok("found"), 3, 3));
        assert_eq!(
            check(9, None, None).await,
            (Err(Failed("failure 3".into())), 3, 3)
        );
    }

    #[tokio::test]
    async fn a_wait_longer_than_a_step_waits_gives_up_at_once() {
        let an_hour = Some(Duration::from_secs(3600));
        assert_eq!(
            check(9, an_hour, None).await,
            (Err(Failed("failure 1".into())), 1, 1)
        );
        let a_moment = Some(Duration::from_millis(1));
        assert_eq!(check(1, a_moment, None).await, (Ok("answer"), 2, 1));
    }

    #[tokio::test]
    async fn a_request_safe_to_repeat_is_sent_until_the_patience_runs_out() {
        let p = patience();
        let sends = Cell::new(0);
        let send = || {
            sends.set(sends.get() + 1);
            async { Err::<(), _>(p.transient(None, "503 down".into())) }
        };
        assert_eq!(
            p.patiently(send).await,
            Err::<(), _>(Failed("503 down".into()))
        );
        assert_eq!(sends.get(), p.attempts);
    }
}
