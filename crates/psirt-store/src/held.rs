//! Mail held until the release's public instant: an approved release
//! announcement waits in the outbox, queued for that instant
//! (`psirt_core::hold_until`), and goes out then rather than at the
//! Release command or at its approval.
//!
//! The delivery worker never reads the case: the hold is the row's
//! `next_attempt_at`. When the publication job records the case
//! published (`Change::Published`), the held rows of the case are due at
//! once, in that event's transaction, so that an instant the PST moved
//! forward after the approval still releases them then.

use jiff::Timestamp;
use psirt_core::{Case, Change, Event, MailKind};
use sqlx::AnyConnection;

use crate::{StoreError, micros};

/// When an approved message of `kind` on `case` may first be sent.
pub(crate) fn send_from(case: &Case, kind: MailKind, now: Timestamp) -> Timestamp {
    psirt_core::hold_until(case, kind).map_or(now, |at| at.max(now))
}

/// Makes the case's held announcements due now if `events` published it.
pub(crate) async fn release_for_events(
    tx: &mut AnyConnection,
    case_id: i64,
    events: &[Event],
    now: Timestamp,
) -> Result<(), StoreError> {
    if !events.iter().any(|e| matches!(e.change, Change::Published)) {
        return Ok(());
    }
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = $1 \
         WHERE case_id = $2 AND kind = $3 AND state = 'queued' AND next_attempt_at > $1",
    )
    .bind(micros(now))
    .bind(case_id)
    .bind(MailKind::ReleaseAnnouncement.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}
