//! The audit log's witnesses by mail: once a day, every current PST member
//! (of any project: the log is the instance's) is sent the head of the
//! chain signed with the instance key, so that anyone who kept one can
//! later show that entries were removed or the chain recomputed
//! (`Store::audit_verify_against`).
//!
//! This module writes the outbox rows, one per address and UTC day (a
//! `once_key`, so any number of replicas may ask); the caller (psirt-jobs,
//! which holds the key) signs the statement. The mail names no case and
//! carries nothing but the head: a sequence number, a hash and a time.

use jiff::Timestamp;
use psirt_core::MailKind;

use crate::{Store, StoreError, micros};

/// Every current PST member's address, once, whatever the project.
const PST_ADDRESSES: &str = "SELECT DISTINCT u.email FROM pst_members m JOIN users u ON u.id = m.user_id \
     WHERE m.removed_at IS NULL ORDER BY u.email";

fn once_key(day: jiff::civil::Date, address: &str) -> String {
    format!("audit-checkpoint:{day}:{address}")
}

impl Store {
    /// Whether some current PST member has no checkpoint for the UTC day
    /// of `now` yet.
    pub async fn audit_checkpoint_due(&self, now: Timestamp) -> Result<bool, StoreError> {
        let day = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let addresses: Vec<String> = sqlx::query_scalar(PST_ADDRESSES)
            .fetch_all(&self.pool)
            .await?;
        let written: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE kind = $1 AND once_key LIKE $2")
                .bind(MailKind::AuditCheckpoint.as_str())
                .bind(format!("audit-checkpoint:{day}:%"))
                .fetch_one(&self.pool)
                .await?;
        Ok(written < addresses.len() as i64)
    }

    /// Writes today's checkpoint (`subject`, `body`) to every current PST
    /// member who has none for the UTC day of `now`, queued to send, and
    /// returns how many copies were written.
    pub async fn enqueue_audit_checkpoint(
        &self,
        subject: &str,
        body: &str,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let day = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        let mut tx = self.write().await?;
        let addresses: Vec<String> = sqlx::query_scalar(PST_ADDRESSES)
            .fetch_all(&mut *tx)
            .await?;
        let mut written = 0;
        for address in addresses {
            let message_id = crate::outbox::new_message_id("audit", &self.mail_domain)?;
            written += sqlx::query(
                "INSERT INTO outbox (case_id, kind, once_key, message_id, recipient, subject, body, encrypt_only, state, attempts, next_attempt_at, created_at) \
                 VALUES (NULL, $1, $2, $3, $4, $5, $6, 0, 'queued', 0, $7, $8) ON CONFLICT (once_key) DO NOTHING",
            )
            .bind(MailKind::AuditCheckpoint.as_str())
            .bind(once_key(day, &address))
            .bind(message_id)
            .bind(&address)
            .bind(subject)
            .bind(body)
            .bind(micros(now))
            .bind(micros(now))
            .execute(&mut *tx)
            .await?
            .rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(written)
    }
}
