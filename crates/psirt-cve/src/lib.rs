//! psirt's only door to the CVE Program's CVE Services (the API `cvelib`
//! and the CVE website speak): reserving a CVE id for a case
//! (`POST /api/cve-id` with `amount`, `cve_year`, `short_name`), and
//! publishing and updating the case's CNA container
//! (`POST`/`PUT /api/cve/{id}/cna`), authenticated with the
//! `CVE-API-ORG`, `CVE-API-USER` and `CVE-API-KEY` headers.
//!
//! The container arrives as JSON (the CVE JSON 5.1 CNA container the
//! formats crate produces from the case record); this crate never builds
//! one and decides nothing about the case. It must never reserve a second
//! id or publish twice when an answer is lost: before it retries a
//! reservation it looks for the id its own user reserved since the step
//! began, and before it retries a publication it reads the record. It
//! never logs or shows the API key (`Credentials` redacts it).

use jiff::Timestamp;
use psirt_core::{CveId, Secret};
use psirt_http::{Acted, Answer, Transient};
use serde::Deserialize;
use serde_json::{Value, json};

/// How hard the client tries within one step: attempts per request, the
/// longest `Retry-After` it waits for, the first pause after a 5xx or a
/// timeout (doubling), each request's timeout; the GitHub client's too.
pub use psirt_http::Patience;

#[cfg(feature = "testing")]
pub mod testing;

/// What went wrong, with the service's own words where it gave them.
#[derive(Debug, thiserror::Error)]
pub enum CveError {
    /// The service refused the request (4xx): retrying will not help.
    #[error("CVE Services refused it ({status}): {error}: {message}")]
    Refused {
        status: u16,
        error: String,
        message: String,
    },
    /// The service is down, overloaded or did not answer in time: the
    /// step may be retried later.
    #[error("CVE Services is unavailable: {0}")]
    Unavailable(String),
    /// The service answered with something this client does not understand.
    #[error("CVE Services answered unexpectedly: {0}")]
    Unexpected(String),
}

impl CveError {
    /// Whether the job may try the step again later.
    pub fn retryable(&self) -> bool {
        matches!(self, CveError::Unavailable(_))
    }
}

impl From<psirt_http::Unavailable> for CveError {
    fn from(psirt_http::Unavailable(reason): psirt_http::Unavailable) -> CveError {
        CveError::Unavailable(reason)
    }
}

/// A project's CNA account: the organisation's short name, the user, and
/// the API key (secret).
#[derive(Clone)]
pub struct Credentials {
    pub org: String,
    pub user: String,
    key: Secret<String>,
}

impl Credentials {
    pub fn new(org: impl Into<String>, user: impl Into<String>, key: impl Into<String>) -> Self {
        Credentials {
            org: org.into(),
            user: user.into(),
            key: Secret::new(key.into()),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("org", &self.org)
            .field("user", &self.user)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A published record's state as the service has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub id: CveId,
    pub state: String,
    /// The record as CVE Services returned it (CVE JSON 5.x).
    pub json: Value,
}

#[derive(Clone, Debug)]
pub struct CveServices {
    /// The API root, e.g. `https://cveawg.mitre.org/api/`.
    base: String,
    credentials: Credentials,
    patience: Patience,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct IdRecord {
    cve_id: String,
    #[serde(default)]
    requested_by: Option<RequestedBy>,
}

#[derive(Deserialize)]
struct RequestedBy {
    #[serde(default)]
    user: String,
}

impl CveServices {
    pub fn new(
        base: impl Into<String>,
        credentials: Credentials,
        patience: Patience,
    ) -> Result<CveServices, CveError> {
        let mut base = base.into();
        if !base.ends_with('/') {
            base.push('/');
        }
        let http = patience
            .client("psirt")
            .map_err(|e| CveError::Unexpected(format!("HTTP client: {e}")))?;
        Ok(CveServices {
            base,
            credentials,
            patience,
            http,
        })
    }

    /// Reserves one CVE id of `year` for the case, unless this user
    /// already reserved one since `since` (when the step began): a retried
    /// reservation whose answer was lost finds that id instead of taking a
    /// second one.
    pub async fn reserve(&self, year: i16, since: Timestamp) -> Result<CveId, CveError> {
        if let Some(id) = self.reserved_since(year, since).await? {
            return Ok(id);
        }
        let query = [
            ("amount", "1".to_string()),
            ("cve_year", year.to_string()),
            ("short_name", self.credentials.org.clone()),
        ];
        // It may have acted before failing: look before retrying.
        let send = || self.send(reqwest::Method::POST, "cve-id", &query, None);
        let look = || self.reserved_since(year, since);
        match self.patience.acting(send, look).await? {
            Acted::Found(id) => Ok(id),
            Acted::Answer(a) if a.status == 200 => {
                let ids: Vec<IdRecord> = serde_json::from_value(a.body["cve_ids"].clone())
                    .map_err(|e| CveError::Unexpected(format!("cve_ids: {e}")))?;
                let first = ids
                    .first()
                    .ok_or_else(|| CveError::Unexpected("no cve_ids reserved".into()))?;
                parse_id(&first.cve_id)
            }
            Acted::Answer(a) => Err(refused(a)),
        }
    }

    /// The id this user reserved for `year` since `since`, if any
    /// (`GET /api/cve-id?state=RESERVED&cve_id_year=…&time_reserved.gt=…`,
    /// every page).
    async fn reserved_since(&self, year: i16, since: Timestamp) -> Result<Option<CveId>, CveError> {
        let mut page = 1u32;
        loop {
            let query = [
                ("state", "RESERVED".to_string()),
                ("cve_id_year", year.to_string()),
                ("time_reserved.gt", since.to_string()),
                ("page", page.to_string()),
            ];
            let a = self
                .patiently(reqwest::Method::GET, "cve-id", &query, None)
                .await?;
            if a.status != 200 {
                return Err(refused(a));
            }
            let ids: Vec<IdRecord> = serde_json::from_value(a.body["cve_ids"].clone())
                .map_err(|e| CveError::Unexpected(format!("cve_ids: {e}")))?;
            if let Some(mine) = ids.iter().find(|r| {
                r.requested_by
                    .as_ref()
                    .is_some_and(|b| b.user == self.credentials.user)
            }) {
                return parse_id(&mine.cve_id).map(Some);
            }
            match a.body.get("nextPage").and_then(Value::as_u64) {
                Some(next) if next > u64::from(page) => page = next as u32,
                _ => return Ok(None),
            }
        }
    }

    /// Publishes the CNA container for `id`. When the record already
    /// exists (a lost answer, or published before), the container is put
    /// as an update instead: publishing twice is never attempted.
    pub async fn publish(&self, id: &CveId, cna: &Value) -> Result<Record, CveError> {
        if self.record(id).await?.is_some() {
            return self.update(id, cna).await;
        }
        let path = format!("cve/{id}/cna");
        let body = json!({ "cnaContainer": cna });
        let send = || self.send(reqwest::Method::POST, &path, &[], Some(&body));
        match self.patience.acting(send, || self.record(id)).await? {
            Acted::Found(published) => Ok(published),
            Acted::Answer(a) if a.status == 200 => record_in(id, &a.body["created"]),
            Acted::Answer(a) if a.body["error"] == "CVE_RECORD_EXISTS" => {
                self.update(id, cna).await
            }
            Acted::Answer(a) => Err(refused(a)),
        }
    }

    /// Replaces the published record's CNA container (`PUT`, idempotent).
    pub async fn update(&self, id: &CveId, cna: &Value) -> Result<Record, CveError> {
        let body = json!({ "cnaContainer": cna });
        let a = self
            .patiently(
                reqwest::Method::PUT,
                &format!("cve/{id}/cna"),
                &[],
                Some(&body),
            )
            .await?;
        match a.status {
            200 => record_in(id, &a.body["updated"]),
            _ => Err(refused(a)),
        }
    }

    /// The published record, or `None` while there is none.
    pub async fn record(&self, id: &CveId) -> Result<Option<Record>, CveError> {
        let a = self
            .patiently(reqwest::Method::GET, &format!("cve/{id}"), &[], None)
            .await?;
        match a.status {
            200 => record_in(id, &a.body).map(Some),
            404 => Ok(None),
            _ => Err(refused(a)),
        }
    }

    /// A request that is safe to repeat, retried on 429, 5xx and timeouts.
    async fn patiently(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, CveError> {
        let send = || self.send(method.clone(), path, query, body);
        self.patience.patiently(send).await
    }

    /// One request. 429, 5xx, timeouts and connection failures are
    /// `Transient` (with the `Retry-After` wait, where one was given);
    /// every other answer is returned.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Answer, Transient> {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("CVE-API-ORG", &self.credentials.org)
            .header("CVE-API-USER", &self.credentials.user)
            .header("CVE-API-KEY", self.credentials.key.expose())
            .query(query);
        if let Some(b) = body {
            req = req.json(b);
        }
        let a = psirt_http::exchange(req).await?;
        if a.status == 429 || a.status >= 500 {
            let reason = format!("{} {}", a.status, message_of(&a.body));
            let wait = psirt_http::retry_after(&a.headers);
            return Err(self.patience.transient(wait, reason));
        }
        Ok(a)
    }
}

fn message_of(body: &Value) -> String {
    match (body["error"].as_str(), body["message"].as_str()) {
        (Some(e), Some(m)) => format!("{e}: {m}"),
        (Some(e), None) => e.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => "no reason given".into(),
    }
}

fn refused(a: Answer) -> CveError {
    CveError::Refused {
        status: a.status,
        error: a.body["error"].as_str().unwrap_or("ERROR").to_string(),
        message: a.body["message"]
            .as_str()
            .unwrap_or("no reason given")
            .to_string(),
    }
}

fn parse_id(s: &str) -> Result<CveId, CveError> {
    s.parse()
        .map_err(|e| CveError::Unexpected(format!("CVE id {s:?}: {e}")))
}

fn record_in(id: &CveId, json: &Value) -> Result<Record, CveError> {
    let state = json["cveMetadata"]["state"]
        .as_str()
        .ok_or_else(|| CveError::Unexpected("a record without cveMetadata.state".into()))?;
    Ok(Record {
        id: id.clone(),
        state: state.to_string(),
        json: json.clone(),
    })
}
