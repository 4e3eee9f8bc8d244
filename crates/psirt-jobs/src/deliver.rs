//! Outbox delivery: claim a batch, build each message, sign it (and encrypt
//! it to the recipient's key on file), send it over SMTP, record the result.
//!
//! Every message is signed with the instance key. A recipient with a key on
//! file gets the message encrypted to that key alone; a key on file that is
//! no longer usable (expired, revoked) stops the message instead of sending
//! it in clear, and a message that must never go out in clear (the
//! distributor pre-notification) stops when there is no key. A temporary
//! SMTP failure is tried again with exponential backoff; a permanent one,
//! or too many attempts, marks the message failed, which the case shows.
//!
//! A claim is a lease: a worker that dies leaves its batch to be taken over
//! when the lease ends. Each message is recorded as sent right after the
//! server accepted it, so a worker killed in between is the only way a
//! message goes out twice (with the same Message-ID, which mail clients and
//! lists use to drop the copy).

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use psirt_mail::{
    Attachment, InstanceKey, Mailbox, Message, MessageId, PublicKey, SendError, Smtp,
};
use psirt_store::{Outgoing, Retry, Store};

use crate::JobError;

/// How many messages a worker claims at once.
pub const BATCH: u32 = 50;
/// How many attempts a message gets before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 12;
/// The first retry's delay by default; each further one doubles, up to
/// [`MAX_BACKOFF`].
pub const FIRST_RETRY: SignedDuration = SignedDuration::from_secs(30);
pub const MAX_BACKOFF: SignedDuration = SignedDuration::from_secs(3600);

/// A delivery worker.
pub struct Delivery {
    pub store: Store,
    pub smtp: Smtp,
    pub key: InstanceKey,
    /// The instance's From address (and SMTP envelope sender).
    pub from: Mailbox,
    /// Names this worker in claims and in the audit log.
    pub worker: String,
    /// How long a claim lasts before another worker may take it over. Longer
    /// than a batch takes to send.
    pub lease: SignedDuration,
    /// The delay before the first retry ([`FIRST_RETRY`] by default).
    pub first_retry: SignedDuration,
    /// The clock (the binary's, which tests can set).
    pub clock: fn() -> Timestamp,
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

impl Delivery {
    /// Claims one batch due at `now` and delivers it.
    pub async fn round(&self, now: Timestamp) -> Result<Round, JobError> {
        let lease_until = now.saturating_add(self.lease).unwrap_or(Timestamp::MAX);
        let batch = self
            .store
            .claim_mail(&self.worker, BATCH, now, lease_until)
            .await?;
        let mut round = Round {
            claimed: batch.len(),
            ..Round::default()
        };
        for message in &batch {
            // Each result is recorded at the moment it is known.
            let now = (self.clock)();
            match self.deliver(message, now).await {
                Ok(encrypted) => {
                    if !self
                        .store
                        .mail_sent(message, &self.worker, encrypted, now)
                        .await?
                    {
                        tracing::warn!(
                            message_id = %message.message_id,
                            "delivered after the claim had passed to another worker"
                        );
                    }
                    round.sent += 1;
                }
                Err(failure) => {
                    let retry = match failure.retry {
                        true if message.attempts + 1 < MAX_ATTEMPTS => Retry::At(
                            now.saturating_add(backoff(self.first_retry, message.attempts))
                                .unwrap_or(now),
                        ),
                        _ => Retry::Never,
                    };
                    tracing::warn!(
                        message_id = %message.message_id,
                        attempt = message.attempts + 1,
                        retry = matches!(retry, Retry::At(_)),
                        error = %failure.reason,
                        "delivery failed"
                    );
                    match retry {
                        Retry::At(_) => round.retried += 1,
                        Retry::Never => round.failed += 1,
                    }
                    self.store
                        .mail_failed(message, &self.worker, &failure.reason, retry)
                        .await?;
                }
            }
        }
        Ok(round)
    }

    /// Runs rounds until `stop` resolves: at once again after a full batch,
    /// otherwise after `idle`.
    pub async fn run(&self, idle: Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let result = self.round((self.clock)()).await;
            crate::runs::record(crate::runs::Job::Deliver, result.is_ok());
            let wait = match result {
                Ok(round) if round.claimed as u32 == BATCH => Duration::ZERO,
                Ok(_) => idle,
                Err(e) => {
                    tracing::error!(error = %e, "outbox delivery round failed");
                    idle
                }
            };
            tokio::select! {
                _ = &mut stop => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Builds, signs, encrypts where it must, and sends one message.
    /// `Ok(true)` when it went out encrypted.
    async fn deliver(&self, message: &Outgoing, now: Timestamp) -> Result<bool, Failure> {
        let built = Message {
            from: self.from.clone(),
            to: vec![Mailbox::new(
                message.recipient_name.as_deref(),
                message.recipient.clone(),
            )],
            subject: message.subject.expose().clone(),
            date: now,
            message_id: MessageId::new(&message.message_id).map_err(Failure::never)?,
            in_reply_to: message
                .in_reply_to
                .as_deref()
                .and_then(|id| MessageId::new(id).ok()),
            body_text: message.body.expose().clone(),
            // Inside the signed (and, with a key, encrypted) entity, so a
            // pre-notification's patches never travel in clear.
            attachments: message
                .attachments
                .iter()
                .map(|a| Attachment {
                    name: a.name.clone(),
                    content_type: a.content_type.clone(),
                    bytes: a.content.expose().as_bytes().to_vec(),
                })
                .collect(),
        };
        let (bytes, encrypted) = match &message.key {
            Some(armored) => {
                let key = PublicKey::from_armored(armored, now).map_err(|e| {
                    Failure::never(format!(
                        "the key on file for the recipient is not usable: {e}"
                    ))
                })?;
                let bytes = psirt_mail::sign_and_encrypt(&built, &self.key, &key)
                    .map_err(Failure::never)?;
                (bytes, true)
            }
            None if message.encrypt_only => {
                return Err(Failure::never(
                    "never sent in clear, and no key is on file for the recipient",
                ));
            }
            None => (
                psirt_mail::sign(&built, &self.key).map_err(Failure::never)?,
                false,
            ),
        };
        self.smtp
            .send(
                &self.from.address,
                std::slice::from_ref(&message.recipient),
                &bytes,
            )
            .await
            .map_err(|e| Failure {
                retry: matches!(e, SendError::Transient(_)),
                reason: e.to_string(),
            })?;
        Ok(encrypted)
    }
}

/// Why one message was not delivered.
struct Failure {
    retry: bool,
    reason: String,
}

impl Failure {
    fn never(reason: impl ToString) -> Failure {
        Failure {
            retry: false,
            reason: reason.to_string(),
        }
    }
}

/// The delay before the attempt after `attempts + 1` failed ones: `first`,
/// then twice as long each time, up to an hour.
pub fn backoff(first: SignedDuration, attempts: u32) -> SignedDuration {
    let factor = 1i32 << attempts.min(16);
    first
        .checked_mul(factor)
        .unwrap_or(MAX_BACKOFF)
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        let secs: Vec<i64> = (0..10).map(|a| backoff(FIRST_RETRY, a).as_secs()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(FIRST_RETRY, u32::MAX), MAX_BACKOFF);
    }
}
