//! The CVE Services steps of a case: reserving its CVE id once the Fix
//! Lead asked for one, and publishing its CNA container after the release
//! (`psirt-cve`). The results go to the core as psirt's commands
//! (`RecordReservedCve`, `RecordCveRecordState`), which refuse what is
//! already recorded, so a retried step never records twice; the client
//! itself never reserves a second id or publishes twice after a lost
//! answer. A failure leaves the case as it was, is kept with the service's
//! reason and retried with the store's backoff. The container is the
//! formats crate's CVE JSON 5.1 export ([`Cve5`]); a record that cannot
//! fill it fails the step before anything is sent, naming what is missing.
//! Each project speaks with its own CNA account ([`CnaAccounts`]). It logs
//! case references, CVE ids and errors, never credentials or containers.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use psirt_core::{Case, CaseRef, Command, CveId, CveServicesRule, Refusal, Rule};
use psirt_cve::{Credentials, CveError, CveServices, Patience};
use psirt_formats::{ExportError, Publisher};
use psirt_store::{Service, ServiceConfig, ServiceSettings, Step, Store, StoreError, Vault};
use serde_json::Value;

use crate::runs::Job;

/// The case's CVE JSON 5.1 CNA container, rendered at `now`.
pub trait CnaContainer: Send + Sync {
    fn container(&self, case: &Case, cve: &CveId, now: Timestamp) -> Result<Value, ExportError>;
}

/// The container the formats crate renders from the case record, as the
/// public `.cve.json` URL serves it: the project is the vendor, the
/// instance's CNA `orgId` the provider.
#[derive(Clone, Debug)]
pub struct Cve5 {
    /// The instance's public base URL (the advisories' root).
    pub public_url: String,
    /// The CNA's `orgId` (a UUID); without it every publication fails,
    /// naming it.
    pub cna_org_id: Option<String>,
}

impl CnaContainer for Cve5 {
    fn container(&self, case: &Case, _cve: &CveId, now: Timestamp) -> Result<Value, ExportError> {
        let publisher = Publisher {
            name: &case.project,
            namespace: &self.public_url,
            cna_org_id: self.cna_org_id.as_deref(),
        };
        psirt_formats::cve5::render(case, &publisher, now)
    }
}

/// A boxed future, so that [`CnaAccounts`] can be shared as a trait object.
pub type Lookup<'a> =
    Pin<Box<dyn Future<Output = Result<Option<CveServices>, CveStepError>> + Send + 'a>>;

/// Which CNA account a project speaks with: `None` when the project has no
/// CVE Services configured (its steps then fail, saying so).
pub trait CnaAccounts: Send + Sync {
    fn account<'a>(&'a self, project: &'a str) -> Lookup<'a>;
}

/// One account for every project (an instance that is one project's CNA).
impl CnaAccounts for CveServices {
    fn account<'a>(&'a self, _project: &'a str) -> Lookup<'a> {
        Box::pin(async move { Ok(Some(self.clone())) })
    }
}

/// Each project's own CNA account, as `psirt project service cve` stored
/// it: the settings, and the API key opened from the vault for this
/// request only (read again each time, so a changed key applies at once).
#[derive(Clone)]
pub struct ProjectAccounts {
    pub store: Store,
    pub vault: Vault,
    pub patience: Patience,
}

impl ProjectAccounts {
    /// With the client's default patience (three attempts a request).
    pub fn new(store: Store, vault: Vault) -> ProjectAccounts {
        ProjectAccounts {
            store,
            vault,
            patience: Patience::default(),
        }
    }
}

impl CnaAccounts for ProjectAccounts {
    fn account<'a>(&'a self, project: &'a str) -> Lookup<'a> {
        Box::pin(async move {
            let config = self
                .store
                .service(project, Service::CveServices, &self.vault)
                .await?;
            let Some(ServiceConfig {
                settings: ServiceSettings::CveServices { api_url, org, user },
                secret,
                ..
            }) = config
            else {
                return Ok(None);
            };
            let credentials = Credentials::new(org, user, secret.reveal());
            Ok(Some(CveServices::new(api_url, credentials, self.patience)?))
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CveStepError {
    #[error(transparent)]
    Service(#[from] CveError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The record cannot fill the container yet: nothing was sent.
    #[error(transparent)]
    Container(#[from] ExportError),
    #[error("CVE Services is not configured for project {0}")]
    NotConfigured(String),
}

/// How often the CVE Services steps are looked for.
pub const EVERY: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct CveSteps {
    pub store: Store,
    pub accounts: Arc<dyn CnaAccounts>,
    pub container: Arc<dyn CnaContainer>,
}

impl CveSteps {
    /// Runs the due reservations and publications; returns how many ran.
    pub async fn round(&self, now: Timestamp) -> Result<usize, StoreError> {
        let lease = now + jiff::SignedDuration::from_mins(10);
        let mut ran = 0;
        for step in [Step::CveReservation, Step::CvePublication] {
            let due = self.store.claim_steps(step, 10, now, lease).await?;
            ran += due.len();
            for reference in due {
                let outcome = match step {
                    Step::CveReservation => self.reserve(reference, now).await,
                    _ => self.publish(reference, now).await,
                };
                match outcome {
                    // The same request would be refused again: no backoff,
                    // the service's message on the step until the case
                    // changes.
                    Err(e @ CveStepError::Service(CveError::Refused { .. })) => {
                        self.store
                            .step_refused(reference, step, &e.to_string(), now)
                            .await?;
                        tracing::warn!(case = %reference, step = step.as_str(), error = %e, "CVE Services refused the step");
                    }
                    other => {
                        crate::settle_step(
                            &self.store,
                            reference,
                            step,
                            other,
                            now,
                            "CVE Services step",
                        )
                        .await?
                    }
                }
            }
        }
        Ok(ran)
    }

    async fn reserve(&self, reference: CaseRef, now: Timestamp) -> Result<(), CveStepError> {
        let step = Step::CveReservation;
        let case = self.store.case_for_step(reference, step).await?.case;
        let Some(asked) = case.cve_reservation_requested_at else {
            return Ok(());
        };
        if !case.cves.is_empty() {
            return Ok(());
        }
        let services = self.services(&case.project).await?;
        let year = asked.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
        let cve = services.reserve(year, asked).await?;
        tracing::info!(case = %reference, cve = %cve, "CVE id reserved");
        let command = Command::RecordReservedCve { cve };
        match crate::record_as_psirt(&self.store, reference, command, now).await {
            Err(StoreError::Refused(Refusal::Rule(Rule::CveAlreadyRecorded))) => Ok(()),
            other => other.map_err(Into::into),
        }
    }

    async fn publish(&self, reference: CaseRef, now: Timestamp) -> Result<(), CveStepError> {
        let step = Step::CvePublication;
        let case = self.store.case_for_step(reference, step).await?.case;
        // Every container is rendered before anything is sent, so a record
        // that cannot fill one publishes nothing.
        let containers = case
            .cves
            .iter()
            .map(|cve| Ok((cve, self.container.container(&case, cve, now)?)))
            .collect::<Result<Vec<_>, ExportError>>()?;
        if containers.is_empty() {
            return Ok(());
        }
        let services = self.services(&case.project).await?;
        for (cve, container) in containers {
            let published = services.publish(cve, &container).await?;
            tracing::info!(case = %reference, cve = %cve, state = %published.state, "CVE record published");
            let command = Command::RecordCveRecordState {
                cve: cve.clone(),
                state: published.state,
            };
            match crate::record_as_psirt(&self.store, reference, command, now).await {
                Err(StoreError::Refused(Refusal::Rule(Rule::CveServices(
                    CveServicesRule::StateUnchanged,
                )))) => {}
                other => other?,
            }
        }
        Ok(())
    }

    async fn services(&self, project: &str) -> Result<CveServices, CveStepError> {
        self.accounts
            .account(project)
            .await?
            .ok_or_else(|| CveStepError::NotConfigured(project.to_string()))
    }
}

/// Runs [`CveSteps::round`] every `every` until `stop` resolves.
pub async fn run(
    steps: &CveSteps,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl Future<Output = ()>,
) {
    let failed = "CVE Services steps failed";
    crate::every(Job::CveServices, every, stop, failed, move || async move {
        let n = steps.round(clock()).await?;
        if n > 0 {
            tracing::info!(steps = n, "CVE Services steps ran");
        }
        Ok::<_, StoreError>(())
    })
    .await
}
