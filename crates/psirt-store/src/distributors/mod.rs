//! The private distributors list's storage: organisations and their people,
//! the application (criteria answered one by one, a voucher, the embargo
//! policy accepted person by person), the PST's decisions, which
//! organisations were pre-notified on which case, and the distributor
//! portal (the notice, review and test results, leaks, help with drafts).
//!
//! The rules live in `psirt_core::distributors`: an organisation's commands
//! go load (the fold of its events, `events.rs`) → decide (`decide_org`,
//! which asks `authorize`) → append the changes as its next event, which is
//! also its timeline entry, and apply them to the rows (a projection kept
//! for the queries that need rows), in one transaction with the audit
//! entry, like a case's. The
//! caller's standing comes from `standing.rs`: a person is a `Distributor`
//! only once they accepted the embargo policy themselves, while their
//! organisation is approved and they are not removed. Every read of
//! embargoed content (a notified case, its notice, feedback, help
//! requests) is in the audit log, allowed or denied, before anything is
//! returned. Removal and suspension discard the people's pending
//! pre-notification copies (through `outbox/`) in the same transaction.
//!
//! `events.rs`: the organisation's events, their fold and the backfill;
//! `apply.rs`: applications, founding members and the people they name;
//! `lifecycle.rs`: the voucher's, each person's and the PST's steps;
//! `portal.rs`: what a notified distributor reads and sends back;
//! `team_views.rs`: what the PST and an organisation's people read.

mod apply;
mod events;
mod lifecycle;
mod portal;
mod team_views;

use std::fmt;

use jiff::Timestamp;
use psirt_core::distributors::OrgChange;
use psirt_core::{CaseRef, EmailAddress, Refusal, Rule, Secret, Text, UserId};
use sqlx::{AnyConnection, Row};

use crate::accounts::User;
use crate::audit::{self, AuditEntry};
use crate::keys::CheckedKey;
use crate::standing::audit_actor;
use crate::{Caller, StoreError};

pub(crate) use events::backfill_events;
pub use psirt_core::distributors::{CRITERIA, FeedbackKind, OrgState, Outcome};

/// A person an organisation names: an individual, with their key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPerson {
    pub name: String,
    pub email: EmailAddress,
    /// Without one, the person is never sent a pre-notification (it is
    /// never sent in clear) and is listed on the case as not notified.
    /// Checked at the edge ([`CheckedKey::new`], after
    /// `psirt_mail::PublicKey::from_armored`).
    pub key: Option<CheckedKey>,
}

impl NewPerson {
    /// The person as the list's rules check them.
    pub(crate) fn proposed(&self) -> psirt_core::distributors::ProposedPerson<'_> {
        psirt_core::distributors::ProposedPerson {
            name: &self.name,
            email: &self.email,
            key: self.key.as_ref().map(|k| (k.fingerprint(), k.armored())),
        }
    }
}

/// An application to a project's distributors list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub project: String,
    pub organisation: String,
    /// One answer per membership criterion ([`CRITERIA`]), in order.
    pub answers: Vec<String>,
    /// The organisation's list address, kept as its contact. Embargoed
    /// mail goes only to the named people.
    pub list_address: Option<EmailAddress>,
    pub people: Vec<NewPerson>,
    /// The existing member who vouches (criterion 7).
    pub voucher: EmailAddress,
}

/// One person of an organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributorPerson {
    pub id: i64,
    pub user: User,
    /// The name the organisation gave for them (the account's own name
    /// when it gave none): what the organisation's pages show.
    pub name: String,
    /// The fingerprint of the key named for them, until they confirm it
    /// by accepting the embargo policy, signed in.
    pub key_pending: Option<String>,
    pub added_at: Timestamp,
    /// When they accepted the embargo policy; `None`: they see nothing.
    pub accepted_at: Option<Timestamp>,
    /// `self`, or `founding` for a founding member enrolled by the
    /// administrator ([`Store::found_distributor`]).
    pub accepted_via: Option<String>,
    pub removed_at: Option<Timestamp>,
    /// Whether an OpenPGP key is on file for their address.
    pub has_key: bool,
}

/// An organisation, as the PST, its people and its voucher see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistributorOrg {
    pub id: i64,
    pub project: String,
    pub name: String,
    pub list_address: Option<String>,
    pub answers: Vec<String>,
    pub voucher: Option<User>,
    pub state: OrgState,
    /// The reason of the last decision that needs one (rejection,
    /// declined vouching, suspension, reinstatement, removal): the
    /// applicant sees it.
    pub reason: Option<String>,
    pub applied_at: Timestamp,
    pub updated_at: Timestamp,
    pub people: Vec<DistributorPerson>,
    pub timeline: Vec<OrgEvent>,
}

/// One entry of an organisation's timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgEvent {
    pub at: Timestamp,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

/// The PST's decision on an organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgDecision {
    Approve,
    Reject { reason: String },
    Suspend { reason: String },
    Reinstate { reason: String },
    Remove { reason: String },
}

/// One piece of feedback or one answer to a request for help.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub id: i64,
    pub organisation: String,
    pub by: EmailAddress,
    pub at: Timestamp,
    /// `review`, `test` or `help`.
    pub kind: String,
    pub outcome: Option<Outcome>,
    /// The request a help answer answers.
    pub request: Option<i64>,
    pub text: Secret<String>,
}

/// A leak as a distributor (or the team) reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLeak {
    pub what: String,
    pub to_whom: String,
    pub when: Timestamp,
    /// The organisation responsible, where known (by name, in the case's project).
    pub responsible: Option<String>,
}

/// Leaks per organisation, for the PST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeakCount {
    pub org_id: i64,
    pub organisation: String,
    pub state: OrgState,
    pub leaks: u64,
}

/// A case notified to the caller's organisation, under embargo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotifiedCase {
    pub reference: CaseRef,
    pub summary: String,
    pub embargo_end: Option<Timestamp>,
    /// The end the pre-notification gave, when the PST has since moved
    /// the date forward (after an embargo break).
    pub embargo_was: Option<Timestamp>,
    pub notified_at: Timestamp,
}

/// The pre-notification of a case, as sent.
#[derive(Clone, PartialEq, Eq)]
pub struct PreNotificationText {
    pub reference: CaseRef,
    pub subject: Secret<String>,
    pub body: Secret<String>,
    pub embargo_end: Option<Timestamp>,
    /// As [`NotifiedCase::embargo_was`].
    pub embargo_was: Option<Timestamp>,
}

impl fmt::Debug for PreNotificationText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreNotificationText")
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

/// Where one person's copy of a case's pre-notification is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Sent, encrypted to their key.
    Notified,
    /// A draft waiting for review, queued, or being sent.
    Pending,
    /// Not sent, and why (no usable key, discarded, removed, …).
    NotNotified(String),
}

/// One row of a case's distributor notifications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationStatus {
    pub organisation: String,
    pub email: String,
    pub delivery: Delivery,
}

/// A request from the PST for help with drafts or release notes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelpRequest {
    pub id: i64,
    pub topic: HelpTopic,
    pub text: Secret<String>,
    pub asked_at: Timestamp,
}

/// What the PST asks distributors to help with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelpTopic {
    /// "Help draft emails to the public disclosure mailing list."
    AnnouncementDraft,
    /// "Help with release notes."
    ReleaseNotes,
}

impl HelpTopic {
    pub fn as_str(self) -> &'static str {
        match self {
            HelpTopic::AnnouncementDraft => "announcement_draft",
            HelpTopic::ReleaseNotes => "release_notes",
        }
    }

    pub fn parse(s: &str) -> Option<HelpTopic> {
        match s.replace('-', "_").as_str() {
            "announcement_draft" => Some(HelpTopic::AnnouncementDraft),
            "release_notes" => Some(HelpTopic::ReleaseNotes),
            _ => None,
        }
    }
}

/// A refusal of the list's rules as the store reports it: bad input names
/// its field, an unknown person is not found, the rest is a refusal.
fn refused(refusal: Refusal) -> StoreError {
    match refusal {
        Refusal::Invalid { field, reason } => StoreError::Invalid { field, reason },
        Refusal::Rule(rule @ Rule::OrgNotInState { .. }) => {
            StoreError::WrongState(rule.to_string())
        }
        Refusal::Rule(Rule::NotAPerson { who, organisation }) => StoreError::NotFound(match who {
            Some(who) => format!("{who} among the people of {organisation}"),
            None => format!("you among the people of {organisation}"),
        }),
        other => StoreError::Refused(other),
    }
}

/// A reason given for a step, as the core's checked [`Text`].
fn reason(value: &str) -> Result<Text, StoreError> {
    Text::new("reason", value, psirt_core::distributors::MAX_TEXT).map_err(refused)
}

fn instant(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("instant: {e}")))
}

fn deny(decision: Result<(), psirt_core::Denied>) -> Result<(), StoreError> {
    decision.map_err(|d| StoreError::Refused(Refusal::from(d)))
}

/// Records what a command did as the organisation's next event (its
/// changes, none for what concerns the organisation without changing it,
/// and the timeline's words) and in the audit log, in `tx`. The audit
/// entry comes first: on PostgreSQL its head lock orders every writer, so
/// the event's `seq` is this transaction's alone.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    caller: &Caller,
    org: i64,
    kind: &str,
    changes: &[OrgChange],
    detail: String,
    case: Option<CaseRef>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let actor = audit_actor(&caller.principal);
    audit::append(
        tx,
        backend,
        &AuditEntry {
            actor: actor.clone(),
            action: format!("distributor.{kind}"),
            case,
            origin: caller.origin.clone(),
            detail: format!("organisation {org}: {detail}"),
        },
    )
    .await?;
    let meta = events::EventMeta {
        kind,
        actor: &actor,
        at: now,
        detail: &detail,
    };
    events::append_event(tx, org, changes, meta).await
}

/// Who the audit log names for a change: as `audit_actor` and the origin.
struct Who {
    actor: String,
    origin: String,
}

impl Who {
    fn of(caller: &Caller) -> Who {
        Who {
            actor: audit_actor(&caller.principal),
            origin: caller.origin.clone(),
        }
    }
}

struct OrgRow {
    id: i64,
    project: String,
    name: String,
    state: OrgState,
    voucher: Option<i64>,
}

const ORG_ROW: &str =
    "SELECT id, project, name, state, voucher_id FROM distributor_orgs WHERE id = $1";
const ORG_ROW_LOCKED: &str =
    "SELECT id, project, name, state, voucher_id FROM distributor_orgs WHERE id = $1 FOR UPDATE";

async fn org_row(conn: &mut AnyConnection, org: i64) -> Result<OrgRow, StoreError> {
    org_row_with(conn, ORG_ROW, org).await
}

/// The organisation's row, locked until the transaction ends, as a case
/// is (`cases.rs`): a command is decided on the organisation loaded after
/// this, so two commands on one organisation are decided one after the
/// other, each on the state the other left. On SQLite the write
/// transaction already holds the database's one write lock.
async fn lock_org(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    org: i64,
) -> Result<OrgRow, StoreError> {
    match backend {
        crate::Backend::Sqlite => org_row(tx, org).await,
        crate::Backend::Postgres => org_row_with(tx, ORG_ROW_LOCKED, org).await,
    }
}

async fn org_row_with(
    conn: &mut AnyConnection,
    sql: &'static str,
    org: i64,
) -> Result<OrgRow, StoreError> {
    let row = sqlx::query(sql)
        .bind(org)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("distributor organisation {org}")))?;
    Ok(OrgRow {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        name: row.try_get("name")?,
        state: parse_state(&row.try_get::<String, _>("state")?)?,
        voucher: row.try_get("voucher_id")?,
    })
}

fn invalid(field: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field,
        reason: reason.into(),
    }
}

fn parse_state(s: &str) -> Result<OrgState, StoreError> {
    OrgState::parse(s).ok_or_else(|| StoreError::Corrupt(format!("organisation state {s:?}")))
}

/// The caller's organisation that was notified on the case.
async fn notified_org(
    tx: &mut AnyConnection,
    user: UserId,
    case_id: i64,
) -> Result<i64, StoreError> {
    let org: Option<i64> = sqlx::query_scalar(
        "SELECT p.org_id FROM distributor_people p JOIN distributor_notifications n ON n.org_id = p.org_id \
         WHERE p.user_id = $1 AND n.case_id = $2 AND p.removed_at IS NULL ORDER BY p.org_id LIMIT 1",
    )
    .bind(user.get())
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    org.ok_or_else(|| StoreError::NotFound("your organisation's notification".into()))
}

impl crate::Store {
    /// Loads a case for a read of its distributor affairs: `authorize`
    /// decides `operation` for the caller's standing on it, and the read
    /// (or its denial) is in the audit log as `action` before anything is
    /// returned. Also returns the caller's standing.
    async fn audited_case_read(
        &self,
        caller: &Caller,
        reference: CaseRef,
        operation: psirt_core::Operation,
        action: &str,
    ) -> Result<(i64, crate::CaseRecord, psirt_core::Actor), StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        let decision = psirt_core::authorize(&actor, operation, &record.case);
        self.audit_read(caller, reference, decision, action, String::new(), "")
            .await?;
        Ok((case_id, record, actor))
    }
    /// The rows `sql` selects for the case (its one parameter the case's
    /// id), read as [`Store::audited_case_read`] reads the case: decided
    /// and audited before anything is returned.
    async fn audited_case_rows(
        &self,
        caller: &Caller,
        reference: CaseRef,
        operation: psirt_core::Operation,
        action: &str,
        sql: &'static str,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        let (case_id, _, _) = self
            .audited_case_read(caller, reference, operation, action)
            .await?;
        Ok(sqlx::query(sql).bind(case_id).fetch_all(&self.pool).await?)
    }
}
