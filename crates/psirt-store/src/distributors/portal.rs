//! The portal: what a notified distributor reads (the cases notified to
//! their organisation, the pre-notification, requests for help) and sends
//! back (review and test results, leaks, answers), each read audited.

use jiff::Timestamp;
use psirt_core::distributors::{MAX_TEXT, OrgCaseCommand, OrgChange, decide_org_on_case};
use psirt_core::{
    CaseRef, Command, Operation, Secret, Text, UserId, authorize, authorize_instance,
};
use sqlx::Row;

use super::events::load_org;
use super::{
    FeedbackKind, HelpRequest, HelpTopic, NewLeak, NotifiedCase, OrgRow, Outcome,
    PreNotificationText, deny, instant, lock_org, notified_org, refused,
};
use crate::audit::{self, AuditEntry};
use crate::cases::CaseRecord;
use crate::standing::{Scope, standing};
use crate::{Caller, Store, StoreError, WriteTx, micros};

/// A required text, as the list's rules bound it.
fn text(field: &'static str, value: &str) -> Result<Text, StoreError> {
    Text::new(field, value, MAX_TEXT).map_err(refused)
}

impl Store {
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
            self.audit(&AuditEntry::by(
                caller,
                "distributor.cases.denied",
                None,
                format!("{project}: {denied}"),
            ))
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
            if record.case.release().is_some() {
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
        self.audit(&AuditEntry::by(
            caller,
            audit::LIST,
            None,
            references.join(" "),
        ))
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
        let (case_id, record, actor) = self
            .audited_case_read(
                caller,
                reference,
                Operation::ViewPreNotification,
                "distributor.notice.view",
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
        let body = text("text", text_)?;
        let mut write = self
            .begin_notified(
                caller,
                reference,
                OrgCaseCommand::RecordFeedback { kind, outcome },
            )
            .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_feedback (case_id, org_id, user_id, at, kind, outcome, text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(write.case_id)
        .bind(write.org)
        .bind(write.user.get())
        .bind(micros(now))
        .bind(kind.as_str())
        .bind(outcome.as_str())
        .bind(body.into_string())
        .fetch_one(&mut *write.tx)
        .await?;
        let detail = format!("{} on {reference}: {}", kind.as_str(), outcome.as_str());
        write
            .commit(self, caller, "feedback", detail, reference, now)
            .await?;
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
            return Err(super::invalid(
                "caller",
                "a leak is reported by a signed-in person",
            ));
        };
        let mut tx = self.write().await?;
        let (case_id, loaded) = self.load(reference).await?;
        // The organisation named responsible is locked before the case
        // (the order every transaction takes them in), so it is blamed on
        // the state it is in; whether it exists is told only after the
        // command below was authorized.
        let named = match leak.responsible.as_deref().map(str::trim) {
            Some(name) if !name.is_empty() => {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM distributor_orgs WHERE project = $1 AND name = $2",
                )
                .bind(&loaded.case.project)
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
                let row = match id {
                    Some(id) => Some(lock_org(&mut tx, self.backend, id).await?),
                    None => None,
                };
                Some((name, row))
            }
            _ => None,
        };
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
        let responsible = match named {
            Some((_, Some(row))) => Some(row),
            Some((name, None)) => {
                return Err(super::invalid(
                    "responsible",
                    format!("{name:?} is not an organisation on the distributors list"),
                ));
            }
            None => None,
        };
        // A distributor speaks for its own organisation (the core's rule),
        // and the organisation named responsible has it on its events.
        let blamed = match &responsible {
            Some(row) => {
                let folded = load_org(&mut tx, row).await?;
                let command = OrgCaseCommand::BlameLeak {
                    responsible: row.id,
                    reporter_org,
                };
                decide_org_on_case(Some(&folded), &standing, &loaded.case, command)
                    .map_err(refused)?
            }
            None => Vec::new(),
        };
        sqlx::query(
            "INSERT INTO distributor_leaks (case_id, reported_by, reporter_org, responsible_org, what, to_whom, leaked_at, reported_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(case_id)
        .bind(user.get())
        .bind(reporter_org)
        .bind(responsible.as_ref().map(|row| row.id))
        .bind(leak.what.trim())
        .bind(leak.to_whom.trim())
        .bind(micros(leak.when))
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        if let Some(OrgRow { id: org, .. }) = responsible {
            super::record(
                &mut tx,
                self.backend,
                caller,
                org,
                "leak",
                &blamed,
                format!("leak on {reference}, this organisation responsible"),
                Some(reference),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// Opens the write of a notified distributor's `command` on the case
    /// and decides it for the caller's organisation notified on the case
    /// (`decide_org_on_case` asks `authorize` first), with that
    /// organisation locked in the transaction.
    async fn begin_notified(
        &self,
        caller: &Caller,
        reference: CaseRef,
        command: OrgCaseCommand,
    ) -> Result<NotifiedWrite, StoreError> {
        let mut tx = self.write().await?;
        let (case_id, record) = self.load(reference).await?;
        let actor = crate::standing::actor(&mut tx, &caller.principal, &record.case).await?;
        let user = caller.user().map(|u| u.id);
        let org = match user {
            Some(user) => match notified_org(&mut tx, user, case_id).await {
                Ok(org) => Some(org),
                Err(StoreError::NotFound(_)) => None,
                Err(e) => return Err(e),
            },
            None => None,
        };
        let folded = match org {
            Some(org) => {
                let row = lock_org(&mut tx, self.backend, org).await?;
                Some(load_org(&mut tx, &row).await?)
            }
            None => None,
        };
        let changes =
            decide_org_on_case(folded.as_ref(), &actor, &record.case, command).map_err(refused)?;
        // `decide_org_on_case` refuses without an organisation.
        let (Some(org), Some(user)) = (org, user) else {
            return Err(StoreError::NotFound(
                "your organisation's notification".into(),
            ));
        };
        Ok(NotifiedWrite {
            tx,
            case_id,
            org,
            user,
            changes,
        })
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
        let body = text("text", text_)?;
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
        .bind(body.into_string())
        .fetch_one(&mut *tx)
        .await?;
        audit::append(
            &mut tx,
            self.backend,
            &AuditEntry::by(
                caller,
                "distributor.help.ask",
                Some(reference),
                format!("request {id}: {}", topic.as_str()),
            ),
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
        self.audited_case_rows(
            caller,
            reference,
            Operation::ViewPreNotification,
            "distributor.help.view",
            "SELECT id, topic, text, asked_at FROM distributor_help_requests WHERE case_id = $1 ORDER BY id",
        )
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
        let body = text("text", text_)?;
        let mut write = self
            .begin_notified(caller, reference, OrgCaseCommand::AnswerHelp { request })
            .await?;
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM distributor_help_requests WHERE id = $1 AND case_id = $2",
        )
        .bind(request)
        .bind(write.case_id)
        .fetch_optional(&mut *write.tx)
        .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "request for help {request} on {reference}"
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO distributor_feedback (case_id, org_id, user_id, at, kind, request_id, text) \
             VALUES ($1, $2, $3, $4, 'help', $5, $6) RETURNING id",
        )
        .bind(write.case_id)
        .bind(write.org)
        .bind(write.user.get())
        .bind(micros(now))
        .bind(request)
        .bind(body.into_string())
        .fetch_one(&mut *write.tx)
        .await?;
        let detail = format!("answer to request {request} on {reference}");
        write
            .commit(self, caller, "help_answer", detail, reference, now)
            .await?;
        Ok(id)
    }
}

/// A notified distributor's write on a case, decided and not yet
/// recorded: the transaction (holding the organisation locked), the case,
/// the organisation and the caller's account, and the organisation's
/// changes the command makes.
struct NotifiedWrite {
    tx: WriteTx,
    case_id: i64,
    org: i64,
    user: UserId,
    changes: Vec<OrgChange>,
}

impl NotifiedWrite {
    /// Records the write as the organisation's next event and in the
    /// audit log (as `distributor.{kind}`, with `detail`), and commits.
    async fn commit(
        mut self,
        store: &Store,
        caller: &Caller,
        kind: &str,
        detail: String,
        reference: CaseRef,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        super::record(
            &mut self.tx,
            store.backend,
            caller,
            self.org,
            kind,
            &self.changes,
            detail,
            Some(reference),
            now,
        )
        .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
