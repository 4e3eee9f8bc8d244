//! The operational figures `/metrics` reports that live in the database,
//! so every replica reports the same: the outbox's work and its age, the
//! steps in other systems that wait or failed, and the audit log's length.
//!
//! Each query reads an index range of the rows still in play (mail not yet
//! sent, steps not yet done), never the history: a figure costs no more as
//! sent mail and finished cases pile up. Nothing here reads a message's
//! subject, body or recipient.

use jiff::Timestamp;

use crate::{Store, StoreError};

/// The outbox states that are work in progress; `sent` and `discarded` are
/// history and never counted.
const OUTBOX_STATES: [&str; 4] = ["draft", "queued", "sending", "failed"];
const STEP_STATES: [&str; 2] = ["pending", "failed"];

/// What the database says about the work in progress.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Outbox rows per state (draft, queued, sending, failed).
    pub outbox: Vec<(&'static str, i64)>,
    /// When the oldest message still queued was written, if any.
    pub oldest_queued: Option<Timestamp>,
    /// Steps per (step, state) for pending and failed ones.
    pub steps: Vec<(String, &'static str, i64)>,
    /// Entries in the audit log (its head's sequence number).
    pub audit_entries: i64,
}

impl Store {
    /// The figures, read now.
    pub async fn figures(&self) -> Result<Figures, StoreError> {
        let mut figures = Figures::default();
        for state in OUTBOX_STATES {
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state = $1")
                .bind(state)
                .fetch_one(&self.pool)
                .await?;
            figures.outbox.push((state, n));
        }
        let oldest: Option<i64> =
            sqlx::query_scalar("SELECT MIN(created_at) FROM outbox WHERE state = 'queued'")
                .fetch_one(&self.pool)
                .await?;
        figures.oldest_queued = oldest
            .map(Timestamp::from_microsecond)
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        for state in STEP_STATES {
            let rows: Vec<(String, i64)> = sqlx::query_as(
                "SELECT step, COUNT(*) FROM integration_steps WHERE state = $1 GROUP BY step ORDER BY step",
            )
            .bind(state)
            .fetch_all(&self.pool)
            .await?;
            figures
                .steps
                .extend(rows.into_iter().map(|(step, n)| (step, state, n)));
        }
        figures.audit_entries = sqlx::query_scalar("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(figures)
    }
}
