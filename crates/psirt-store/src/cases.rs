//! Cases: intake, commands, reads, the agenda.
//!
//! Every state change runs the same sequence inside one transaction: lock
//! the case row, fold its events, check the caller's expected version, ask
//! `psirt_core::decide`, append the events, bump the version. A refusal
//! rolls everything back, so a refused command leaves no trace.

use jiff::Timestamp;
use psirt_core::{
    ActorRef, Agenda, Case, CaseRef, Change, Command, Context, Event, Operation, UserId, authorize,
};
use sqlx::{AnyConnection, Row};

use crate::accounts::token_hash;
use crate::audit::{self, AuditEntry};
use crate::outbox;
use crate::standing::{Caller, Principal, actor, audit_actor, seated_actor};
use crate::summaries::StateFilter;
use crate::{Backend, Store, StoreError, micros};

/// A case with its full timeline.
#[derive(Clone, Debug)]
pub struct CaseRecord {
    pub case: Case,
    pub events: Vec<Event>,
    /// When the first organisation was notified: its pre-notification
    /// copies approved (not when they were written as drafts).
    pub notified_at: Option<Timestamp>,
}

struct Locked {
    id: i64,
    project: String,
    version: u64,
}

const LOCK_SQLITE: &str = "SELECT id, project, version FROM cases WHERE reference = $1";
const LOCK_POSTGRES: &str =
    "SELECT id, project, version FROM cases WHERE reference = $1 FOR UPDATE";

impl Store {
    /// Runs one command on a case as one transaction. `expected_version`,
    /// when given, must match the case's version (optimistic concurrency).
    /// Assigning the Fix Lead also moves the project's rotation, in the
    /// same transaction.
    pub async fn execute(
        &self,
        caller: &Caller,
        reference: CaseRef,
        command: Command,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> Result<CaseRecord, StoreError> {
        let mut tx = self.write().await?;
        let record = self
            .execute_in(&mut tx, caller, reference, command, expected_version, now)
            .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// [`Store::execute`] in the caller's transaction, mail included.
    pub(crate) async fn execute_in(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        reference: CaseRef,
        command: Command,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> Result<CaseRecord, StoreError> {
        let principal = &caller.principal;
        let (locked, mut case, mut events) =
            self.lock(tx, reference, expected_version, now).await?;
        let actor = actor(&mut *tx, principal, &case).await?;
        let assigning = matches!(command, Command::AssignFixLead { .. });
        if assigning {
            // The rotation's state is the project's: lock it so that two
            // cases assigned at once never hand out the same turn. `NO KEY`:
            // a report's reference to its project (a foreign key's KEY
            // SHARE, taken inside a grouped batch that already holds the
            // audit head) must not wait for it, or the two would deadlock.
            sqlx::query(match self.backend {
                Backend::Sqlite => "SELECT slug FROM projects WHERE slug = $1",
                Backend::Postgres => "SELECT slug FROM projects WHERE slug = $1 FOR NO KEY UPDATE",
            })
            .bind(&locked.project)
            .fetch_one(&mut *tx)
            .await?;
        }
        let mut roster = Store::roster(tx, &locked.project).await?;
        let changes = psirt_core::decide(&case, &actor, command, Context { now, pst: &roster })?;
        for change in &changes {
            if let Change::FixLeadAssigned { lead, .. } = change {
                take_turn(tx, &locked.project, &mut roster, *lead).await?;
            }
        }
        let new = append(tx, locked.id, &mut case, &changes, actor.as_ref(), now).await?;
        let entry = AuditEntry {
            actor: audit_actor(principal),
            action: match new.first() {
                Some(e) => format!("case.command.{}", e.change.name()),
                None => "case.command".into(),
            },
            case: Some(reference),
            origin: caller.origin.clone(),
            detail: event_range(&new),
        };
        audit::append(tx, self.backend, &entry).await?;
        outbox::enqueue_for_events(tx, &self.mail_domain, locked.id, &case, &new, now).await?;
        crate::held::release_for_events(tx, locked.id, &new, now).await?;
        crate::integrations::schedule_for_events(tx, locked.id, &case, &new, now).await?;
        events.extend(new);
        let notified_at = notified_at(tx, locked.id).await?;
        Ok(CaseRecord {
            case,
            events,
            notified_at,
        })
    }

    /// Reads a case with its timeline, if the principal may see it. The
    /// view, or the denied attempt, is written to the audit log first; a
    /// read that cannot be recorded fails.
    pub async fn case(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<CaseRecord, StoreError> {
        // On its way to the group commit with its audit entry.
        let arrival = self.arrival();
        // One connection for the case and the caller's standing: each
        // connection taken from the pool costs round trips of its own.
        let mut conn = self.pool.acquire().await?;
        let record = self.read(&mut conn, reference).await?;
        let actor = actor(&mut conn, &caller.principal, &record.case).await?;
        drop(conn);
        self.decide_read(caller, reference, &actor, &record, arrival)
            .await?;
        Ok(record)
    }

    /// [`Store::case`] for the bearer of an API token, who is authenticated
    /// by the query that reads the case's row: the token's user (as
    /// [`Store::authenticate`] finds them), the case's row and the user's
    /// seat on its project's PST in one statement, where a caller
    /// authenticated beforehand costs three on two connections. `None`
    /// when the token is unknown or revoked: nothing is read and nothing
    /// recorded. Otherwise decided and audited as [`Store::case`], and
    /// returned with the caller it authenticated.
    pub async fn case_for_token(
        &self,
        token: &str,
        origin: &str,
        reference: CaseRef,
    ) -> Result<Option<(Caller, CaseRecord)>, StoreError> {
        // On its way to the group commit with its audit entry.
        let arrival = self.arrival();
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(concat!(
            "SELECT u.id, u.email, u.name, u.is_admin, c.id AS case_id, c.project, c.version, \
               (SELECT MIN(notified_at) FROM distributor_notifications n \
                 WHERE n.case_id = c.id) AS notified_at, ",
            crate::standing::pst_seat!(),
            " AS seated FROM ",
            crate::accounts::token_user!(),
            " LEFT JOIN cases c ON c.reference = $2 WHERE ",
            crate::accounts::live_token!()
        ))
        .bind(token_hash(token))
        .bind(reference.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = crate::accounts::user_from_row(&row)?;
        let seated = row.try_get::<Option<i64>, _>("seated")?.unwrap_or(0) > 0;
        let id: i64 = row
            .try_get::<Option<i64>, _>("case_id")?
            .ok_or_else(|| StoreError::NotFound(format!("case {reference}")))?;
        let project: String = row.try_get("project")?;
        let record = self.fold_row(&mut conn, reference, id, &row).await?;
        let principal = Principal::User(user);
        // The seat was read on the row's project, which is the fold's
        // (nothing moves a case to another project); were they ever to
        // differ, the standing is read again on the fold's.
        let actor = match &principal {
            Principal::User(user) if project == record.case.project => {
                seated_actor(&mut conn, user, &record.case, seated).await?
            }
            _ => actor(&mut conn, &principal, &record.case).await?,
        };
        drop(conn);
        let caller = Caller::new(principal, origin);
        self.decide_read(&caller, reference, &actor, &record, arrival)
            .await?;
        Ok(Some((caller, record)))
    }

    /// Asks `authorize` whether `actor` may read `record` (its status, for
    /// a reporter's link) and records the read or its denial before
    /// answering: the one decision behind every read of a whole case.
    async fn decide_read(
        &self,
        caller: &Caller,
        reference: CaseRef,
        actor: &psirt_core::Actor,
        record: &CaseRecord,
        arrival: crate::Arrival,
    ) -> Result<(), StoreError> {
        let (op, action) = match caller.principal {
            Principal::Reporter(_) => (Operation::ViewReporterStatus, "status.view"),
            _ => (Operation::ViewCase, "case.view"),
        };
        let decision = authorize(actor, op, &record.case);
        let version = format!("version {}", record.case.version);
        let entry = read_entry(caller, reference, &decision, action, version, "");
        self.grouped_audit(entry, Some(arrival)).await?;
        decision.map_err(psirt_core::Refusal::from)?;
        Ok(())
    }

    /// Records a read of embargoed content, `action` when allowed (with
    /// `detail`) or `action.denied` when not (with `denied_prefix` and the
    /// reason), before the caller learns anything; then returns the
    /// decision. A read that cannot be recorded fails.
    pub(crate) async fn audit_read(
        &self,
        caller: &Caller,
        reference: CaseRef,
        decision: Result<(), psirt_core::Denied>,
        action: &str,
        detail: String,
        denied_prefix: &str,
    ) -> Result<(), StoreError> {
        let entry = read_entry(caller, reference, &decision, action, detail, denied_prefix);
        self.audit(&entry).await?;
        decision.map_err(psirt_core::Refusal::from)?;
        Ok(())
    }

    /// Every case the principal may see, open ones only unless `closed`,
    /// by case. The projection picks them; only those are folded.
    pub async fn cases(&self, caller: &Caller, closed: bool) -> Result<Vec<Case>, StoreError> {
        let state = if closed {
            StateFilter::All
        } else {
            StateFilter::Open
        };
        let visible = self.visible_summaries(caller, state).await?;
        let ids: Vec<i64> = visible.iter().map(|(id, _)| *id).collect();
        let cases = self.fold_all(&ids).await?;
        let shown: Vec<psirt_core::CaseSummary> = visible.into_iter().map(|(_, s)| s).collect();
        self.audit_list(caller, &shown).await?;
        Ok(cases)
    }

    /// What is overdue, due soon and next on every open case the principal
    /// may see, from their summaries (no case is folded).
    pub async fn agenda(&self, caller: &Caller, now: Timestamp) -> Result<Agenda, StoreError> {
        let visible = self.visible_summaries(caller, StateFilter::Open).await?;
        let shown: Vec<psirt_core::CaseSummary> = visible.into_iter().map(|(_, s)| s).collect();
        self.audit_list(caller, &shown).await?;
        Ok(psirt_core::agenda_of(&shown, now))
    }

    /// [`Store::load`] for a read: one query for the case's row, then its
    /// fold kept from an earlier read at the same version (`folds.rs`), or
    /// its events loaded and folded (and kept).
    async fn read(
        &self,
        conn: &mut AnyConnection,
        reference: CaseRef,
    ) -> Result<CaseRecord, StoreError> {
        let row = sqlx::query(
            "SELECT id, version, (SELECT MIN(notified_at) FROM distributor_notifications n \
               WHERE n.case_id = cases.id) AS notified_at \
             FROM cases WHERE reference = $1",
        )
        .bind(reference.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("case {reference}")))?;
        let id: i64 = row.try_get("id")?;
        self.fold_row(conn, reference, id, &row).await
    }

    /// The case whose id is `id` at the `version` (with its
    /// `notified_at`) that `row` read: its fold kept from an earlier read
    /// at that version (`folds.rs`), or its events loaded and folded (and
    /// kept).
    async fn fold_row(
        &self,
        conn: &mut AnyConnection,
        reference: CaseRef,
        id: i64,
        row: &sqlx::any::AnyRow,
    ) -> Result<CaseRecord, StoreError> {
        let version: i64 = row.try_get("version")?;
        let notified_at = row
            .try_get::<Option<i64>, _>("notified_at")?
            .map(|us| {
                Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()?;
        let folded = match self.folds.get(id, version as u64) {
            Some(folded) => folded,
            None => {
                // Possibly a later version than the row read above (an
                // append committed in between): the fold is kept at its
                // own version, which its events define.
                let events = load_events(&mut *conn, id).await?;
                let case = Case::from_events(&events)
                    .ok_or_else(|| StoreError::Corrupt(format!("case {reference}")))?;
                let folded = std::sync::Arc::new(crate::folds::Folded { case, events });
                self.folds.put(id, folded.clone());
                folded
            }
        };
        Ok(CaseRecord {
            case: folded.case.clone(),
            events: folded.events.clone(),
            notified_at,
        })
    }

    pub(crate) async fn load(&self, reference: CaseRef) -> Result<(i64, CaseRecord), StoreError> {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM cases WHERE reference = $1")
            .bind(reference.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let id = id.ok_or_else(|| StoreError::NotFound(format!("case {reference}")))?;
        let events = load_events(&self.pool, id).await?;
        let case = Case::from_events(&events)
            .ok_or_else(|| StoreError::Corrupt(format!("case {reference}")))?;
        let notified_at = notified_at(&mut *self.pool.acquire().await?, id).await?;
        Ok((
            id,
            CaseRecord {
                case,
                events,
                notified_at,
            },
        ))
    }

    async fn lock(
        &self,
        tx: &mut AnyConnection,
        reference: CaseRef,
        expected_version: Option<u64>,
        now: Timestamp,
    ) -> Result<(Locked, Case, Vec<Event>), StoreError> {
        let sql = match self.backend {
            Backend::Sqlite => LOCK_SQLITE,
            Backend::Postgres => LOCK_POSTGRES,
        };
        let row = sqlx::query(sql)
            .bind(reference.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("case {reference}")))?;
        let version: i64 = row.try_get("version")?;
        let locked = Locked {
            id: row.try_get("id")?,
            project: row.try_get("project")?,
            version: version as u64,
        };
        if let Some(expected) = expected_version
            && expected != locked.version
        {
            return Err(StoreError::Conflict {
                reference: reference.to_string(),
                expected,
                actual: locked.version,
            });
        }
        let events = load_events(&mut *tx, locked.id).await?;
        let case = Case::from_events(&events)
            .ok_or_else(|| StoreError::Corrupt(format!("case {reference}")))?;
        if case.version != locked.version {
            return Err(StoreError::Corrupt(format!(
                "case {reference} has {} events but version {}",
                case.version, locked.version
            )));
        }
        // The timeline only moves forward: an event dated before the last
        // one would make "what happened first" ambiguous.
        if let Some(last) = events.last()
            && now < last.at
        {
            return Err(StoreError::Invalid {
                field: "now",
                reason: format!("{now} is earlier than the case's last event ({})", last.at),
            });
        }
        Ok((locked, case, events))
    }
}

/// `events 3-4: fix_lead_assigned, fix_team_formed`: what a command wrote,
/// by name only (the events' content may be embargoed).
pub(crate) fn event_range(events: &[Event]) -> String {
    let names: Vec<&str> = events.iter().map(|e| e.change.name()).collect();
    match (events.first(), events.last()) {
        (Some(first), Some(last)) if first.seq == last.seq => {
            format!("event {}: {}", first.seq, names.join(", "))
        }
        (Some(first), Some(last)) => {
            format!("events {}-{}: {}", first.seq, last.seq, names.join(", "))
        }
        _ => "no events".into(),
    }
}

/// Records that `lead` just took a turn as Fix Lead, as
/// `psirt_core::take_turn` counts it. The caller holds the project's row
/// lock, so reading the count and writing it back cannot interleave.
async fn take_turn(
    tx: &mut AnyConnection,
    project: &str,
    roster: &mut [psirt_core::RosterEntry],
    lead: UserId,
) -> Result<(), StoreError> {
    let turns: i64 = sqlx::query_scalar("SELECT lead_turns FROM projects WHERE slug = $1")
        .bind(project)
        .fetch_one(&mut *tx)
        .await?;
    let turn = psirt_core::take_turn(roster, turns as u64, lead) as i64;
    sqlx::query("UPDATE projects SET lead_turns = $1 WHERE slug = $2")
        .bind(turn)
        .bind(project)
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE pst_members SET last_turn = $1 WHERE project = $2 AND user_id = $3")
        .bind(turn)
        .bind(project)
        .bind(lead.get())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// When the case's pre-notification first reached an organisation (its
/// copies approved), if it has.
async fn notified_at(
    conn: &mut AnyConnection,
    case_id: i64,
) -> Result<Option<Timestamp>, StoreError> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(notified_at) FROM distributor_notifications WHERE case_id = $1",
    )
    .bind(case_id)
    .fetch_one(&mut *conn)
    .await?;
    at.map(|us| Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string())))
        .transpose()
}

pub(crate) async fn load_events<'e, E>(executor: E, case_id: i64) -> Result<Vec<Event>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM case_events WHERE case_id = $1 ORDER BY seq")
            .bind(case_id)
            .fetch_all(executor)
            .await?;
    payloads.iter().map(|p| parse_event(case_id, p)).collect()
}

/// One stored event of case `case_id`.
fn parse_event(case_id: i64, payload: &str) -> Result<Event, StoreError> {
    serde_json::from_str(payload)
        .map_err(|e| StoreError::Corrupt(format!("event of case #{case_id}: {e}")))
}

/// The events of each of the cases `ids`, in order: one query for them
/// all. A case with no events is absent from the map.
async fn load_events_of<'e, E>(
    executor: E,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Event>>, StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let mut events: std::collections::HashMap<i64, Vec<Event>> = std::collections::HashMap::new();
    if ids.is_empty() {
        return Ok(events);
    }
    let sql = format!(
        "SELECT case_id, payload FROM case_events WHERE case_id IN {} ORDER BY case_id, seq",
        crate::values_list(1, ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(*id);
    }
    for row in query.fetch_all(executor).await? {
        let case_id: i64 = row.try_get("case_id")?;
        let payload: String = row.try_get("payload")?;
        let event = parse_event(case_id, &payload)?;
        events.entry(case_id).or_default().push(event);
    }
    Ok(events)
}

/// How many cases' events one query reads when a list folds its cases:
/// a page's worth and more, far below either database's limit on bound
/// parameters.
pub(crate) const FOLD_CHUNK: usize = 200;

impl Store {
    /// The cases `ids`, folded, in that order: their events read
    /// [`FOLD_CHUNK`] cases to a query, not one query a case.
    pub(crate) async fn fold_all(&self, ids: &[i64]) -> Result<Vec<Case>, StoreError> {
        let mut cases = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(FOLD_CHUNK) {
            let mut events = load_events_of(&self.pool, chunk).await?;
            for id in chunk {
                cases.push(
                    Case::from_events(&events.remove(id).unwrap_or_default())
                        .ok_or_else(|| StoreError::Corrupt(format!("case #{id}")))?,
                );
            }
        }
        Ok(cases)
    }
}

/// Appends the events of `changes` to `case` (folded to its latest
/// event), folds them into it and rewrites its summary: with intake's
/// `open_reports`, the only way events are written, so the projection
/// moves in the transaction of every append.
async fn append(
    tx: &mut AnyConnection,
    case_id: i64,
    case: &mut Case,
    changes: &[Change],
    actor: ActorRef,
    now: Timestamp,
) -> Result<Vec<Event>, StoreError> {
    let events = new_events(case.version, changes, actor, now);
    write_events(tx, &[(case_id, &events)]).await?;
    move_case(tx, case_id, case.version, changes, now).await?;
    events.iter().for_each(|e| case.apply(e));
    crate::summaries::write(tx, case_id, case, now).await?;
    Ok(events)
}

/// The events `changes` make, appended after `version` by `actor` at
/// `now`.
pub(crate) fn new_events(
    version: u64,
    changes: &[Change],
    actor: ActorRef,
    now: Timestamp,
) -> Vec<Event> {
    changes
        .iter()
        .enumerate()
        .map(|(i, change)| Event {
            seq: version + 1 + i as u64,
            at: now,
            actor,
            change: change.clone(),
        })
        .collect()
}

/// The most events one INSERT writes (six values each).
const EVENTS_PER_INSERT: usize = 100;

/// Inserts the events of each case in `cases`, an INSERT per
/// [`EVENTS_PER_INSERT`] events (one round trip for a command's events,
/// or for the first events of all the reports a batch opens); the primary
/// key (case_id, seq) makes a second writer with the same view fail
/// instead of interleaving. Called only by [`append`] and intake
/// (`intake.rs`); the case's row moves with [`move_case`], or is written
/// at its version by intake.
pub(crate) async fn write_events(
    tx: &mut AnyConnection,
    cases: &[(i64, &[Event])],
) -> Result<(), StoreError> {
    let rows: Vec<(i64, &Event)> = cases
        .iter()
        .flat_map(|(id, events)| events.iter().map(move |e| (*id, e)))
        .collect();
    for chunk in rows.chunks(EVENTS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO case_events (case_id, seq, at, kind, actor, payload) VALUES {}",
            crate::values_list(chunk.len(), 6)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (case_id, event) in chunk {
            let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
            query = query
                .bind(*case_id)
                .bind(event.seq as i64)
                .bind(micros(event.at))
                .bind(event.change.name())
                .bind(serde_json::to_string(&event.actor).map_err(corrupt)?)
                .bind(serde_json::to_string(event).map_err(corrupt)?);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The case's row after `changes` appended at `version`: its new version,
/// and whether it is still open.
pub(crate) fn moved(version: u64, changes: &[Change]) -> (i64, bool) {
    let is_open = !changes.iter().any(|c| matches!(c, Change::Closed));
    ((version + changes.len() as u64) as i64, is_open)
}

/// Moves the case's row past `changes`, appended at `version`.
async fn move_case(
    tx: &mut AnyConnection,
    case_id: i64,
    version: u64,
    changes: &[Change],
    now: Timestamp,
) -> Result<(), StoreError> {
    let (new_version, is_open) = moved(version, changes);
    sqlx::query("UPDATE cases SET version = $1, is_open = $2, updated_at = $3 WHERE id = $4 AND version = $5")
        .bind(new_version)
        .bind(i64::from(is_open))
        .bind(micros(now))
        .bind(case_id)
        .bind(version as i64)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The audit entry of a read of `reference`: `action` with `detail` when
/// allowed, `action.denied` with `denied_prefix` and the reason when not.
fn read_entry(
    caller: &Caller,
    reference: CaseRef,
    decision: &Result<(), psirt_core::Denied>,
    action: &str,
    detail: String,
    denied_prefix: &str,
) -> AuditEntry {
    let (action, detail) = match decision {
        Ok(()) => (action.to_string(), detail),
        Err(denied) => (
            format!("{action}.denied"),
            format!("{denied_prefix}{denied}"),
        ),
    };
    AuditEntry::by(caller, action, Some(reference), detail)
}
