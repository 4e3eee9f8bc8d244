//! The delivery side of the outbox: workers claim due copies under a
//! lease and record how each attempt went. It hands a worker what it needs
//! to send a copy and never builds, signs or sends mail itself.

use std::fmt;

use jiff::Timestamp;
use psirt_core::{CaseRef, EmailAddress, MailAttachment, MailKind, Secret};
use sqlx::Row;

use super::StoredAttachment;
use crate::audit::{self, AuditEntry};
use crate::standing::audit_actor;
use crate::{Backend, Principal, Store, StoreError, micros};

/// A claimed message, with what the worker needs to send it.
#[derive(Clone)]
pub struct Outgoing {
    pub id: i64,
    pub case: Option<CaseRef>,
    pub kind: MailKind,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub recipient: EmailAddress,
    pub recipient_name: Option<String>,
    pub subject: Secret<String>,
    pub body: Secret<String>,
    pub encrypt_only: bool,
    /// The recipient's public key on file, ASCII-armored.
    pub key: Option<String>,
    /// Attempts before this one.
    pub attempts: u32,
    /// Files carried inside the message (the pre-notification's patches).
    pub attachments: Vec<MailAttachment>,
}

impl fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outgoing")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("message_id", &self.message_id)
            .field("recipient", &self.recipient)
            .field("attempts", &self.attempts)
            .field("attachments", &self.attachments.len())
            .finish_non_exhaustive()
    }
}

/// How a failed attempt ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    At(Timestamp),
    Never,
}

const DUE: &str = "SELECT id FROM outbox WHERE (state = 'queued' AND next_attempt_at <= $1) \
                   OR (state = 'sending' AND lease_until < $1) ORDER BY next_attempt_at, id LIMIT $2";

impl Store {
    /// Claims up to `limit` messages that are due at `now` for `worker`
    /// until `lease_until`: queued ones, and ones whose previous worker's
    /// lease ended. No two workers hold the same message.
    pub async fn claim_mail(
        &self,
        worker: &str,
        limit: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<Outgoing>, StoreError> {
        let mut tx = self.write().await?;
        // SQLite has one writer at a time, so the claim is exclusive by
        // itself; PostgreSQL replicas skip the rows another one is taking.
        let pick = match self.backend {
            Backend::Sqlite => DUE.to_string(),
            Backend::Postgres => format!("{DUE} FOR UPDATE SKIP LOCKED"),
        };
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(pick))
            .bind(micros(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query(
                "UPDATE outbox SET state = 'sending', claimed_by = $1, lease_until = $2 WHERE id = $3",
            )
            .bind(worker)
            .bind(micros(lease_until))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query(
                "SELECT o.id, c.reference, o.kind, o.message_id, o.in_reply_to, o.recipient, o.recipient_name, \
                 o.subject, o.body, o.encrypt_only, o.attempts, o.attachments, COALESCE(o.recipient_key, k.armored) AS armored \
                 FROM outbox o LEFT JOIN cases c ON c.id = o.case_id LEFT JOIN openpgp_keys k ON k.email = o.recipient \
                 WHERE o.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            claimed.push(outgoing(&row)?);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records a delivery by `worker`, and who received what in the audit
    /// log. `false` when the claim had passed to another worker meanwhile
    /// (the message then went out twice, with the same Message-ID).
    pub async fn mail_sent(
        &self,
        message: &Outgoing,
        worker: &str,
        encrypted: bool,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE outbox SET state = 'sent', sent_at = $1, attempts = attempts + 1, encrypted = $2, \
             last_error = NULL, lease_until = NULL WHERE id = $3 AND claimed_by = $4 AND state = 'sending'",
        )
        .bind(micros(now))
        .bind(i64::from(encrypted))
        .bind(message.id)
        .bind(worker)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry {
                actor: audit_actor(&Principal::System),
                action: "mail.sent".into(),
                case: message.case,
                origin: format!("worker {worker}"),
                detail: format!(
                    "{} to {} <{}>{}",
                    message.kind.as_str(),
                    message.recipient,
                    message.message_id,
                    if encrypted { ", encrypted" } else { ", signed" }
                ),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Records a failed attempt: tried again at `retry`, or given up.
    pub async fn mail_failed(
        &self,
        message: &Outgoing,
        worker: &str,
        error: &str,
        retry: Retry,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let (state, next) = match retry {
            Retry::At(t) => ("queued", Some(micros(t))),
            Retry::Never => ("failed", None),
        };
        sqlx::query(
            "UPDATE outbox SET state = $1, next_attempt_at = COALESCE($2, next_attempt_at), attempts = attempts + 1, \
             last_error = $3, lease_until = NULL WHERE id = $4 AND claimed_by = $5 AND state = 'sending'",
        )
        .bind(state)
        .bind(next)
        .bind(error)
        .bind(message.id)
        .bind(worker)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn outgoing(row: &sqlx::any::AnyRow) -> Result<Outgoing, StoreError> {
    let kind: String = row.try_get("kind")?;
    let recipient: String = row.try_get("recipient")?;
    let reference: Option<String> = row.try_get("reference")?;
    Ok(Outgoing {
        id: row.try_get("id")?,
        case: reference
            .map(|r| r.parse().map_err(|e| StoreError::Corrupt(format!("{e}"))))
            .transpose()?,
        kind: MailKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox kind {kind:?}")))?,
        message_id: row.try_get("message_id")?,
        in_reply_to: row.try_get("in_reply_to")?,
        recipient: recipient
            .parse::<EmailAddress>()
            .map_err(|e| StoreError::Corrupt(format!("outbox recipient: {e}")))?,
        recipient_name: row.try_get("recipient_name")?,
        subject: Secret::new(row.try_get("subject")?),
        body: Secret::new(row.try_get("body")?),
        encrypt_only: row.try_get::<i64, _>("encrypt_only")? != 0,
        key: row.try_get("armored")?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        attachments: attachments_from(row.try_get("attachments")?)?,
    })
}

fn attachments_from(column: Option<String>) -> Result<Vec<MailAttachment>, StoreError> {
    let Some(json) = column else {
        return Ok(Vec::new());
    };
    let stored: Vec<StoredAttachment<String>> = serde_json::from_str(&json)
        .map_err(|e| StoreError::Corrupt(format!("outbox attachments: {e}")))?;
    Ok(stored
        .into_iter()
        .map(|a| MailAttachment {
            name: a.name,
            content_type: a.content_type,
            content: Secret::new(a.content),
        })
        .collect())
}
