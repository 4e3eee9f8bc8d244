//! psirt's background work, each job safe to run in several replicas at
//! once: delivering the outbox over SMTP ([`deliver`]), writing due-time
//! reminders ([`remind`]), the audit log's daily signed checkpoint to the
//! PST ([`checkpoint`]), taking in mail from an MTA pipe or an IMAP
//! mailbox ([`inbound`]), and following each case's fix branch in its
//! private repository ([`fix_repo`], through psirt-git), and a case's CVE
//! id and record at CVE Services ([`cve`], through psirt-cve), and its
//! issue and security advisory on GitHub ([`github`], through
//! psirt-github).
//!
//! This crate joins the store (what to send, what arrived, where a mailbox
//! was left) and psirt-mail (message bytes, OpenPGP, SMTP and IMAP). It
//! decides nothing about the process: which mail a change causes is the
//! core's, who may see it the store's. It never logs a subject, a body, an
//! address list or key material; it logs counts, Message-IDs and errors,
//! and counts each job's rounds and failures in this process ([`runs`]).

pub mod checkpoint;
pub mod cve;
pub mod deliver;
pub mod fix_repo;
pub mod github;
pub mod inbound;
pub mod publish;
pub mod remind;
pub mod runs;

/// Records how one run of a case's step ended: done, or failed with the
/// error, which the store keeps and retries with backoff; a failure is
/// logged as `what` with the case, the step and the next attempt.
pub(crate) async fn settle_step<E: std::fmt::Display>(
    store: &psirt_store::Store,
    reference: psirt_core::CaseRef,
    step: psirt_store::Step,
    outcome: Result<(), E>,
    now: jiff::Timestamp,
    what: &str,
) -> Result<(), psirt_store::StoreError> {
    match outcome {
        Ok(()) => store.step_done(reference, step, now).await,
        Err(e) => {
            let next = store
                .step_failed(reference, step, &e.to_string(), now)
                .await?;
            tracing::warn!(case = %reference, step = step.as_str(), error = %e, %next, "{what} failed");
            Ok(())
        }
    }
}

/// Hands a step's result to the core as psirt's own command on the case
/// (the system principal, `job` in the audit log); the core refuses what
/// is already recorded, which a retried step may meet.
pub(crate) async fn record_as_psirt(
    store: &psirt_store::Store,
    reference: psirt_core::CaseRef,
    command: psirt_core::Command,
    now: jiff::Timestamp,
) -> Result<(), psirt_store::StoreError> {
    let psirt = psirt_store::Caller::new(psirt_store::Principal::System, "job");
    store
        .execute(&psirt, reference, command, None, now)
        .await
        .map(|_| ())
}

/// Runs a job's `round` every `period` until `stop` resolves: each round
/// counted as `job`'s in this process ([`runs::record`]), a failed one
/// logged as `failed` with its error, and the next one `period` later all
/// the same. What a round did is the round's to log.
pub(crate) async fn every<E, F, Fut>(
    job: runs::Job,
    period: std::time::Duration,
    stop: impl std::future::Future<Output = ()>,
    failed: &str,
    mut round: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    tokio::pin!(stop);
    loop {
        let result = round().await;
        runs::record(job, result.is_ok());
        if let Err(e) = result {
            tracing::error!(error = %e, "{failed}");
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(period) => {}
        }
    }
}

/// Everything a job can fail with.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] psirt_store::StoreError),
    #[error(transparent)]
    Mail(#[from] psirt_mail::Error),
    #[error(transparent)]
    Imap(#[from] psirt_mail::imap::ImapError),
}
