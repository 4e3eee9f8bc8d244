//! The durable outbox: mail written in the transaction of the event that
//! causes it, claimed row by row by delivery workers, and shown on the case.
//!
//! The core decides which messages a change causes and what they say
//! (`psirt_core::mails_for`, `psirt_core::reminders`); this module turns
//! their audiences into addresses, gives each copy its own Message-ID and
//! delivery state, and hands them to workers. A worker claims a batch with
//! a lease (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so replicas never
//! claim the same row); a claim whose worker died is taken over once the
//! lease ends. Delivery is at least once: a worker killed after the SMTP
//! server accepted a message and before it recorded that is the one case in
//! which a copy goes out again, with the same Message-ID.
//!
//! It never builds MIME, signs, encrypts or talks SMTP (psirt-mail and the
//! worker do), and never logs a subject or a body.

mod delivery;

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;

use jiff::Timestamp;
use psirt_core::{
    Audience, Case, CaseRef, EmailAddress, Event, Mail, MailAttachment, MailKind, Operation,
    Review, Secret, authorize,
};
use sqlx::{AnyConnection, Row};

use crate::audit::{self, AuditEntry};
use crate::standing::actor;
use crate::{Caller, Principal, Store, StoreError, micros};

pub use delivery::{Outgoing, Retry};

/// Where a message is on its way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailState {
    /// Written by the process; waits for a person to approve it.
    Draft,
    Queued,
    /// Claimed by a worker.
    Sending,
    Sent,
    /// Given up: a permanent refusal, too many attempts, or no usable key
    /// for a message that is never sent in clear.
    Failed,
    /// A draft a person decided not to send.
    Discarded,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            MailState::Draft => "draft",
            MailState::Queued => "queued",
            MailState::Sending => "sending",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
            MailState::Discarded => "discarded",
        }
    }

    fn parse(s: &str) -> Result<MailState, StoreError> {
        Ok(match s {
            "draft" => MailState::Draft,
            "queued" => MailState::Queued,
            "sending" => MailState::Sending,
            "sent" => MailState::Sent,
            "failed" => MailState::Failed,
            "discarded" => MailState::Discarded,
            other => return Err(StoreError::Corrupt(format!("outbox state {other:?}"))),
        })
    }
}

/// One copy of a message, as the case shows it.
#[derive(Clone)]
pub struct MailRecord {
    pub id: i64,
    pub kind: MailKind,
    pub message_id: String,
    pub recipient: String,
    pub subject: String,
    pub body: Secret<String>,
    pub state: MailState,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// `Some(true)` when it went out encrypted, `Some(false)` signed only.
    pub encrypted: Option<bool>,
    pub encrypt_only: bool,
    pub created_at: Timestamp,
    pub next_attempt_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

impl fmt::Debug for MailRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("recipient", &self.recipient)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

/// What a person decides about a case's drafts of one kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DraftDecision {
    Approve,
    Discard,
    /// Replace the subject and body of every copy; they stay drafts.
    Edit {
        subject: String,
        body: String,
    },
}

const CASE_MAIL: &str = "SELECT id, kind, message_id, recipient, subject, body, state, attempts, last_error, encrypted, encrypt_only, created_at, next_attempt_at, sent_at FROM outbox WHERE case_id = $1 ORDER BY id";

/// Writes the mail that newly recorded `events` cause on `case` (which has
/// them applied). Called in the events' transaction.
pub(crate) async fn enqueue_for_events(
    tx: &mut AnyConnection,
    domain: &str,
    case_id: i64,
    case: &Case,
    events: &[Event],
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mails = psirt_core::mails_for(case, events);
    let mut written = 0;
    for mail in &mails {
        written += enqueue(tx, domain, case_id, case, mail, now).await?;
    }
    Ok(written)
}

/// Writes one copy of `mail` per recipient of its audience. A mail with a
/// `once` key that was already written is skipped.
async fn enqueue(
    tx: &mut AnyConnection,
    domain: &str,
    case_id: i64,
    case: &Case,
    mail: &Mail,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let in_reply_to = match mail.audience {
        Audience::Reporter => reporter_thread(tx, case_id).await?,
        _ => None,
    };
    let to = recipients(tx, case, mail.audience).await?;
    let copies = copies(to, domain, case_id, case, mail, in_reply_to, now)?;
    insert_copies(tx, &copies).await
}

/// A case opened in this transaction, whose mail [`enqueue_opened`]
/// writes.
pub(crate) struct Opening<'a> {
    pub id: i64,
    pub case: &'a Case,
    pub events: &'a [Event],
    pub now: Timestamp,
}

/// Writes the mail of cases opened in this transaction, as
/// [`enqueue_for_events`] would for each, with one INSERT for all their
/// copies. A case opened here has no mail from its reporter yet and no
/// copy but those written here, so a mail to the reporter answers the
/// acknowledgement written before it here, if any (what
/// `reporter_thread` would find).
pub(crate) async fn enqueue_opened(
    tx: &mut AnyConnection,
    domain: &str,
    cases: &[Opening<'_>],
) -> Result<(), StoreError> {
    let mut all = Vec::new();
    // The addresses of the audiences that are the project's (its PST, its
    // announcement list) or one person's, looked up once for the run.
    let mut shared: HashMap<(&str, Audience), Vec<Recipient>> = HashMap::new();
    for opening in cases {
        let mut acknowledgement: Option<String> = None;
        for mail in psirt_core::mails_for(opening.case, opening.events) {
            let in_reply_to = match mail.audience {
                Audience::Reporter => acknowledgement.clone(),
                _ => None,
            };
            let to = match mail.audience {
                // The case's own: its reporter, the organisations told of it.
                Audience::Reporter | Audience::NotifiedDistributors => {
                    recipients(tx, opening.case, mail.audience).await?
                }
                audience => match shared.entry((opening.case.project.as_str(), audience)) {
                    Entry::Occupied(known) => known.get().clone(),
                    Entry::Vacant(slot) => slot
                        .insert(recipients(tx, opening.case, audience).await?)
                        .clone(),
                },
            };
            let copies = copies(
                to,
                domain,
                opening.id,
                opening.case,
                &mail,
                in_reply_to,
                opening.now,
            )?;
            if mail.kind == MailKind::Acknowledgement && acknowledgement.is_none() {
                acknowledgement = copies.first().map(|c| c.message_id.clone());
            }
            all.extend(copies);
        }
    }
    insert_copies(tx, &all).await?;
    Ok(())
}

/// One copy of a mail, as the outbox stores it.
struct Copy {
    case_id: i64,
    kind: MailKind,
    once: Option<String>,
    message_id: String,
    in_reply_to: Option<String>,
    recipient: String,
    recipient_name: Option<String>,
    subject: String,
    body: String,
    encrypt_only: bool,
    state: MailState,
    now: Timestamp,
    person: Option<i64>,
    attachments: Option<String>,
}

/// An address an audience stands for: the address, the name, and for a
/// distributor, the person the copy is for.
type Recipient = (String, Option<String>, Option<i64>);

/// The copies of `mail`, one per recipient of its audience (`to`), each
/// with its own Message-ID.
fn copies(
    to: Vec<Recipient>,
    domain: &str,
    case_id: i64,
    case: &Case,
    mail: &Mail,
    in_reply_to: Option<String>,
    now: Timestamp,
) -> Result<Vec<Copy>, StoreError> {
    let state = match mail.review {
        Review::Send => MailState::Queued,
        Review::Draft => MailState::Draft,
    };
    let attachments = attachments_json(&mail.attachments);
    to.into_iter()
        .map(|(address, name, person)| {
            Ok(Copy {
                case_id,
                kind: mail.kind,
                once: mail.once.as_ref().map(|k| format!("{k}:{address}")),
                message_id: new_message_id(case.reference, domain)?,
                in_reply_to: in_reply_to.clone(),
                recipient: address,
                recipient_name: name,
                subject: mail.subject.clone(),
                body: mail.body.clone(),
                encrypt_only: mail.protection == psirt_core::Protection::EncryptOnly,
                state,
                now,
                person,
                attachments: attachments.clone(),
            })
        })
        .collect()
}

/// The most copies one INSERT writes (sixteen values each).
const COPIES_PER_INSERT: usize = 50;

/// Writes `copies`, skipping those whose `once` key was already written;
/// how many were written.
async fn insert_copies(tx: &mut AnyConnection, copies: &[Copy]) -> Result<usize, StoreError> {
    let mut written = 0;
    for chunk in copies.chunks(COPIES_PER_INSERT) {
        let sql = format!(
            "INSERT INTO outbox (case_id, kind, once_key, message_id, in_reply_to, recipient, recipient_name, subject, body, encrypt_only, state, attempts, next_attempt_at, created_at, distributor_person_id, attachments) \
             VALUES {} ON CONFLICT (once_key) DO NOTHING",
            crate::values_list(chunk.len(), 16)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for copy in chunk {
            query = query
                .bind(copy.case_id)
                .bind(copy.kind.as_str())
                .bind(copy.once.as_deref())
                .bind(copy.message_id.as_str())
                .bind(copy.in_reply_to.as_deref())
                .bind(copy.recipient.as_str())
                .bind(copy.recipient_name.as_deref())
                .bind(copy.subject.as_str())
                .bind(copy.body.as_str())
                .bind(i64::from(copy.encrypt_only))
                .bind(copy.state.as_str())
                // Not attempted yet.
                .bind(0i64)
                .bind(micros(copy.now))
                .bind(micros(copy.now))
                .bind(copy.person)
                .bind(copy.attachments.as_deref());
        }
        written += query.execute(&mut *tx).await?.rows_affected() as usize;
    }
    Ok(written)
}

/// The addresses an audience stands for on this case, with names (and for
/// distributors, the person each copy is for).
async fn recipients(
    tx: &mut AnyConnection,
    case: &Case,
    audience: Audience,
) -> Result<Vec<Recipient>, StoreError> {
    let rows = match audience {
        Audience::Reporter => {
            let reporter = case.reporter.as_ref();
            return Ok(reporter
                .and_then(|r| Some((r.email.as_ref()?.to_string(), r.name.clone(), None)))
                .into_iter()
                .collect());
        }
        Audience::User(user) => {
            sqlx::query("SELECT email, name FROM users WHERE id = $1")
                .bind(user.get())
                .fetch_all(&mut *tx)
                .await?
        }
        Audience::Pst => {
            sqlx::query(
                "SELECT u.email, u.name FROM pst_members m JOIN users u ON u.id = m.user_id \
                 WHERE m.project = $1 AND m.removed_at IS NULL ORDER BY m.position",
            )
            .bind(&case.project)
            .fetch_all(&mut *tx)
            .await?
        }
        Audience::Users => {
            let address: Option<String> =
                sqlx::query_scalar("SELECT announce_address FROM projects WHERE slug = $1")
                    .bind(&case.project)
                    .fetch_one(&mut *tx)
                    .await?;
            return Ok(address.map(|a| (a, None, None)).into_iter().collect());
        }
        // Current members only: people who accepted the embargo policy
        // themselves, of approved organisations, not removed. An
        // organisation's list address gets nothing: a list cannot
        // accept the policy, and nobody knows who reads it.
        Audience::Distributors | Audience::NotifiedDistributors => {
            let rows = match audience {
                Audience::Distributors => {
                    sqlx::query(crate::standing::CURRENT_MEMBERS)
                        .bind(&case.project)
                        .fetch_all(&mut *tx)
                        .await?
                }
                // Of those, the people of organisations notified on this
                // case: what they were told is what changes.
                _ => {
                    sqlx::query(crate::standing::CURRENT_MEMBERS_NOTIFIED)
                        .bind(&case.project)
                        .bind(case.reference.to_string())
                        .fetch_all(&mut *tx)
                        .await?
                }
            };
            return rows
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get("email")?,
                        Some(r.try_get("name")?),
                        Some(r.try_get("person")?),
                    ))
                })
                .collect();
        }
    };
    rows.iter()
        .map(|r| Ok((r.try_get("email")?, r.try_get("name")?, None)))
        .collect()
}

/// The message a reply to the reporter answers: the last one the reporter
/// sent by mail, else the acknowledgement.
async fn reporter_thread(
    tx: &mut AnyConnection,
    case_id: i64,
) -> Result<Option<String>, StoreError> {
    let inbound: Option<String> = sqlx::query_scalar(
        "SELECT dedupe_key FROM inbound_mail WHERE case_id = $1 AND dedupe_key NOT LIKE 'sha256:%' ORDER BY id DESC LIMIT 1",
    )
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?;
    if inbound.is_some() {
        return Ok(inbound);
    }
    Ok(sqlx::query_scalar(
        "SELECT message_id FROM outbox WHERE case_id = $1 AND kind = 'acknowledgement' ORDER BY id LIMIT 1",
    )
    .bind(case_id)
    .fetch_optional(&mut *tx)
    .await?)
}

/// A Message-ID that nobody can guess (a reply quoting it threads onto the
/// case) and that names the case for people reading headers.
/// An unguessable Message-ID in `domain`, naming what it is about (a case
/// reference, `audit`, `invitation`).
pub(crate) fn new_message_id(about: impl fmt::Display, domain: &str) -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(format!("{}.{about}@{domain}", hex::encode(bytes)))
}

fn mail_record(row: &sqlx::any::AnyRow) -> Result<MailRecord, StoreError> {
    let kind: String = row.try_get("kind")?;
    let encrypted: Option<i64> = row.try_get("encrypted")?;
    let sent_at: Option<i64> = row.try_get("sent_at")?;
    Ok(MailRecord {
        id: row.try_get("id")?,
        kind: MailKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("outbox kind {kind:?}")))?,
        message_id: row.try_get("message_id")?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: Secret::new(row.try_get("body")?),
        state: MailState::parse(&row.try_get::<String, _>("state")?)?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        last_error: row.try_get("last_error")?,
        encrypted: encrypted.map(|e| e != 0),
        encrypt_only: row.try_get::<i64, _>("encrypt_only")? != 0,
        created_at: instant(row.try_get("created_at")?)?,
        next_attempt_at: instant(row.try_get("next_attempt_at")?)?,
        sent_at: sent_at.map(instant).transpose()?,
    })
}

fn instant(micros: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(micros).map_err(|e| StoreError::Corrupt(format!("instant: {e}")))
}

impl Store {
    /// The case's mail, oldest first, for those who may see it. The read
    /// is audited like any read of embargoed content.
    pub async fn case_mail(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<MailRecord>, StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let actor = actor(
            &mut *self.pool.acquire().await?,
            &caller.principal,
            &record.case,
        )
        .await?;
        let decision = authorize(&actor, Operation::ViewMail, &record.case);
        self.audit_read(caller, reference, decision, "mail.view", String::new(), "")
            .await?;
        let rows = sqlx::query(CASE_MAIL)
            .bind(case_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(mail_record).collect()
    }

    /// Approves, edits or discards every draft of `kind` on the case.
    /// Returns how many copies it changed; none is an error, so that a
    /// decision never silently does nothing.
    pub async fn review_drafts(
        &self,
        caller: &Caller,
        reference: CaseRef,
        kind: MailKind,
        decision: DraftDecision,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let (case_id, record) = self.load(reference).await?;
        let actor = actor(&mut tx, &caller.principal, &record.case).await?;
        authorize(&actor, Operation::ReviewMail, &record.case)
            .map_err(psirt_core::Refusal::from)?;
        let reviewer = match &caller.principal {
            Principal::User(u) => Some(u.id.get()),
            _ => None,
        };
        let (changed, action) = match &decision {
            DraftDecision::Approve | DraftDecision::Discard => {
                let state = if decision == DraftDecision::Approve {
                    MailState::Queued
                } else {
                    MailState::Discarded
                };
                let n = sqlx::query(
                    "UPDATE outbox SET state = $1, reviewed_by = $2, reviewed_at = $3, next_attempt_at = $4 \
                     WHERE case_id = $5 AND kind = $6 AND state = 'draft'",
                )
                .bind(state.as_str())
                .bind(reviewer)
                .bind(micros(now))
                .bind(micros(crate::held::send_from(&record.case, kind, now)))
                .bind(case_id)
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if state == MailState::Queued && kind == MailKind::PreNotification {
                    record_notified(&mut tx, case_id, now).await?;
                }
                // Approving the final notice is the milestone: the core
                // decides it like any command, in this transaction.
                if state == MailState::Queued && kind == MailKind::FinalDistributorNotice && n > 0 {
                    self.execute_in(
                        &mut tx,
                        caller,
                        reference,
                        psirt_core::Command::RecordFinalDistributorNotice,
                        None,
                        now,
                    )
                    .await?;
                }
                let action = if state == MailState::Queued {
                    "mail.approve"
                } else {
                    "mail.discard"
                };
                (n, action)
            }
            DraftDecision::Edit { subject, body } => {
                check_text("subject", subject, 300)?;
                if subject.contains(['\r', '\n']) {
                    return Err(StoreError::Invalid {
                        field: "subject",
                        reason: "must be a single line".into(),
                    });
                }
                check_text("body", body, 1_000_000)?;
                let n = sqlx::query(
                    "UPDATE outbox SET subject = $1, body = $2 WHERE case_id = $3 AND kind = $4 AND state = 'draft'",
                )
                .bind(subject)
                .bind(body)
                .bind(case_id)
                .bind(kind.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                (n, "mail.edit")
            }
        };
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "a draft {} on {reference}",
                kind.as_str()
            )));
        }
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry::by(
                caller,
                action,
                Some(reference),
                format!("{}: {changed} copies", kind.as_str()),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Writes the reminders due at `now` for every open case; each is
    /// written once, whichever replica runs this and however often.
    /// Returns how many copies were written.
    pub async fn remind(&self, now: Timestamp) -> Result<usize, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM cases WHERE is_open = 1 ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let mut written = 0;
        // Folded a chunk at a time: one query per chunk, and no more of
        // them in memory at once.
        for chunk in ids.chunks(crate::cases::FOLD_CHUNK) {
            for (id, case) in chunk.iter().zip(self.fold_all(chunk).await?) {
                let mails = psirt_core::reminders(&case, now);
                if mails.is_empty() {
                    continue;
                }
                let mut tx = self.write().await?;
                for mail in &mails {
                    written += enqueue(&mut tx, &self.mail_domain, *id, &case, mail, now).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(written)
    }

    /// Sets where a project's forthcoming-fix notices and release
    /// announcements go (`None`: nowhere; drafts are then not written).
    pub async fn set_announce_address(
        &self,
        project: &str,
        address: Option<&EmailAddress>,
    ) -> Result<(), StoreError> {
        let to = address.map_or_else(|| "nowhere".to_string(), ToString::to_string);
        self.update_project(
            project,
            "UPDATE projects SET announce_address = $1 WHERE slug = $2",
            address.map(|a| a.to_string()),
            "project.announce",
            format!("project {project}: {to}"),
        )
        .await
    }
}

/// One attachment as the `attachments` column keeps it (migration 0015),
/// written and read by this one shape (its keys in the order they have
/// always been stored).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredAttachment<C> {
    content: C,
    content_type: String,
    name: String,
}

/// A copy's attachments as the `attachments` column keeps them: a JSON
/// array, or NULL for none.
fn attachments_json(attachments: &[MailAttachment]) -> Option<String> {
    if attachments.is_empty() {
        return None;
    }
    let list: Vec<StoredAttachment<&str>> = attachments
        .iter()
        .map(|a| StoredAttachment {
            content: a.content.expose().as_str(),
            content_type: a.content_type.clone(),
            name: a.name.clone(),
        })
        .collect();
    Some(serde_json::to_string(&list).expect("strings serialize"))
}

fn check_text(field: &'static str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.trim().is_empty() {
        return Err(StoreError::Invalid {
            field,
            reason: "must not be empty".into(),
        });
    }
    if value.chars().count() > max {
        return Err(StoreError::Invalid {
            field,
            reason: format!("at most {max} characters"),
        });
    }
    Ok(())
}

/// Records that the organisations whose people have approved copies of the
/// case's pre-notification were notified (called when drafts are approved).
pub(crate) async fn record_notified(
    tx: &mut AnyConnection,
    case_id: i64,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO distributor_notifications (case_id, org_id, notified_at) \
         SELECT DISTINCT o.case_id, p.org_id, $1 FROM outbox o JOIN distributor_people p ON p.id = o.distributor_person_id \
         WHERE o.case_id = $2 AND o.kind = 'pre_notification' AND o.state = 'queued' \
         ON CONFLICT (case_id, org_id) DO NOTHING",
    )
    .bind(micros(now))
    .bind(case_id)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Discards the pending pre-notification copies of an organisation's
/// people (all of them, or one), with the reason; returns how many.
pub(crate) async fn discard_pending(
    tx: &mut AnyConnection,
    org: i64,
    person: Option<psirt_core::UserId>,
    reason: &str,
) -> Result<u64, StoreError> {
    let pending = "UPDATE outbox SET state = 'discarded', last_error = $1 \
         WHERE state IN ('draft', 'queued') AND distributor_person_id IN ";
    let n = match person {
        Some(person) => sqlx::query(sqlx::AssertSqlSafe(format!(
            "{pending}(SELECT id FROM distributor_people WHERE org_id = $2 AND user_id = $3)"
        )))
        .bind(reason)
        .bind(org)
        .bind(person.get()),
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
