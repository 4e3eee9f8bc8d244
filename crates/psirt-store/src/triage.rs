//! Triage's rows: each project's wording of the canned replies, and the
//! intake quota per reporter address.
//!
//! The templates are a project's, edited by its PST
//! (`Operation::ManageReplyTemplates`); reading one to write a message on
//! a case needs no standing of its own, because the command that sends it
//! is decided by `authorize` like any other. The quota is counted in the
//! database, with one atomic upsert per report, so that it holds however
//! many replicas take reports at once.

use jiff::Timestamp;
use psirt_core::{CannedReply, EmailAddress, Operation, Refusal, authorize_instance};

use crate::standing::{Scope, standing};
use crate::{Backend, Caller, Store, StoreError, micros};

/// One canned reply of a project: its wording now, and whether the
/// project edited it (else it is psirt's default).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyTemplate {
    pub reply: CannedReply,
    pub body: String,
    pub edited: bool,
}

/// The longest wording a template may have.
pub const TEMPLATE_MAX: usize = 20_000;

/// Counts a report from `$1` on day `$2` and answers the day's count.
const COUNT_SQLITE: &str = "INSERT INTO intake_quota (email, day, reports) VALUES ($1, $2, 1) \
     ON CONFLICT (email, day) DO UPDATE SET reports = intake_quota.reports + 1 \
     RETURNING reports";

/// [`COUNT_SQLITE`], with the earlier days' rows deleted by the same
/// statement (they are other rows than the one it counts in).
const COUNT_POSTGRES: &str = "WITH gone AS (DELETE FROM intake_quota WHERE day < $2) \
     INSERT INTO intake_quota (email, day, reports) VALUES ($1, $2, 1) \
     ON CONFLICT (email, day) DO UPDATE SET reports = intake_quota.reports + 1 \
     RETURNING reports";

impl Store {
    /// Every canned reply of `project` as its PST sees them.
    pub async fn reply_templates(
        &self,
        caller: &Caller,
        project: &str,
    ) -> Result<Vec<ReplyTemplate>, StoreError> {
        self.may_manage_templates(caller, project).await?;
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT name, body FROM reply_templates WHERE project = $1")
                .bind(project)
                .fetch_all(&self.pool)
                .await?;
        Ok(CannedReply::ALL
            .into_iter()
            .map(
                |reply| match rows.iter().find(|(name, _)| name == reply.as_str()) {
                    Some((_, body)) => ReplyTemplate {
                        reply,
                        body: body.clone(),
                        edited: true,
                    },
                    None => ReplyTemplate {
                        reply,
                        body: reply.default_text().to_string(),
                        edited: false,
                    },
                },
            )
            .collect())
    }

    /// Sets the project's wording of `reply`; `None` goes back to psirt's
    /// default. Audited.
    pub async fn set_reply_template(
        &self,
        caller: &Caller,
        project: &str,
        reply: CannedReply,
        body: Option<&str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.may_manage_templates(caller, project).await?;
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM reply_templates WHERE project = $1 AND name = $2")
            .bind(project)
            .bind(reply.as_str())
            .execute(&mut *tx)
            .await?;
        let action = match body {
            Some(body) => {
                let body = body.trim();
                if body.is_empty() {
                    return Err(StoreError::Invalid {
                        field: "body",
                        reason: "must not be empty (delete the template to go back to the default)"
                            .into(),
                    });
                }
                if body.chars().count() > TEMPLATE_MAX || body.contains('\0') {
                    return Err(StoreError::Invalid {
                        field: "body",
                        reason: format!(
                            "must be at most {TEMPLATE_MAX} characters, without NUL characters"
                        ),
                    });
                }
                sqlx::query(
                    "INSERT INTO reply_templates (project, name, body, updated_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(project)
                .bind(reply.as_str())
                .bind(body)
                .bind(micros(now))
                .execute(&mut *tx)
                .await?;
                "project.reply_template.set"
            }
            None => "project.reply_template.reset",
        };
        let entry = crate::audit::AuditEntry {
            actor: crate::standing::audit_actor(&caller.principal),
            action: action.into(),
            case: None,
            origin: caller.origin.clone(),
            detail: format!("project {project}: {}", reply.as_str()),
        };
        crate::audit::append(&mut tx, self.backend, &entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The wording of `reply` for the project of case `reference`, if the
    /// project edited it (`None`: psirt's default).
    pub async fn reply_template_for_case(
        &self,
        reference: psirt_core::CaseRef,
        reply: CannedReply,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT t.body FROM reply_templates t JOIN cases c ON c.project = t.project \
             WHERE c.reference = $1 AND t.name = $2",
        )
        .bind(reference.to_string())
        .bind(reply.as_str())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Counts one report from `email` on `now`'s UTC day, and refuses it
    /// when that makes more than `per_day`. The count is one atomic
    /// statement, so replicas sharing the database share the quota.
    pub async fn count_reporter_intake(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        per_day: u32,
    ) -> Result<(), StoreError> {
        let day = now.strftime("%Y-%m-%d").to_string();
        let email = email.as_str().to_lowercase();
        let backend = self.backend;
        // Grouped with the intake it precedes: see `group.rs`.
        let reports: i64 = self
            .grouped(Box::new(move |tx| {
                Box::pin(async move {
                    let count = match backend {
                        // Days gone by count for nothing: removed in the
                        // same statement, one round trip.
                        Backend::Postgres => COUNT_POSTGRES,
                        Backend::Sqlite => COUNT_SQLITE,
                    };
                    let reports: i64 = sqlx::query_scalar(count)
                        .bind(email)
                        .bind(&day)
                        .fetch_one(&mut *tx)
                        .await?;
                    if backend == Backend::Sqlite {
                        sqlx::query("DELETE FROM intake_quota WHERE day < $1")
                            .bind(&day)
                            .execute(&mut *tx)
                            .await?;
                    }
                    crate::group::answer(reports)
                })
            }))
            .await?;
        if reports > i64::from(per_day) {
            // Until the next UTC midnight, when the day's count starts over.
            let retry_after_secs = (86_400 - now.as_second().rem_euclid(86_400)) as u64;
            return Err(StoreError::QuotaExceeded {
                what: format!("reporter_email: at most {per_day} reports a day from one address"),
                retry_after_secs,
            });
        }
        Ok(())
    }

    /// Closes every open case whose request for more information went
    /// unanswered past the policy's time, as psirt, with the project's
    /// "unanswered" reply. Each is one command, so a replica that loses
    /// the race finds the case closed and moves on.
    pub async fn close_unanswered(&self, now: Timestamp) -> Result<usize, StoreError> {
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT id FROM cases WHERE is_open = 1 ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let caller = Caller::new(crate::Principal::System, "job");
        let mut closed = 0;
        for id in ids {
            let events = crate::cases::load_events(&self.pool, id).await?;
            let case = psirt_core::Case::from_events(&events)
                .ok_or_else(|| StoreError::Corrupt(format!("case #{id}")))?;
            if !psirt_core::information_request_expired(&case, now) {
                continue;
            }
            let template = self
                .reply_template_for_case(case.reference, CannedReply::Unanswered)
                .await?;
            let command = psirt_core::Command::CloseUnanswered { template };
            match self
                .execute(&caller, case.reference, command, Some(case.version), now)
                .await
            {
                Ok(_) => closed += 1,
                // Another replica closed it first.
                Err(StoreError::Conflict { .. } | StoreError::Refused(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    }

    async fn may_manage_templates(&self, caller: &Caller, project: &str) -> Result<(), StoreError> {
        self.project(project).await?;
        let mut conn = self.pool.acquire().await?;
        let actor = standing(&mut conn, &caller.principal, Scope::Project(project)).await?;
        authorize_instance(&actor, Operation::ManageReplyTemplates)
            .map_err(|d| StoreError::Refused(Refusal::from(d)))
    }
}
