//! The CVE Services steps of a case: reserving its CVE id once the Fix
//! Lead asked for one, and publishing its CNA container after the release
//! (`psirt-cve`). The results go to the core as psirt's commands
//! (`RecordReservedCve`, `RecordCveRecordState`), which refuse what is
//! already recorded, so a retried step never records twice; the client
//! itself never reserves a second id or publishes twice after a lost
//! answer. A failure leaves the case as it was, is kept with the service's
//! reason and retried with the store's backoff. It logs case references,
//! CVE ids and errors, never credentials or containers.

use std::sync::Arc;

use jiff::Timestamp;
use psirt_core::{Case, CaseRef, Command, CveId, CveServicesRule, Refusal, Rule};
use psirt_cve::{CveError, CveServices};
use psirt_store::{Caller, Principal, Step, Store, StoreError};
use serde_json::Value;

/// The case's CVE JSON 5.1 CNA container (the formats crate makes it from
/// the case record).
pub trait CnaContainer: Send + Sync {
    fn container(&self, case: &Case, cve: &CveId) -> Value;
}

#[derive(Debug, thiserror::Error)]
pub enum CveStepError {
    #[error(transparent)]
    Service(#[from] CveError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct CveSteps {
    pub store: Store,
    pub services: CveServices,
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
                    Ok(()) => self.store.step_done(reference, step, now).await?,
                    Err(e) => {
                        let next = self
                            .store
                            .step_failed(reference, step, &e.to_string(), now)
                            .await?;
                        tracing::warn!(case = %reference, step = step.as_str(), error = %e, %next, "CVE Services step failed");
                    }
                }
            }
        }
        Ok(ran)
    }

    async fn reserve(&self, reference: CaseRef, now: Timestamp) -> Result<(), CveStepError> {
        let record = self
            .store
            .case_for_step(reference, Step::CveReservation)
            .await?;
        let case = record.case;
        let Some(asked) = case.cve_reservation_requested_at else {
            return Ok(());
        };
        if !case.cves.is_empty() {
            return Ok(());
        }
        let year = asked.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
        let cve = self.services.reserve(year, asked).await?;
        tracing::info!(case = %reference, cve = %cve, "CVE id reserved");
        match self
            .system(reference, Command::RecordReservedCve { cve }, now)
            .await
        {
            Err(StoreError::Refused(Refusal::Rule(Rule::CveAlreadyRecorded))) => Ok(()),
            other => other.map_err(Into::into),
        }
    }

    async fn publish(&self, reference: CaseRef, now: Timestamp) -> Result<(), CveStepError> {
        let record = self
            .store
            .case_for_step(reference, Step::CvePublication)
            .await?;
        let case = record.case;
        for cve in &case.cves {
            let container = self.container.container(&case, cve);
            let published = self.services.publish(cve, &container).await?;
            tracing::info!(case = %reference, cve = %cve, state = %published.state, "CVE record published");
            let command = Command::RecordCveRecordState {
                cve: cve.clone(),
                state: published.state,
            };
            match self.system(reference, command, now).await {
                Err(StoreError::Refused(Refusal::Rule(Rule::CveServices(
                    CveServicesRule::StateUnchanged,
                )))) => {}
                other => other?,
            }
        }
        Ok(())
    }

    async fn system(
        &self,
        reference: CaseRef,
        command: Command,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.store
            .execute(
                &Caller::new(Principal::System, "job"),
                reference,
                command,
                None,
                now,
            )
            .await
            .map(|_| ())
    }
}
