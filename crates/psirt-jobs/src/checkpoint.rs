//! The audit log's daily witness: once a UTC day, the head of the chain,
//! signed with the instance key, is mailed to every current PST member
//! (kind `audit_checkpoint`, through the outbox like all mail). Whoever
//! keeps these messages can later run `psirt audit verify --checkpoint
//! FILE` and see whether entries were removed or the chain recomputed
//! since.
//!
//! The store writes each day's copy once per address, so any number of
//! replicas may run this. The message holds the head (sequence, hash,
//! time) and nothing about any case.

use std::time::Duration;

use jiff::Timestamp;
use psirt_mail::InstanceKey;
use psirt_store::{Checkpoint, Store};

use crate::JobError;
use crate::runs::Job;

/// How often the job looks whether today's checkpoint is written.
pub const EVERY: Duration = Duration::from_secs(60);

/// The head now, as a statement signed with the instance key.
pub async fn signed(store: &Store, key: &InstanceKey, now: Timestamp) -> Result<String, JobError> {
    let checkpoint = Checkpoint {
        instance: key.fingerprint().as_str().to_string(),
        head: store.audit_head().await?,
        at: now,
    };
    Ok(psirt_mail::sign_cleartext(&checkpoint.statement(), key)?)
}

/// Writes today's checkpoint mail to the PST members who have none yet;
/// returns how many copies were written.
pub async fn daily(store: &Store, key: &InstanceKey, now: Timestamp) -> Result<usize, JobError> {
    if !store.audit_checkpoint_due(now).await? {
        return Ok(0);
    }
    let statement = signed(store, key, now).await?;
    let day = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let subject = format!("psirt audit checkpoint {day}");
    let body = format!(
        "This is psirt's daily audit checkpoint: the head of the audit log,\n\
         signed with the instance's OpenPGP key. Keep this message somewhere\n\
         the server's administrators cannot change it. Later, with the message\n\
         saved as FILE,\n\n    psirt audit verify --checkpoint FILE\n\n\
         fails if entries were removed from the log or the log was rewritten\n\
         since (gpg --verify checks the signature too).\n\n{statement}"
    );
    Ok(store.enqueue_audit_checkpoint(&subject, &body, now).await?)
}

/// Writes the daily checkpoint every `every` until `stop` resolves.
pub async fn run(
    store: &Store,
    key: &InstanceKey,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let failed = "writing the audit checkpoint failed";
    crate::every(Job::Checkpoint, every, stop, failed, move || async move {
        let n = daily(store, key, clock()).await?;
        if n > 0 {
            tracing::info!(written = n, "audit checkpoints written");
        }
        Ok::<_, JobError>(())
    })
    .await
}
