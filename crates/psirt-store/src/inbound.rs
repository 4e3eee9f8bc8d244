//! Inbound mail: every message that arrives is kept as it arrived, once,
//! and either opens a case, is threaded onto one, is set aside as an
//! automatic message, or is quarantined for a person to look at.
//!
//! Parsing and decryption happen before this (psirt-mail); this module
//! decides, in one transaction with the message's row, what the message
//! does to the cases. A message is identified by its Message-ID, or by the
//! SHA-256 of its bytes when it has none, so the same message piped twice or
//! fetched again after a crash does nothing the second time. It never logs
//! a subject, a body or an address.

use std::fmt;

use jiff::Timestamp;
use psirt_core::{Case, CaseRef, Command, EmailAddress, NewReport, Operation, Reporter, Secret};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::Caller;
use crate::attachments::{self, NewAttachment};
use crate::{Principal, Store, StoreError, micros, outbox};

/// A parsed (and, where it was encrypted, decrypted) inbound message.
pub struct InboundMessage {
    /// Without angle brackets.
    pub message_id: Option<String>,
    pub from: EmailAddress,
    pub from_name: Option<String>,
    pub subject: String,
    pub text: Secret<String>,
    pub attachments: Vec<NewAttachment>,
    /// The Message-IDs it answers: `In-Reply-To`, then `References`.
    pub thread: Vec<String>,
    /// Why this is an auto-reply or a bounce, if it is one.
    pub automatic: Option<String>,
    /// How the sender was verified (an OpenPGP signature by the key on
    /// file for `from`, or an aligned DKIM/DMARC pass recorded by the
    /// operator's mail server), in words for the team; `None`: `from` is
    /// only a claim.
    pub verified: Option<String>,
}

impl fmt::Debug for InboundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboundMessage")
            .field("message_id", &self.message_id)
            .field("attachments", &self.attachments.len())
            .field("automatic", &self.automatic)
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

/// What a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ingested {
    /// A new report: the case it opened (and acknowledged).
    Opened(CaseRef),
    /// The reporter's reply, added to their case's conversation.
    ReporterReplied(CaseRef),
    /// Someone else's message in a case's thread: kept with the case.
    Threaded(CaseRef),
    /// A message in a case's thread whose `From:` names the reporter but
    /// that nothing verifies came from them: kept with the case as
    /// unverified, never put on the case as the reporter's words.
    Unverified(CaseRef),
    /// An auto-reply or bounce: kept, nothing done, nobody answered.
    Automatic(String),
    /// Kept for a person: it could not be read or made into a report.
    Quarantined(String),
    /// Seen before: nothing done.
    Duplicate,
}

impl Ingested {
    fn outcome(&self) -> (&'static str, Option<String>) {
        match self {
            Ingested::Opened(_) => ("opened", None),
            Ingested::ReporterReplied(_) => ("reporter_replied", None),
            Ingested::Threaded(_) => ("threaded", None),
            Ingested::Unverified(_) => (
                "unverified",
                Some(
                    "From: names the reporter, but neither an OpenPGP signature by a key on file \
                     nor the mail server's DKIM check verifies it"
                        .into(),
                ),
            ),
            Ingested::Automatic(why) => ("automatic", Some(why.clone())),
            Ingested::Quarantined(why) => ("quarantined", Some(why.clone())),
            Ingested::Duplicate => ("duplicate", None),
        }
    }
}

/// An inbound message that opened no case, for a person to review.
#[derive(Clone, Debug)]
pub struct InboundRecord {
    pub id: i64,
    pub source: String,
    pub received_at: Timestamp,
    pub outcome: String,
    pub reason: Option<String>,
    pub case: Option<CaseRef>,
    pub size: usize,
}

const MAX_SUMMARY: usize = 200;

impl Store {
    /// Takes in one message as it arrived (`raw`) from `source`, with what
    /// parsing made of it (`Err(reason)`: unreadable). New reports go to
    /// `project`.
    pub async fn ingest(
        &self,
        raw: &[u8],
        source: &str,
        parsed: Result<InboundMessage, String>,
        project: &str,
        now: Timestamp,
    ) -> Result<Ingested, StoreError> {
        let dedupe_key = match &parsed {
            Ok(InboundMessage {
                message_id: Some(id),
                ..
            }) => id.clone(),
            _ => format!("sha256:{}", hex::encode(Sha256::digest(raw))),
        };
        let mut tx = self.write().await?;
        let row_id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO inbound_mail (dedupe_key, source, received_at, outcome, raw, project) VALUES ($1, $2, $3, 'received', $4, $5) \
             ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(&dedupe_key)
        .bind(source)
        .bind(micros(now))
        .bind(raw.to_vec())
        .bind(project)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row_id) = row_id else {
            return Ok(Ingested::Duplicate);
        };
        let verified = parsed.as_ref().ok().and_then(|m| m.verified.clone());
        let (outcome, case_id) = match parsed {
            Err(reason) => (Ingested::Quarantined(reason), None),
            Ok(message) => {
                self.route(&mut tx, row_id, message, project, source, now)
                    .await?
            }
        };
        let (name, mut reason) = outcome.outcome();
        if let (Ingested::ReporterReplied(_), Some(how)) = (&outcome, &verified) {
            reason = Some(format!("verified: {how}"));
        }
        sqlx::query(
            "UPDATE inbound_mail SET outcome = $1, reason = $2, case_id = $3 WHERE id = $4",
        )
        .bind(name)
        .bind(reason)
        .bind(case_id)
        .bind(row_id)
        .execute(&mut *tx)
        .await?;
        if let Ingested::Opened(_) = outcome
            && let Some(case_id) = case_id
        {
            // After the message's row knows its case, so that the
            // acknowledgement answers the reporter's message.
            let events = crate::cases::load_events(&mut *tx, case_id).await?;
            let case = Case::from_events(&events)
                .ok_or_else(|| StoreError::Corrupt(format!("case #{case_id}")))?;
            outbox::enqueue_for_events(&mut tx, &self.mail_domain, case_id, &case, &events, now)
                .await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    async fn route(
        &self,
        tx: &mut AnyConnection,
        row_id: i64,
        message: InboundMessage,
        project: &str,
        source: &str,
        now: Timestamp,
    ) -> Result<(Ingested, Option<i64>), StoreError> {
        if let Some(thread) = thread_case(tx, row_id, &message.thread).await? {
            let (case_id, reference) = thread;
            let events = crate::cases::load_events(&mut *tx, case_id).await?;
            let case = Case::from_events(&events)
                .ok_or_else(|| StoreError::Corrupt(format!("case #{case_id}")))?;
            let from_reporter = case
                .reporter
                .as_ref()
                .and_then(|r| r.email.as_ref())
                .is_some_and(|e| e.as_str().eq_ignore_ascii_case(message.from.as_str()));
            if !from_reporter || message.automatic.is_some() {
                return Ok((Ingested::Threaded(reference), Some(case_id)));
            }
            // From: is a claim anyone can write: only evidence makes the
            // message the reporter's.
            if message.verified.is_none() {
                return Ok((Ingested::Unverified(reference), Some(case_id)));
            }
            let mut text = message.text.expose().trim().replace('\0', "\u{fffd}");
            if text.is_empty() {
                text = "(an empty reply; see the attachments)".into();
            }
            let caller = Caller::new(Principal::Reporter(reference), source);
            let command = Command::ReporterReply { text };
            match self
                .execute_in(tx, &caller, reference, command, None, now)
                .await
            {
                Ok(_) => {}
                Err(StoreError::Refused(refusal)) => {
                    return Ok((
                        Ingested::Quarantined(format!("reply to {reference} refused: {refusal}")),
                        Some(case_id),
                    ));
                }
                Err(e) => return Err(e),
            }
            attachments::insert(tx, case_id, &message.attachments, now).await?;
            return Ok((Ingested::ReporterReplied(reference), Some(case_id)));
        }
        if let Some(why) = message.automatic {
            return Ok((Ingested::Automatic(why), None));
        }
        let summary = summary(&message.subject);
        // A NUL would be refused: the message (kept as it arrived) still
        // opens its case, with U+FFFD in its place.
        let mut details = message.text.expose().trim().replace('\0', "\u{fffd}");
        if details.is_empty() && !message.attachments.is_empty() {
            details = "(no text; see the attachments)".into();
        }
        let report = NewReport {
            project: project.to_string(),
            summary,
            details: Secret::new(details),
            reporter: Some(Reporter {
                name: message.from_name.clone(),
                email: Some(message.from.clone()),
            }),
            public_link: None,
            already_public: false,
            ai_assisted: false,
        };
        if let Err(e) = crate::check_attachments(&message.attachments) {
            return Ok((Ingested::Quarantined(format!("attachments: {e}")), None));
        }
        // The audit head before the year's counter: see `audit::lock_head`.
        crate::audit::lock_head(tx, self.backend).await?;
        match self
            .open_report(
                tx,
                crate::intake::Submitted {
                    report,
                    attachments: message.attachments,
                    origin: source.to_string(),
                    now,
                    per_day: None,
                    alone: true,
                },
            )
            .await
        {
            Ok(opened) => Ok((
                Ingested::Opened(opened.intake.record.case.reference),
                Some(opened.id),
            )),
            Err(StoreError::Refused(refusal)) => Ok((
                Ingested::Quarantined(format!("not a report psirt can open: {refusal}")),
                None,
            )),
            Err(e) => Err(e),
        }
    }

    /// Inbound messages set aside (that opened no case, or whose sender
    /// is unverified), newest first, for the PST of the project they were
    /// taken in for (or of their case's project): never another project's.
    pub async fn inbound_review(&self, caller: &Caller) -> Result<Vec<InboundRecord>, StoreError> {
        let actor = self.instance_actor(caller).await?;
        psirt_core::authorize_instance(&actor, Operation::ReviewInbound)
            .map_err(psirt_core::Refusal::from)?;
        let Principal::User(user) = &caller.principal else {
            return Ok(Vec::new());
        };
        let projects = Store::pst_projects(&self.pool, user.id).await?;
        let mut rows = Vec::new();
        for project in &projects {
            rows.extend(
                sqlx::query(
                    "SELECT i.id, i.source, i.received_at, i.outcome, i.reason, c.reference, i.raw \
                     FROM inbound_mail i LEFT JOIN cases c ON c.id = i.case_id \
                     WHERE i.outcome IN ('quarantined', 'automatic', 'unverified') \
                       AND COALESCE(c.project, i.project) = $1",
                )
                .bind(project)
                .fetch_all(&self.pool)
                .await?,
            );
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.try_get::<i64, _>("id").unwrap_or_default()));
        rows.iter()
            .map(|r| {
                let reference: Option<String> = r.try_get("reference")?;
                let raw: Vec<u8> = r.try_get("raw")?;
                Ok(InboundRecord {
                    id: r.try_get("id")?,
                    source: r.try_get("source")?,
                    received_at: Timestamp::from_microsecond(r.try_get("received_at")?)
                        .map_err(|e| StoreError::Corrupt(format!("instant: {e}")))?,
                    outcome: r.try_get("outcome")?,
                    reason: r.try_get("reason")?,
                    case: reference
                        .map(|s| s.parse().map_err(|e| StoreError::Corrupt(format!("{e}"))))
                        .transpose()?,
                    size: raw.len(),
                })
            })
            .collect()
    }

    /// Where the IMAP poller is in `mailbox`: `(uid_validity, last_uid)`.
    pub async fn mailbox_cursor(&self, mailbox: &str) -> Result<Option<(u32, u32)>, StoreError> {
        let row =
            sqlx::query("SELECT uid_validity, last_uid FROM mailbox_cursors WHERE mailbox = $1")
                .bind(mailbox)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| {
            Ok((
                r.try_get::<i64, _>("uid_validity")? as u32,
                r.try_get::<i64, _>("last_uid")? as u32,
            ))
        })
        .transpose()
    }

    /// Moves the poller's position in `mailbox` (only forward, unless the
    /// mailbox's UIDVALIDITY changed).
    pub async fn set_mailbox_cursor(
        &self,
        mailbox: &str,
        uid_validity: u32,
        last_uid: u32,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let current =
            sqlx::query("SELECT uid_validity, last_uid FROM mailbox_cursors WHERE mailbox = $1")
                .bind(mailbox)
                .fetch_optional(&mut *tx)
                .await?;
        match current {
            None => {
                sqlx::query("INSERT INTO mailbox_cursors (mailbox, uid_validity, last_uid) VALUES ($1, $2, $3)")
                    .bind(mailbox)
                    .bind(i64::from(uid_validity))
                    .bind(i64::from(last_uid))
                    .execute(&mut *tx)
                    .await?;
            }
            Some(row) => {
                let old_validity = row.try_get::<i64, _>("uid_validity")? as u32;
                let old_uid = row.try_get::<i64, _>("last_uid")? as u32;
                if old_validity == uid_validity && old_uid >= last_uid {
                    return Ok(());
                }
                sqlx::query("UPDATE mailbox_cursors SET uid_validity = $1, last_uid = $2 WHERE mailbox = $3")
                    .bind(i64::from(uid_validity))
                    .bind(i64::from(last_uid))
                    .bind(mailbox)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The case a message answers, by the Message-IDs it quotes: one psirt
/// made (unguessable) for mail about the case, or one of the reporter's own
/// messages that opened the case or was taken as their reply. An
/// outsider's message kept with a case never threads another one.
async fn thread_case(
    tx: &mut AnyConnection,
    row_id: i64,
    thread: &[String],
) -> Result<Option<(i64, CaseRef)>, StoreError> {
    for id in thread {
        let found = sqlx::query(
            "SELECT c.id, c.reference FROM outbox o JOIN cases c ON c.id = o.case_id WHERE o.message_id = $1 \
             UNION ALL \
             SELECT c.id, c.reference FROM inbound_mail i JOIN cases c ON c.id = i.case_id \
             WHERE i.dedupe_key = $1 AND i.id <> $2 AND i.outcome IN ('opened', 'reporter_replied')",
        )
        .bind(id)
        .bind(row_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = found {
            let reference: String = row.try_get("reference")?;
            let reference = reference
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("{e}")))?;
            return Ok(Some((row.try_get("id")?, reference)));
        }
    }
    Ok(None)
}

/// A subject made into a case summary: one line, not too long.
fn summary(subject: &str) -> String {
    // Control characters (ESC, BEL, NUL) are dropped: the subject is an
    // outsider's, and the summary is shown on terminals and pages.
    let subject: String = subject
        .chars()
        .filter(|c| !c.is_control() || c.is_whitespace())
        .collect();
    let line: String = subject.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = if line.is_empty() {
        "(no subject)".to_string()
    } else {
        line
    };
    if line.chars().count() <= MAX_SUMMARY {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_SUMMARY - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn subjects_become_one_line_summaries() {
        assert_eq!(
            summary("  Heap overflow\r\n in  parser "),
            "Heap overflow in parser"
        );
        assert_eq!(summary(""), "(no subject)");
        assert_eq!(
            summary("\u{1b}]0;owned\u{7}Crash\u{0} in parser"),
            "]0;ownedCrash in parser"
        );
        let long = "x".repeat(500);
        assert_eq!(summary(&long).chars().count(), 200);
    }
}
