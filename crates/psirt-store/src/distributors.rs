//! The private distributors list: organisations and their people, the
//! application (criteria answered one by one, a voucher, the embargo policy
//! accepted person by person), the PST's decisions, which organisations were
//! pre-notified on which case, and the distributor portal (the notice,
//! review and test results, leaks, help with drafts).
//!
//! Access is decided by `psirt_core::authorize` and `authorize_instance`,
//! from the actor this module and `cases::actor` make: a person is a
//! `Distributor` only once they accepted the embargo policy themselves,
//! while their organisation is approved and they are not removed. Every
//! change is one transaction with its timeline row and audit entry; every
//! read of embargoed content (a notified case, its notice, feedback, help
//! requests) is in the audit log, allowed or denied, before anything is
//! returned. Removal and suspension discard the people's pending
//! pre-notification copies in the same transaction.
//!
//! What counts as an individual address (see [`check_individual`]): the
//! local part must not be a role or list name (`security`, `psirt`,
//! `admin`, `info`, `team`, `announce`, …, or one of those with a
//! `-`/`.`/`_` suffix such as `security-team` or `dev-announce`), and the
//! domain must not be a mailing-list host (`lists.…`, `googlegroups.com`,
//! `groups.io`). This catches the obvious group aliases; it cannot prove an
//! address reaches one person, so the embargo policy each person accepts
//! says it must.

use std::fmt;

use jiff::Timestamp;
use psirt_core::{
    About, Actor, CaseRef, Command, EmailAddress, Operation, Refusal, Secret, UserId, authorize,
    authorize_about, authorize_instance,
};
use sqlx::{AnyConnection, Row};

use crate::accounts::{User, user_from_row};
use crate::audit::{self, AuditEntry};
use crate::cases::CaseRecord;
use crate::standing::{Scope, audit_actor, member_orgs, standing};
use crate::{Caller, Store, StoreError, micros};

/// The seed's membership criteria, one answer each, in order.
pub const CRITERIA: [&str; 7] = [
    "Be an active distributor of the project's components.",
    "Have a user base not limited to your own organization.",
    "Have a publicly verifiable track record up to present day of fixing security issues.",
    "Not be a downstream or rebuild of another distributor.",
    "Be a participant and active contributor in the community.",
    "Accept the Embargo Policy.",
    "Have someone already on the list vouch for the person requesting membership on behalf of your distribution.",
];

/// The field each answer is reported under when it is refused.
const CRITERION_FIELDS: [&str; 7] = [
    "criterion_1",
    "criterion_2",
    "criterion_3",
    "criterion_4",
    "criterion_5",
    "criterion_6",
    "criterion_7",
];

const MAX_ANSWER: usize = 10_000;
const MAX_TEXT: usize = 100_000;
const MAX_PEOPLE: usize = 50;

/// Where an organisation is on the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrgState {
    /// Applied; waits for the member named as voucher.
    Applied,
    /// The voucher confirmed; waits for the PST.
    Vouched,
    /// The voucher declined.
    Declined,
    Approved,
    Rejected,
    /// Approved, then suspended by the PST: receives and sees nothing.
    Suspended,
    /// Removed by the PST: receives and sees nothing, for good.
    Removed,
}

impl OrgState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgState::Applied => "applied",
            OrgState::Vouched => "vouched",
            OrgState::Declined => "declined",
            OrgState::Approved => "approved",
            OrgState::Rejected => "rejected",
            OrgState::Suspended => "suspended",
            OrgState::Removed => "removed",
        }
    }

    fn parse(s: &str) -> Result<OrgState, StoreError> {
        Ok(match s {
            "applied" => OrgState::Applied,
            "vouched" => OrgState::Vouched,
            "declined" => OrgState::Declined,
            "approved" => OrgState::Approved,
            "rejected" => OrgState::Rejected,
            "suspended" => OrgState::Suspended,
            "removed" => OrgState::Removed,
            other => return Err(StoreError::Corrupt(format!("organisation state {other:?}"))),
        })
    }
}

/// A person's OpenPGP key, checked by the caller
/// (`psirt_mail::PublicKey::from_armored`).
#[derive(Clone, PartialEq, Eq)]
pub struct PersonKey {
    pub fingerprint: String,
    pub armored: String,
}

impl fmt::Debug for PersonKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// A person an organisation names: an individual, with their key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPerson {
    pub name: String,
    pub email: EmailAddress,
    /// Without one, the person is never sent a pre-notification (it is
    /// never sent in clear) and is listed on the case as not notified.
    pub key: Option<PersonKey>,
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

/// What a review or test found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    IssuesFound,
    /// "Inform the list of the work done even if no issues were encountered."
    NoIssuesFound,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::IssuesFound => "issues_found",
            Outcome::NoIssuesFound => "no_issues_found",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s.replace('-', "_").as_str() {
            "issues_found" => Some(Outcome::IssuesFound),
            "no_issues_found" => Some(Outcome::NoIssuesFound),
            _ => None,
        }
    }
}

/// What a distributor sends back on a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedbackKind {
    Review,
    Test,
}

impl FeedbackKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Review => "review",
            FeedbackKind::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<FeedbackKind> {
        match s {
            "review" => Some(FeedbackKind::Review),
            "test" => Some(FeedbackKind::Test),
            _ => None,
        }
    }
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

fn invalid(field: &'static str, reason: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        field,
        reason: reason.into(),
    }
}

/// A required text: trimmed, not empty, bounded.
fn text(field: &'static str, value: &str, max: usize) -> Result<String, StoreError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(invalid(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_string())
}

const ROLE_NAMES: &[&str] = &[
    "abuse",
    "admin",
    "administrator",
    "all",
    "announce",
    "cert",
    "contact",
    "csirt",
    "dev",
    "devel",
    "developers",
    "distributors",
    "everyone",
    "help",
    "hostmaster",
    "info",
    "list",
    "lists",
    "maintainers",
    "no-reply",
    "noreply",
    "office",
    "packagers",
    "postmaster",
    "psirt",
    "root",
    "sales",
    "secalert",
    "security",
    "staff",
    "support",
    "team",
    "users",
    "webmaster",
];

/// Refuses the obvious group aliases (see the module documentation).
pub fn check_individual(field: &'static str, email: &EmailAddress) -> Result<(), StoreError> {
    let address = email.as_str().to_ascii_lowercase();
    let (local, domain) = address.rsplit_once('@').unwrap_or((&address, ""));
    let local = local.split('+').next().unwrap_or(local);
    let role = ROLE_NAMES.contains(&local)
        || local
            .split(['-', '.', '_'])
            .any(|part| ROLE_NAMES.contains(&part) && part != local && is_list_word(part));
    let list_host = domain.starts_with("lists.")
        || domain == "googlegroups.com"
        || domain == "groups.io"
        || domain.ends_with(".groups.io");
    if role || list_host {
        return Err(invalid(
            field,
            format!(
                "{email} looks like a group or role address; name each person with their own address"
            ),
        ));
    }
    Ok(())
}

/// Words that make a compound local part a list (`security-team`,
/// `dev-announce`), but not a person (`dev.smith` is fine).
fn is_list_word(part: &str) -> bool {
    matches!(
        part,
        "announce"
            | "security"
            | "team"
            | "list"
            | "lists"
            | "all"
            | "psirt"
            | "csirt"
            | "cert"
            | "secalert"
            | "distributors"
            | "maintainers"
            | "packagers"
            | "users"
            | "devel"
            | "noreply"
    )
}

fn check_people(people: &[NewPerson]) -> Result<Vec<NewPerson>, StoreError> {
    if people.is_empty() {
        return Err(invalid(
            "people",
            "name at least one person: individuals, each with their own address",
        ));
    }
    if people.len() > MAX_PEOPLE {
        return Err(invalid("people", format!("at most {MAX_PEOPLE} people")));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for p in people {
        let mut p = p.clone();
        p.name = text("person_name", &p.name, 200)?;
        check_individual("person_email", &p.email)?;
        if !seen.insert(p.email.as_str().to_ascii_lowercase()) {
            return Err(invalid(
                "person_email",
                format!("{} is named twice", p.email),
            ));
        }
        if let Some(key) = &p.key {
            text("person_key", &key.fingerprint, 200)?;
            text("person_key", &key.armored, 1_000_000)?;
        }
        out.push(p);
    }
    Ok(out)
}

fn instant(us: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(format!("instant: {e}")))
}

fn deny(decision: Result<(), psirt_core::Denied>) -> Result<(), StoreError> {
    decision.map_err(|d| StoreError::Refused(Refusal::from(d)))
}

/// Records on the org's timeline and in the audit log, in `tx`.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    caller: &Caller,
    org: i64,
    kind: &str,
    detail: String,
    case: Option<CaseRef>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let actor = audit_actor(&caller.principal);
    sqlx::query(
        "INSERT INTO distributor_timeline (org_id, at, actor, kind, detail) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org)
    .bind(micros(now))
    .bind(&actor)
    .bind(kind)
    .bind(&detail)
    .execute(&mut *tx)
    .await?;
    audit::append(
        tx,
        backend,
        &AuditEntry {
            actor,
            action: format!("distributor.{kind}"),
            case,
            origin: caller.origin.clone(),
            detail: format!("organisation {org}: {detail}"),
        },
    )
    .await
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

/// The account for `email`, created (without a token or password) when
/// there is none, so that the person can be given a way to sign in.
async fn ensure_user(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    who: &Who,
    email: &EmailAddress,
    name: &str,
    now: Timestamp,
) -> Result<UserId, StoreError> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = LOWER($1)")
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(id) = id {
        return Ok(UserId::new(id));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, is_admin, created_at) VALUES ($1, $2, 0, $3) RETURNING id",
    )
    .bind(email.as_str())
    .bind(name)
    .bind(micros(now))
    .fetch_one(&mut *tx)
    .await?;
    audit::append(
        tx,
        backend,
        &AuditEntry {
            actor: who.actor.clone(),
            action: "user.add".into(),
            case: None,
            origin: who.origin.clone(),
            detail: format!("user {id} {email}, distributor"),
        },
    )
    .await?;
    Ok(UserId::new(id))
}

/// Adds (or brings back) a person: they must accept the policy again.
/// The name and key given are kept with this organisation's row only: an
/// existing account's name and key on file never change here (the key
/// becomes the key on file when the person confirms it, signed in, by
/// accepting the embargo policy).
async fn add_person(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    who: &Who,
    org: i64,
    person: &NewPerson,
    added_by: Option<UserId>,
    now: Timestamp,
) -> Result<UserId, StoreError> {
    let user = ensure_user(tx, backend, who, &person.email, &person.name, now).await?;
    let existing: Option<(i64, Option<i64>)> = sqlx::query(
        "SELECT id, removed_at FROM distributor_people WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org)
    .bind(user.get())
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> Result<_, sqlx::Error> { Ok((r.try_get("id")?, r.try_get("removed_at")?)) })
    .transpose()?;
    match existing {
        Some((_, None)) => {
            return Err(StoreError::Duplicate(format!(
                "{} in this organisation",
                person.email
            )));
        }
        Some((id, Some(_))) => {
            sqlx::query(
                "UPDATE distributor_people SET removed_at = NULL, accepted_at = NULL, accepted_via = NULL, \
                 added_at = $1, added_by = $2, given_name = $3, proposed_fingerprint = $4, proposed_key = $5 \
                 WHERE id = $6",
            )
            .bind(micros(now))
            .bind(added_by.map(UserId::get))
            .bind(&person.name)
            .bind(person.key.as_ref().map(|k| k.fingerprint.clone()))
            .bind(person.key.as_ref().map(|k| k.armored.clone()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO distributor_people (org_id, user_id, added_at, added_by, given_name, proposed_fingerprint, proposed_key) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(org)
            .bind(user.get())
            .bind(micros(now))
            .bind(added_by.map(UserId::get))
            .bind(&person.name)
            .bind(person.key.as_ref().map(|k| k.fingerprint.clone()))
            .bind(person.key.as_ref().map(|k| k.armored.clone()))
            .execute(&mut *tx)
            .await?;
        }
    }
    Ok(user)
}

/// The person, signed in and accepting the policy, confirms the key their
/// organisation named for them: it becomes their key on file unless they
/// already have one (which they change themself, `PUT
/// /api/v1/me/openpgp-key`). Returns words for the timeline.
async fn confirm_proposed_key(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    caller: &Caller,
    user: &User,
    person: i64,
    now: Timestamp,
) -> Result<String, StoreError> {
    let proposed = sqlx::query(
        "SELECT proposed_fingerprint, proposed_key FROM distributor_people WHERE id = $1",
    )
    .bind(person)
    .fetch_one(&mut *tx)
    .await?;
    let fingerprint: Option<String> = proposed.try_get("proposed_fingerprint")?;
    let armored: Option<String> = proposed.try_get("proposed_key")?;
    let (Some(fingerprint), Some(armored)) = (fingerprint, armored) else {
        return Ok(String::new());
    };
    sqlx::query(
        "UPDATE distributor_people SET proposed_fingerprint = NULL, proposed_key = NULL WHERE id = $1",
    )
    .bind(person)
    .execute(&mut *tx)
    .await?;
    let on_file: Option<String> =
        sqlx::query_scalar("SELECT fingerprint FROM openpgp_keys WHERE email = $1")
            .bind(user.email.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    match on_file {
        Some(on_file) if on_file == fingerprint => Ok(format!("; key {fingerprint} on file")),
        Some(on_file) => Ok(format!(
            "; kept their key on file {on_file}, not {fingerprint} named for them"
        )),
        None => {
            let actor = audit_actor(&caller.principal);
            crate::outbox::put_key_in(
                tx,
                backend,
                (&actor, &caller.origin),
                &user.email,
                &fingerprint,
                &armored,
                now,
            )
            .await?;
            Ok(format!("; confirmed key {fingerprint}"))
        }
    }
}

impl Store {
    /// Invites a person just named on `(org, name, project)`'s list to set
    /// a password and sign in (unless they can already), encrypted to the
    /// key they gave.
    async fn invite_person(
        &self,
        tx: &mut AnyConnection,
        who: &Who,
        (org, name, project): (i64, &str, &str),
        person: &NewPerson,
        user: UserId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.invite(
            tx,
            crate::invitations::Invite {
                user,
                email: &person.email,
                name: &person.name,
                project,
                purpose: crate::invitations::Purpose::Distributor { org },
                what: name,
                key: person.key.as_ref().map(|k| k.armored.as_str()),
                by: (&who.actor, &who.origin),
            },
            now,
        )
        .await
    }
}

/// Discards the pending pre-notification copies of an organisation's
/// people (all of them, or one), with the reason; returns how many.
async fn discard_pending(
    tx: &mut AnyConnection,
    org: i64,
    person: Option<i64>,
    reason: &str,
) -> Result<u64, StoreError> {
    let pending = "UPDATE outbox SET state = 'discarded', last_error = $1 \
         WHERE state IN ('draft', 'queued') AND distributor_person_id IN ";
    let n = match person {
        Some(person) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{pending}(SELECT id FROM distributor_people WHERE org_id = $2 AND id = $3)"
        )))
        .bind(reason)
        .bind(org)
        .bind(person),
        None => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{pending}(SELECT id FROM distributor_people WHERE org_id = $2)"
        )))
        .bind(reason)
        .bind(org),
    }
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(n)
}

struct OrgRow {
    id: i64,
    project: String,
    name: String,
    state: OrgState,
    voucher: Option<i64>,
}

async fn org_row(conn: &mut AnyConnection, org: i64) -> Result<OrgRow, StoreError> {
    let row = sqlx::query(
        "SELECT id, project, name, state, voucher_id FROM distributor_orgs WHERE id = $1",
    )
    .bind(org)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("distributor organisation {org}")))?;
    Ok(OrgRow {
        id: row.try_get("id")?,
        project: row.try_get("project")?,
        name: row.try_get("name")?,
        state: OrgState::parse(&row.try_get::<String, _>("state")?)?,
        voucher: row.try_get("voucher_id")?,
    })
}

fn wrong_state(org: &OrgRow, what: &str) -> StoreError {
    invalid(
        "state",
        format!("{} is {}; {what}", org.name, org.state.as_str()),
    )
}

impl Store {
    /// Takes in an application: validates every field first (nothing is
    /// written on a refusal), creates accounts for the named people who
    /// have none, keeps their keys on file, and puts "applied" on the
    /// organisation's timeline. The voucher must be a current member of
    /// another organisation on the project's list.
    pub async fn apply_distributor(
        &self,
        caller: &Caller,
        application: Application,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        deny(authorize_instance(
            &crate::standing::instance_actor(&caller.principal, &[]),
            Operation::ApplyAsDistributor,
        ))?;
        let name = text("organisation", &application.organisation, 200)?;
        if application.answers.len() != CRITERIA.len() {
            return Err(invalid(
                "answers",
                format!(
                    "answer each of the {} membership criteria, one by one ({} given)",
                    CRITERIA.len(),
                    application.answers.len()
                ),
            ));
        }
        let answers: Vec<String> = application
            .answers
            .iter()
            .zip(CRITERION_FIELDS)
            .map(|(a, field)| text(field, a, MAX_ANSWER))
            .collect::<Result<_, _>>()?;
        let people = check_people(&application.people)?;
        let mut tx = self.write().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT slug FROM projects WHERE slug = $1")
                .bind(&application.project)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(invalid(
                "project",
                format!("there is no project {:?}", application.project),
            ));
        }
        let voucher: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE LOWER(email) = LOWER($1)")
                .bind(application.voucher.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        let voucher_ok = match voucher {
            Some(v) => !member_orgs(&mut tx, UserId::new(v), &application.project)
                .await?
                .is_empty(),
            None => false,
        };
        if !voucher_ok || people.iter().any(|p| p.email == application.voucher) {
            return Err(invalid(
                "voucher",
                format!(
                    "{} is not a member of another organisation on the {} distributors list",
                    application.voucher, application.project
                ),
            ));
        }
        let answers_json =
            serde_json::to_string(&answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_orgs (project, name, list_address, answers, voucher_id, state, applied_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'applied', $6, $6) RETURNING id",
        )
        .bind(&application.project)
        .bind(&name)
        .bind(application.list_address.as_ref().map(|a| a.to_string()))
        .bind(answers_json)
        .bind(voucher)
        .bind(micros(now))
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::duplicate(
                e,
                format!("an organisation {name:?} on {}'s list", application.project),
            )
        })?;
        for person in &people {
            let user = add_person(
                &mut tx,
                self.backend,
                &Who::of(caller),
                id,
                person,
                None,
                now,
            )
            .await?;
            let org = (id, name.as_str(), application.project.as_str());
            self.invite_person(&mut tx, &Who::of(caller), org, person, user, now)
                .await?;
        }
        let emails: Vec<&str> = people.iter().map(|p| p.email.as_str()).collect();
        record(
            &mut tx,
            self.backend,
            caller,
            id,
            "applied",
            format!(
                "{name} applied for {}, naming {}; voucher {}",
                application.project,
                emails.join(", "),
                application.voucher
            ),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(id).await
    }

    /// The voucher confirms, with an optional reason. Only the member the
    /// application names may.
    pub async fn vouch_distributor(
        &self,
        caller: &Caller,
        org: i64,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let reason = reason.map(|r| text("reason", r, MAX_TEXT)).transpose()?;
        self.answer_vouching(caller, org, OrgState::Vouched, reason, now)
            .await
    }

    /// The voucher declines, with a reason the applicant sees. Only the
    /// member the application names may.
    pub async fn decline_distributor(
        &self,
        caller: &Caller,
        org: i64,
        reason: &str,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let reason = text("reason", reason, MAX_TEXT)?;
        self.answer_vouching(caller, org, OrgState::Declined, Some(reason), now)
            .await
    }

    async fn answer_vouching(
        &self,
        caller: &Caller,
        org: i64,
        to: OrgState,
        reason: Option<String>,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let mut tx = self.write().await?;
        let row = org_row(&mut tx, org).await?;
        let actor = standing(&mut tx, &caller.principal, Scope::Project(&row.project)).await?;
        let me = caller.user().map(|u| u.id.get());
        let about = About {
            named_voucher: me.is_some() && me == row.voucher,
            ..About::default()
        };
        deny(authorize_about(
            &actor,
            Operation::VouchForDistributor,
            about,
        ))?;
        if row.state != OrgState::Applied {
            return Err(wrong_state(&row, "vouching is only for a new application"));
        }
        let kind = to.as_str();
        sqlx::query(
            "UPDATE distributor_orgs SET state = $1, reason = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(kind)
        .bind(reason.clone().filter(|_| to == OrgState::Declined))
        .bind(micros(now))
        .bind(org)
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            self.backend,
            caller,
            org,
            kind,
            reason.unwrap_or_default(),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// The caller accepts the embargo policy for themself, as a person of
    /// `org`. Until they do, they see nothing and are sent nothing.
    pub async fn accept_embargo_policy(
        &self,
        caller: &Caller,
        org: i64,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let mut tx = self.write().await?;
        let row = org_row(&mut tx, org).await?;
        deny(authorize_instance(
            &crate::standing::instance_actor(&caller.principal, &[]),
            Operation::AcceptEmbargoPolicy,
        ))?;
        let user = caller
            .user()
            .expect("authorize: only a signed-in person accepts");
        let person: Option<(i64, Option<i64>)> = sqlx::query(
            "SELECT id, accepted_at FROM distributor_people WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
        )
        .bind(org)
        .bind(user.id.get())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| -> Result<_, sqlx::Error> { Ok((r.try_get("id")?, r.try_get("accepted_at")?)) })
        .transpose()?;
        let Some((person, accepted)) = person else {
            return Err(StoreError::NotFound(format!(
                "{} among the people of organisation {org}",
                user.email
            )));
        };
        if matches!(
            row.state,
            OrgState::Declined | OrgState::Rejected | OrgState::Removed
        ) {
            return Err(wrong_state(&row, "there is nothing to accept"));
        }
        if accepted.is_some() {
            return Err(StoreError::Duplicate(format!(
                "{}'s acceptance of the embargo policy",
                user.email
            )));
        }
        sqlx::query(
            "UPDATE distributor_people SET accepted_at = $1, accepted_via = 'self' WHERE id = $2",
        )
        .bind(micros(now))
        .bind(person)
        .execute(&mut *tx)
        .await?;
        let key = confirm_proposed_key(&mut tx, self.backend, caller, user, person, now).await?;
        record(
            &mut tx,
            self.backend,
            caller,
            org,
            "accepted",
            format!("{} accepted the embargo policy{key}", user.email),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// The PST's decision: approve (after the voucher confirmed and at
    /// least one person accepted the policy), reject, suspend, reinstate or
    /// remove, each but approval with a reason the applicant sees.
    /// Suspension and removal discard the people's pending pre-notification
    /// copies in the same transaction.
    pub async fn decide_distributor(
        &self,
        caller: &Caller,
        org: i64,
        decision: OrgDecision,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let mut tx = self.write().await?;
        let row = org_row(&mut tx, org).await?;
        let actor = standing(&mut tx, &caller.principal, Scope::Project(&row.project)).await?;
        deny(authorize_instance(&actor, Operation::ManageDistributors))?;
        let (to, kind, reason, allowed): (OrgState, &str, Option<String>, &[OrgState]) =
            match &decision {
                OrgDecision::Approve => {
                    (OrgState::Approved, "approved", None, &[OrgState::Vouched])
                }
                OrgDecision::Reject { reason } => (
                    OrgState::Rejected,
                    "rejected",
                    Some(text("reason", reason, MAX_TEXT)?),
                    &[OrgState::Applied, OrgState::Vouched, OrgState::Declined],
                ),
                OrgDecision::Suspend { reason } => (
                    OrgState::Suspended,
                    "suspended",
                    Some(text("reason", reason, MAX_TEXT)?),
                    &[OrgState::Approved],
                ),
                OrgDecision::Reinstate { reason } => (
                    OrgState::Approved,
                    "reinstated",
                    Some(text("reason", reason, MAX_TEXT)?),
                    &[OrgState::Suspended],
                ),
                OrgDecision::Remove { reason } => (
                    OrgState::Removed,
                    "removed",
                    Some(text("reason", reason, MAX_TEXT)?),
                    &[OrgState::Approved, OrgState::Suspended],
                ),
            };
        if !allowed.contains(&row.state) {
            let need: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            return Err(wrong_state(
                &row,
                &format!("to be {kind} it must be {}", need.join(" or ")),
            ));
        }
        if to == OrgState::Approved && row.state == OrgState::Vouched {
            let accepted: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM distributor_people WHERE org_id = $1 AND accepted_at IS NOT NULL AND removed_at IS NULL",
            )
            .bind(org)
            .fetch_one(&mut *tx)
            .await?;
            if accepted == 0 {
                return Err(invalid(
                    "state",
                    format!(
                        "{} is approved only once someone of it has accepted the embargo policy",
                        row.name
                    ),
                ));
            }
        }
        sqlx::query(
            "UPDATE distributor_orgs SET state = $1, reason = COALESCE($2, reason), updated_at = $3 WHERE id = $4",
        )
        .bind(to.as_str())
        .bind(reason.clone())
        .bind(micros(now))
        .bind(org)
        .execute(&mut *tx)
        .await?;
        let mut detail = reason.unwrap_or_default();
        if matches!(to, OrgState::Suspended | OrgState::Removed) {
            let n = discard_pending(&mut tx, org, None, &format!("organisation {kind}")).await?;
            detail = format!("{detail} ({n} pending copies discarded)");
        }
        if to == OrgState::Removed {
            // Removing the organisation removes its people: each one's
            // sessions and tokens end with it.
            let people: Vec<i64> = sqlx::query_scalar(
                "SELECT user_id FROM distributor_people WHERE org_id = $1 AND removed_at IS NULL",
            )
            .bind(org)
            .fetch_all(&mut *tx)
            .await?;
            let mut ended = crate::sessions::Revoked::default();
            for user in people {
                let one = crate::sessions::end_access_of(&mut tx, UserId::new(user), now).await?;
                ended.sessions += one.sessions;
                ended.tokens += one.tokens;
            }
            detail = format!(
                "{detail} ({} session(s) and {} token(s) of its people ended)",
                ended.sessions, ended.tokens
            );
        }
        record(
            &mut tx,
            self.backend,
            caller,
            row.id,
            kind,
            detail,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// A current member adds a person of their own team; the person sees
    /// nothing until they accept the policy themself.
    pub async fn add_distributor_person(
        &self,
        caller: &Caller,
        org: i64,
        person: NewPerson,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let person = check_people(std::slice::from_ref(&person))?.remove(0);
        let mut tx = self.write().await?;
        let row = org_row(&mut tx, org).await?;
        let actor = standing(
            &mut tx,
            &caller.principal,
            Scope::Org {
                project: &row.project,
                org,
            },
        )
        .await?;
        deny(authorize_instance(&actor, Operation::ManageDistributorTeam))?;
        let by = caller.user().map(|u| u.id);
        let user = add_person(
            &mut tx,
            self.backend,
            &Who::of(caller),
            org,
            &person,
            by,
            now,
        )
        .await?;
        let named = (org, row.name.as_str(), row.project.as_str());
        self.invite_person(&mut tx, &Who::of(caller), named, &person, user, now)
            .await?;
        record(
            &mut tx,
            self.backend,
            caller,
            org,
            "person_added",
            format!("{} added", person.email),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// Removes a person, by a current member of the organisation or the
    /// PST; their pending copies are discarded at once.
    pub async fn remove_distributor_person(
        &self,
        caller: &Caller,
        org: i64,
        email: &EmailAddress,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let mut tx = self.write().await?;
        let row = org_row(&mut tx, org).await?;
        let actor = standing(
            &mut tx,
            &caller.principal,
            Scope::Org {
                project: &row.project,
                org,
            },
        )
        .await?;
        deny(authorize_instance(
            &actor,
            Operation::RemoveDistributorPerson,
        ))?;
        let person = sqlx::query(
            "SELECT p.id, p.user_id FROM distributor_people p JOIN users u ON u.id = p.user_id \
             WHERE p.org_id = $1 AND LOWER(u.email) = LOWER($2) AND p.removed_at IS NULL",
        )
        .bind(org)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| -> Result<(i64, i64), sqlx::Error> {
            Ok((r.try_get("id")?, r.try_get("user_id")?))
        })
        .transpose()?;
        let (person, user) = person.ok_or_else(|| {
            StoreError::NotFound(format!("{email} among the people of {}", row.name))
        })?;
        sqlx::query("UPDATE distributor_people SET removed_at = $1 WHERE id = $2")
            .bind(micros(now))
            .bind(person)
            .execute(&mut *tx)
            .await?;
        let n = discard_pending(&mut tx, org, Some(person), "person removed").await?;
        // Removal ends every session and token of the account at once.
        let ended = crate::sessions::end_access_of(&mut tx, UserId::new(user), now).await?;
        record(
            &mut tx,
            self.backend,
            caller,
            org,
            "person_removed",
            format!(
                "{email} removed ({n} pending copies discarded; {} session(s) and {} token(s) ended)",
                ended.sessions, ended.tokens
            ),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// The id of a project's organisation by name (for the command line).
    pub async fn distributor_org_id(&self, project: &str, name: &str) -> Result<i64, StoreError> {
        let id: Option<i64> =
            sqlx::query_scalar("SELECT id FROM distributor_orgs WHERE project = $1 AND name = $2")
                .bind(project)
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        id.ok_or_else(|| StoreError::NotFound(format!("distributor organisation {name:?}")))
    }

    /// One organisation with its people and timeline, for the PST, its
    /// own people (removed ones excepted) and its named voucher: the
    /// applicant sees the outcome and its reason here.
    pub async fn distributor_org(
        &self,
        caller: &Caller,
        org: i64,
    ) -> Result<DistributorOrg, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row = org_row(&mut conn, org).await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(&row.project)).await?;
        let me = caller.user().map(|u| u.id.get());
        let own: Option<i64> = match me {
            Some(me) => {
                sqlx::query_scalar(
                    "SELECT id FROM distributor_people WHERE org_id = $1 AND user_id = $2 AND removed_at IS NULL",
                )
                .bind(org)
                .bind(me)
                .fetch_optional(&mut *conn)
                .await?
            }
            None => None,
        };
        drop(conn);
        let decision = if own.is_some() {
            authorize_instance(&actor, Operation::AcceptEmbargoPolicy)
        } else if me.is_some() && me == row.voucher {
            let about = About {
                named_voucher: true,
                ..About::default()
            };
            authorize_about(&actor, Operation::VouchForDistributor, about)
        } else {
            authorize_instance(&actor, Operation::ManageDistributors)
        };
        deny(decision)?;
        self.org_detail(org).await
    }

    /// A project's organisations, for its PST.
    pub async fn distributor_orgs(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Vec<DistributorOrg>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(project)).await?;
        deny(authorize_instance(&actor, Operation::ManageDistributors))?;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM distributor_orgs WHERE project = $1 ORDER BY name")
                .bind(project)
                .fetch_all(&mut *conn)
                .await?;
        drop(conn);
        let mut out = Vec::new();
        for id in ids {
            out.push(self.org_detail(id).await?);
        }
        Ok(out)
    }

    /// The organisations the caller is a person of (removed ones
    /// excepted) or the named voucher of, each as [`Store::distributor_org`]
    /// shows it to them: what the portal lists. Those it would refuse are
    /// left out.
    pub async fn distributor_orgs_of(
        &self,
        caller: &Caller,
    ) -> Result<Vec<DistributorOrg>, StoreError> {
        let Some(user) = caller.user() else {
            return Ok(Vec::new());
        };
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM distributor_orgs WHERE voucher_id = $1 OR id IN \
             (SELECT org_id FROM distributor_people WHERE user_id = $1 AND removed_at IS NULL) \
             ORDER BY name",
        )
        .bind(user.id.get())
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for id in ids {
            match self.distributor_org(caller, id).await {
                Ok(org) => out.push(org),
                Err(StoreError::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    async fn org_detail(&self, org: i64) -> Result<DistributorOrg, StoreError> {
        let row = sqlx::query(
            "SELECT id, project, name, list_address, answers, voucher_id, state, reason, applied_at, updated_at \
             FROM distributor_orgs WHERE id = $1",
        )
        .bind(org)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("distributor organisation {org}")))?;
        let answers: String = row.try_get("answers")?;
        let voucher: Option<i64> = row.try_get("voucher_id")?;
        let voucher = match voucher {
            Some(v) => Some(self.user(UserId::new(v)).await?),
            None => None,
        };
        let people = sqlx::query(
            "SELECT p.id AS person, p.added_at, p.accepted_at, p.accepted_via, p.removed_at, \
             p.given_name, p.proposed_fingerprint, \
             u.id, u.email, u.name, u.is_admin, (SELECT COUNT(*) FROM openpgp_keys k WHERE k.email = u.email) AS key_count \
             FROM distributor_people p JOIN users u ON u.id = p.user_id WHERE p.org_id = $1 ORDER BY u.email",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let accepted: Option<i64> = r.try_get("accepted_at")?;
            let removed: Option<i64> = r.try_get("removed_at")?;
            let user = user_from_row(r)?;
            let given: Option<String> = r.try_get("given_name")?;
            Ok(DistributorPerson {
                id: r.try_get("person")?,
                name: given.unwrap_or_else(|| user.name.clone()),
                user,
                key_pending: r.try_get("proposed_fingerprint")?,
                added_at: instant(r.try_get("added_at")?)?,
                accepted_at: accepted.map(instant).transpose()?,
                accepted_via: r.try_get("accepted_via")?,
                removed_at: removed.map(instant).transpose()?,
                has_key: r.try_get::<i64, _>("key_count")? > 0,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let timeline = sqlx::query(
            "SELECT at, actor, kind, detail FROM distributor_timeline WHERE org_id = $1 ORDER BY id",
        )
        .bind(org)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(OrgEvent {
                at: instant(r.try_get("at")?)?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(DistributorOrg {
            id: row.try_get("id")?,
            project: row.try_get("project")?,
            name: row.try_get("name")?,
            list_address: row.try_get("list_address")?,
            answers: serde_json::from_str(&answers)
                .map_err(|e| StoreError::Corrupt(format!("answers of organisation {org}: {e}")))?,
            voucher,
            state: OrgState::parse(&row.try_get::<String, _>("state")?)?,
            reason: row.try_get("reason")?,
            applied_at: instant(row.try_get("applied_at")?)?,
            updated_at: instant(row.try_get("updated_at")?)?,
            people,
            timeline,
        })
    }

    /// Enrols a founding member: someone already on the project's list
    /// before psirt (criterion 7 needs a first member to vouch for the
    /// others). The local administrator on the command line records the
    /// organisation as approved and the person's acceptance as given
    /// before psirt (`accepted_via = founding`), on the timeline and in
    /// the audit log. No access check, like account creation.
    pub async fn found_distributor(
        &self,
        project: &str,
        organisation: &str,
        person: NewPerson,
        now: Timestamp,
    ) -> Result<DistributorOrg, StoreError> {
        let name = text("organisation", organisation, 200)?;
        let person_name = text("person_name", &person.name, 200)?;
        let entry = self.account_entry("distributor.founding", String::new());
        let who = Who {
            actor: entry.actor.clone(),
            origin: entry.origin.clone(),
        };
        let mut tx = self.write().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT slug FROM projects WHERE slug = $1")
                .bind(project)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!("project {project:?}")));
        }
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM distributor_orgs WHERE project = $1 AND name = $2")
                .bind(project)
                .bind(&name)
                .fetch_optional(&mut *tx)
                .await?;
        let org = match existing {
            Some(id) => {
                let row = org_row(&mut tx, id).await?;
                if row.state != OrgState::Approved {
                    return Err(wrong_state(&row, "founding members join approved organisations only"));
                }
                id
            }
            None => {
                sqlx::query_scalar(
                    "INSERT INTO distributor_orgs (project, name, answers, state, reason, applied_at, updated_at) \
                     VALUES ($1, $2, '[]', 'approved', 'founding member, on the list before psirt', $3, $3) RETURNING id",
                )
                .bind(project)
                .bind(&name)
                .bind(micros(now))
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let person = NewPerson {
            name: person_name,
            ..person
        };
        let user = add_person(&mut tx, self.backend, &who, org, &person, None, now).await?;
        self.invite_person(
            &mut tx,
            &who,
            (org, name.as_str(), project),
            &person,
            user,
            now,
        )
        .await?;
        if let Some(key) = &person.key {
            // The local administrator vouches for a founding member's key.
            crate::outbox::put_key_in(
                &mut tx,
                self.backend,
                (&who.actor, &who.origin),
                &person.email,
                &key.fingerprint,
                &key.armored,
                now,
            )
            .await?;
            sqlx::query(
                "UPDATE distributor_people SET proposed_fingerprint = NULL, proposed_key = NULL \
                 WHERE org_id = $1 AND user_id = $2",
            )
            .bind(org)
            .bind(user.get())
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE distributor_people SET accepted_at = $1, accepted_via = 'founding' WHERE org_id = $2 AND user_id = $3",
        )
        .bind(micros(now))
        .bind(org)
        .bind(user.get())
        .execute(&mut *tx)
        .await?;
        let detail = format!(
            "{} enrolled as a founding member of {name}; acceptance given before psirt",
            person.email
        );
        sqlx::query(
            "INSERT INTO distributor_timeline (org_id, at, actor, kind, detail) VALUES ($1, $2, $3, 'founding', $4)",
        )
        .bind(org)
        .bind(micros(now))
        .bind(&entry.actor)
        .bind(&detail)
        .execute(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry {
                detail: format!("organisation {org}: {detail}"),
                ..entry
            },
        )
        .await?;
        tx.commit().await?;
        self.org_detail(org).await
    }

    /// The cases notified to the caller's organisations on `project`,
    /// while under embargo (until released or closed). The listing is an
    /// audited read, like the team's.
    pub async fn notified_cases(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Vec<NotifiedCase>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(project)).await?;
        let decision = authorize_instance(&actor, Operation::ListNotifiedCases);
        let user = caller.user().map(|u| u.id);
        drop(conn);
        if let Err(denied) = decision {
            self.audit(&AuditEntry {
                actor: audit_actor(&caller.principal),
                action: "distributor.cases.denied".into(),
                case: None,
                origin: caller.origin.clone(),
                detail: format!("{project}: {denied}"),
            })
            .await?;
            return Err(StoreError::Refused(denied.into()));
        }
        let user = user.expect("authorize: distributors are signed in");
        let rows = sqlx::query(
            "SELECT c.reference, MIN(n.notified_at) AS notified_at FROM distributor_notifications n \
             JOIN cases c ON c.id = n.case_id JOIN current_distributor_members m ON m.org_id = n.org_id \
             WHERE m.user_id = $1 AND m.project = $2 AND c.is_open = 1 \
             GROUP BY c.reference ORDER BY c.reference",
        )
        .bind(user.get())
        .bind(project)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let reference: String = row.try_get("reference")?;
            let reference: CaseRef = reference
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
            let (_, record) = self.load(reference).await?;
            if record.case.release.is_some() {
                continue;
            }
            out.push(NotifiedCase {
                reference,
                summary: record.case.summary.clone(),
                embargo_end: record.case.embargo_end(),
                embargo_was: record.case.embargo_moved.map(|(was, _)| was),
                notified_at: instant(row.try_get("notified_at")?)?,
            });
        }
        let references: Vec<String> = out.iter().map(|c| c.reference.to_string()).collect();
        self.audit(&AuditEntry {
            actor: audit_actor(&caller.principal),
            action: audit::LIST.into(),
            case: None,
            origin: caller.origin.clone(),
            detail: references.join(" "),
        })
        .await?;
        Ok(out)
    }

    /// The case's pre-notification as approved for sending (for the team,
    /// the draft while there is no approved copy). Audited, allowed or denied.
    pub async fn pre_notification(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<PreNotificationText, StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        let decision = authorize(&actor, Operation::ViewPreNotification, &record.case);
        self.audit_read(
            caller,
            reference,
            decision,
            "distributor.notice.view",
            String::new(),
            "",
        )
        .await?;
        let states = if authorize(&actor, Operation::ViewDraftPreNotification, &record.case).is_ok()
        {
            "('draft', 'queued', 'sending', 'sent', 'failed')"
        } else {
            "('queued', 'sending', 'sent', 'failed')"
        };
        let sql = format!(
            "SELECT subject, body FROM outbox WHERE case_id = $1 AND kind = 'pre_notification' AND state IN {states} ORDER BY id DESC LIMIT 1"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(case_id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("a pre-notification on {reference}")))?;
        Ok(PreNotificationText {
            reference,
            subject: Secret::new(row.try_get("subject")?),
            body: Secret::new(row.try_get("body")?),
            embargo_end: record.case.embargo_end(),
            embargo_was: record.case.embargo_moved.map(|(was, _)| was),
        })
    }

    /// A notified distributor records a review or test result.
    pub async fn record_distributor_feedback(
        &self,
        caller: &Caller,
        reference: CaseRef,
        kind: FeedbackKind,
        outcome: Outcome,
        text_: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let body = text("text", text_, MAX_TEXT)?;
        let mut tx = self.write().await?;
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(&mut tx, &caller.principal, &record.case).await?;
        deny(authorize(
            &actor,
            Operation::RecordDistributorFeedback,
            &record.case,
        ))?;
        let user = caller
            .user()
            .expect("authorize: distributors are signed in");
        let org = notified_org(&mut tx, user.id, case_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_feedback (case_id, org_id, user_id, at, kind, outcome, text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(case_id)
        .bind(org)
        .bind(user.id.get())
        .bind(micros(now))
        .bind(kind.as_str())
        .bind(outcome.as_str())
        .bind(body)
        .fetch_one(&mut *tx)
        .await?;
        record_case(
            &mut tx,
            self.backend,
            caller,
            org,
            "feedback",
            format!("{} on {reference}: {}", kind.as_str(), outcome.as_str()),
            reference,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A leak (what, to whom, when), tied to the responsible organisation
    /// where known: runs `ReportEmbargoBreak` on the case (opening the
    /// PST's embargo-break assessment) and records the leak, in one
    /// transaction. Anyone who may report an embargo break on the case may.
    pub async fn report_leak(
        &self,
        caller: &Caller,
        reference: CaseRef,
        leak: NewLeak,
        now: Timestamp,
    ) -> Result<CaseRecord, StoreError> {
        let Some(user) = caller.user().map(|u| u.id) else {
            return Err(invalid(
                "caller",
                "a leak is reported by a signed-in person",
            ));
        };
        let mut tx = self.write().await?;
        let (case_id, loaded) = self.load(reference).await?;
        // The command first: `authorize` decides before anything about the
        // list (which organisations exist) is told; a refusal below rolls
        // the transaction back.
        let record = self
            .execute_in(
                &mut tx,
                caller,
                reference,
                Command::ReportEmbargoBreak {
                    what: leak.what.clone(),
                    to_whom: leak.to_whom.clone(),
                    when: leak.when,
                },
                None,
                now,
            )
            .await?;
        let reporter_org = notified_org(&mut tx, user, case_id).await.ok();
        let standing = crate::standing::actor(&mut tx, &caller.principal, &loaded.case).await?;
        let responsible: Option<i64> = match leak.responsible.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM distributor_orgs WHERE project = $1 AND name = $2",
                )
                .bind(&loaded.case.project)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                Some(id.ok_or_else(|| {
                    invalid(
                        "responsible",
                        format!("{name:?} is not an organisation on the distributors list"),
                    )
                })?)
            }
            _ => None,
        };
        // A distributor speaks for its own organisation: it may say that
        // it leaked, never that another one did (the PST may).
        if matches!(standing, Actor::Distributor { .. })
            && responsible.is_some()
            && responsible != reporter_org
        {
            return Err(invalid(
                "responsible",
                "name your own organisation or none: who else leaked goes in `what`, for the PST to assess",
            ));
        }
        sqlx::query(
            "INSERT INTO distributor_leaks (case_id, reported_by, reporter_org, responsible_org, what, to_whom, leaked_at, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(case_id)
        .bind(user.get())
        .bind(reporter_org)
        .bind(responsible)
        .bind(leak.what.trim())
        .bind(leak.to_whom.trim())
        .bind(micros(leak.when))
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        if let Some(org) = responsible {
            record_case(
                &mut tx,
                self.backend,
                caller,
                org,
                "leak",
                format!("leak on {reference}, this organisation responsible"),
                reference,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// Leaks per organisation of a project, most first, for the PST.
    pub async fn leak_counts(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Vec<LeakCount>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(project)).await?;
        deny(authorize_instance(&actor, Operation::ManageDistributors))?;
        let rows = sqlx::query(
            "SELECT o.id, o.name, o.state, COUNT(l.id) AS leaks FROM distributor_orgs o \
             LEFT JOIN distributor_leaks l ON l.responsible_org = o.id \
             WHERE o.project = $1 GROUP BY o.id, o.name, o.state ORDER BY COUNT(l.id) DESC, o.name",
        )
        .bind(project)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LeakCount {
                    org_id: r.try_get("id")?,
                    organisation: r.try_get("name")?,
                    state: OrgState::parse(&r.try_get::<String, _>("state")?)?,
                    leaks: r.try_get::<i64, _>("leaks")? as u64,
                })
            })
            .collect()
    }

    /// The PST or the Fix Lead asks the notified distributors for help.
    pub async fn ask_distributors_for_help(
        &self,
        caller: &Caller,
        reference: CaseRef,
        topic: HelpTopic,
        text_: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let body = text("text", text_, MAX_TEXT)?;
        let mut tx = self.write().await?;
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(&mut tx, &caller.principal, &record.case).await?;
        deny(authorize(
            &actor,
            Operation::AskDistributorsForHelp,
            &record.case,
        ))?;
        let user = caller.user().expect("authorize: the PST is signed in");
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_help_requests (case_id, asked_by, asked_at, topic, text) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(case_id)
        .bind(user.id.get())
        .bind(micros(now))
        .bind(topic.as_str())
        .bind(body)
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry {
                actor: audit_actor(&caller.principal),
                action: "distributor.help.ask".into(),
                case: Some(reference),
                origin: caller.origin.clone(),
                detail: format!("request {id}: {}", topic.as_str()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The case's requests for help, for the team and notified
    /// distributors. Audited.
    pub async fn help_requests(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<HelpRequest>, StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        let decision = authorize(&actor, Operation::ViewPreNotification, &record.case);
        self.audit_read(
            caller,
            reference,
            decision,
            "distributor.help.view",
            String::new(),
            "",
        )
        .await?;
        sqlx::query(
            "SELECT id, topic, text, asked_at FROM distributor_help_requests WHERE case_id = $1 ORDER BY id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let topic: String = r.try_get("topic")?;
            Ok(HelpRequest {
                id: r.try_get("id")?,
                topic: HelpTopic::parse(&topic)
                    .ok_or_else(|| StoreError::Corrupt(format!("help topic {topic:?}")))?,
                text: Secret::new(r.try_get("text")?),
                asked_at: instant(r.try_get("asked_at")?)?,
            })
        })
        .collect()
    }

    /// A notified distributor answers a request for help.
    pub async fn answer_help_request(
        &self,
        caller: &Caller,
        reference: CaseRef,
        request: i64,
        text_: &str,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let body = text("text", text_, MAX_TEXT)?;
        let mut tx = self.write().await?;
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(&mut tx, &caller.principal, &record.case).await?;
        deny(authorize(
            &actor,
            Operation::AnswerHelpRequest,
            &record.case,
        ))?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM distributor_help_requests WHERE id = $1 AND case_id = $2",
        )
        .bind(request)
        .bind(case_id)
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "request for help {request} on {reference}"
            )));
        }
        let user = caller
            .user()
            .expect("authorize: distributors are signed in");
        let org = notified_org(&mut tx, user.id, case_id).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_feedback (case_id, org_id, user_id, at, kind, request_id, text) \
             VALUES ($1, $2, $3, $4, 'help', $5, $6) RETURNING id",
        )
        .bind(case_id)
        .bind(org)
        .bind(user.id.get())
        .bind(micros(now))
        .bind(request)
        .bind(body)
        .fetch_one(&mut *tx)
        .await?;
        record_case(
            &mut tx,
            self.backend,
            caller,
            org,
            "help_answer",
            format!("answer to request {request} on {reference}"),
            reference,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// What distributors sent back on a case (feedback and answers), for
    /// the team. Audited.
    pub async fn distributor_feedback(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<Feedback>, StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        let decision = authorize(&actor, Operation::ViewDistributorFeedback, &record.case);
        self.audit_read(
            caller,
            reference,
            decision,
            "distributor.feedback.view",
            String::new(),
            "",
        )
        .await?;
        sqlx::query(
            "SELECT f.id, o.name, u.email, f.at, f.kind, f.outcome, f.request_id, f.text FROM distributor_feedback f \
             JOIN distributor_orgs o ON o.id = f.org_id JOIN users u ON u.id = f.user_id \
             WHERE f.case_id = $1 ORDER BY f.id",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let outcome: Option<String> = r.try_get("outcome")?;
            let email: String = r.try_get("email")?;
            Ok(Feedback {
                id: r.try_get("id")?,
                organisation: r.try_get("name")?,
                by: email
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                at: instant(r.try_get("at")?)?,
                kind: r.try_get("kind")?,
                outcome: outcome.as_deref().and_then(Outcome::parse),
                request: r.try_get("request_id")?,
                text: Secret::new(r.try_get("text")?),
            })
        })
        .collect()
    }

    /// Per person with a copy of the case's pre-notification: notified,
    /// pending, or not notified with the reason (a member without a usable
    /// key is never sent anything). For those who may see the case's mail.
    pub async fn distributor_notifications(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<NotificationStatus>, StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        let decision = authorize(&actor, Operation::ViewMail, &record.case);
        self.audit_read(
            caller,
            reference,
            decision,
            "distributor.notifications.view",
            String::new(),
            "",
        )
        .await?;
        sqlx::query(
            "SELECT COALESCE(d.name, '') AS org, m.recipient, m.state, m.last_error FROM outbox m \
             LEFT JOIN distributor_people p ON p.id = m.distributor_person_id \
             LEFT JOIN distributor_orgs d ON d.id = p.org_id \
             WHERE m.case_id = $1 AND m.kind = 'pre_notification' ORDER BY d.name, m.recipient",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| {
            let state: String = r.try_get("state")?;
            let error: Option<String> = r.try_get("last_error")?;
            let delivery = match state.as_str() {
                "sent" => Delivery::Notified,
                "draft" | "queued" | "sending" => Delivery::Pending,
                "discarded" => {
                    Delivery::NotNotified(error.unwrap_or_else(|| "the draft was discarded".into()))
                }
                _ => Delivery::NotNotified(error.unwrap_or_else(|| state.clone())),
            };
            Ok(NotificationStatus {
                organisation: r.try_get("org")?,
                email: r.try_get("recipient")?,
                delivery,
            })
        })
        .collect()
    }
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

/// [`record`] for something that concerns one case.
#[allow(clippy::too_many_arguments)]
async fn record_case(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    caller: &Caller,
    org: i64,
    kind: &str,
    detail: String,
    case: CaseRef,
    now: Timestamp,
) -> Result<(), StoreError> {
    record(tx, backend, caller, org, kind, detail, Some(case), now).await
}
