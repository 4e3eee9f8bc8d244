//! An organisation's events: appended (the changes `decide_org` returned,
//! with the timeline's words) in the transaction that applies them, read
//! back and folded by `psirt_core::distributors::Org::fold` into the
//! organisation every command is decided on. The rows of
//! `distributor_orgs` and `distributor_people` are a projection of these
//! events, written alongside them for the queries that need rows; this
//! module compares the two ([`Store::check_distributor_org`]) and gives the
//! organisations that existed before their events one event stating them
//! as their rows stood ([`backfill_events`], at migrate time). It decides
//! nothing.

use psirt_core::distributors::{Org, OrgChange, OrgPerson, OrgState};
use psirt_core::{Text, UserId};
use sqlx::{AnyConnection, Row};

use super::{OrgRow, org_row};
use crate::{Store, StoreError, micros};

/// Who wrote an event and when, with the timeline's words for it.
pub(super) struct EventMeta<'a> {
    pub kind: &'a str,
    pub actor: &'a str,
    pub at: jiff::Timestamp,
    pub detail: &'a str,
}

/// Appends one event to the organisation's list, in `tx`. The caller
/// holds the write turn (SQLite) or has appended to the audit log first
/// (PostgreSQL, whose audit head lock orders every writer), so the next
/// `seq` is this transaction's.
pub(super) async fn append_event(
    tx: &mut AnyConnection,
    org: i64,
    changes: &[OrgChange],
    meta: EventMeta<'_>,
) -> Result<(), StoreError> {
    let data = serde_json::to_string(changes)
        .map_err(|e| StoreError::Corrupt(format!("organisation event: {e}")))?;
    sqlx::query(
        "INSERT INTO org_events (org_id, seq, kind, data, actor, at, detail) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 FROM org_events WHERE org_id = $1",
    )
    .bind(org)
    .bind(meta.kind)
    .bind(data)
    .bind(meta.actor)
    .bind(micros(meta.at))
    .bind(meta.detail)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Every change on the organisation's events, in order.
async fn changes_of(conn: &mut AnyConnection, org: i64) -> Result<Vec<OrgChange>, StoreError> {
    let rows = sqlx::query("SELECT seq, data FROM org_events WHERE org_id = $1 ORDER BY seq")
        .bind(org)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let data: String = r.try_get("data")?;
        let seq: i64 = r.try_get("seq")?;
        let changes: Vec<OrgChange> = serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("event {seq} of organisation {org}: {e}")))?;
        out.extend(changes);
    }
    Ok(out)
}

/// The organisation as `psirt_core::distributors::decide_org` needs it:
/// the fold of its events.
pub(super) async fn load_org(conn: &mut AnyConnection, row: &OrgRow) -> Result<Org, StoreError> {
    let changes = changes_of(conn, row.id).await?;
    Org::fold(&changes).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "organisation {} has no event that opened it",
            row.id
        ))
    })
}

/// The organisation as its projection's rows say it is.
async fn org_from_rows(conn: &mut AnyConnection, row: &OrgRow) -> Result<Org, StoreError> {
    let people = people_rows(conn, row.id).await?;
    Ok(Org {
        name: row.name.clone(),
        state: row.state,
        voucher: row.voucher.map(UserId::new),
        people,
    })
}

async fn people_rows(conn: &mut AnyConnection, org: i64) -> Result<Vec<OrgPerson>, StoreError> {
    sqlx::query(
        "SELECT p.user_id, u.email, p.accepted_at, p.removed_at FROM distributor_people p \
         JOIN users u ON u.id = p.user_id WHERE p.org_id = $1 ORDER BY p.id",
    )
    .bind(org)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let email: String = r.try_get("email")?;
        Ok(OrgPerson {
            user: UserId::new(r.try_get("user_id")?),
            email: email
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
            accepted: r.try_get::<Option<i64>, _>("accepted_at")?.is_some(),
            removed: r.try_get::<Option<i64>, _>("removed_at")?.is_some(),
        })
    })
    .collect()
}

/// The events that make the organisation its rows describe: opened (by
/// an application naming its voucher, or as a founding organisation),
/// its people added, accepting and removed, then moved to its state.
fn stated(org: &Org, reason: Option<Text>) -> Vec<OrgChange> {
    let mut changes = vec![match org.voucher {
        Some(voucher) => OrgChange::Applied {
            name: org.name.clone(),
            voucher,
        },
        None => OrgChange::Founded {
            name: org.name.clone(),
        },
    }];
    for p in &org.people {
        changes.push(OrgChange::PersonAdded {
            user: p.user,
            email: p.email.clone(),
        });
        if p.accepted {
            changes.push(OrgChange::PolicyAccepted { user: p.user });
        }
        if p.removed {
            changes.push(OrgChange::PersonRemoved { user: p.user });
        }
    }
    let opened = if org.voucher.is_some() {
        OrgState::Applied
    } else {
        OrgState::Approved
    };
    if org.state != opened || reason.is_some() {
        changes.push(OrgChange::Moved {
            to: org.state,
            kind: org.state.as_str().into(),
            note: reason.as_ref().map(Text::to_string).unwrap_or_default(),
            reason,
        });
    }
    changes
}

/// Gives every organisation without an event that changes it (one that
/// existed before `org_events`) one event, `carried_over`, stating it as
/// its rows stand, so that an upgraded database folds to the same
/// organisations. Runs at migrate time, in one transaction; a no-op once
/// every organisation has its events.
pub(crate) async fn backfill_events(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM distributor_orgs o WHERE NOT EXISTS \
         (SELECT 1 FROM org_events e WHERE e.org_id = o.id AND e.data <> '[]') ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for id in ids {
        let row = org_row(&mut tx, id).await?;
        let org = org_from_rows(&mut tx, &row).await?;
        let meta: (Option<String>, i64, Option<i64>) = {
            let r = sqlx::query(
                "SELECT reason, updated_at, (SELECT MAX(at) FROM org_events WHERE org_id = $1) AS last \
                 FROM distributor_orgs WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            (
                r.try_get("reason")?,
                r.try_get("updated_at")?,
                r.try_get("last")?,
            )
        };
        let (reason, updated, last) = meta;
        // A reason kept before was checked when it was given; one that no
        // longer passes stays on its row and out of the event.
        let reason = reason.and_then(|r| Text::new("reason", &r, usize::MAX).ok());
        let at = crate::distributors::instant(updated.max(last.unwrap_or(updated)))?;
        append_event(
            &mut tx,
            id,
            &stated(&org, reason),
            EventMeta {
                kind: "carried_over",
                actor: "migration",
                at,
                detail: "the organisation as its rows stood when psirt began keeping its events",
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

impl Store {
    /// Fails with [`StoreError::Corrupt`] unless the organisation's events
    /// fold to what its rows say (state, voucher, people, acceptance,
    /// removal): the rows are a projection of the events, written in the
    /// same transactions, and must never drift from them.
    pub async fn check_distributor_org(&self, org: i64) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = org_row(&mut conn, org).await?;
        let folded = load_org(&mut conn, &row).await?;
        let rows = org_from_rows(&mut conn, &row).await?;
        if folded != rows {
            return Err(StoreError::Corrupt(format!(
                "organisation {org}: its events fold to {folded:?}, its rows say {rows:?}"
            )));
        }
        Ok(())
    }
}
