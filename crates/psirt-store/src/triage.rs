//! Triage's rows: each project's wording of the canned replies, and the
//! intake quota per reporter address.
//!
//! The templates are a project's, edited by its PST
//! (`Operation::ManageReplyTemplates`); reading one to write a message on
//! a case needs no standing of its own, because the command that sends it
//! is decided by `authorize` like any other. The quota is counted in the
//! database, with one atomic upsert for the counts a batch runs together
//! (`group.rs`), so that it holds however many replicas take reports at
//! once.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use psirt_core::{CannedReply, EmailAddress, Operation, Refusal, authorize_instance};
use sqlx::AnyConnection;

use crate::standing::{Scope, standing};
use crate::{Backend, Caller, Store, StoreError, micros, values_list};

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

/// One report to count against its sender's daily quota.
pub(crate) struct Count {
    /// The sender's address, lowercased.
    email: String,
    /// The UTC day, `YYYY-MM-DD`.
    day: String,
}

impl Count {
    /// A report from `email` on `now`'s UTC day.
    pub(crate) fn of(email: &EmailAddress, now: Timestamp) -> Count {
        Count {
            email: email.as_str().to_lowercase(),
            day: now.strftime("%Y-%m-%d").to_string(),
        }
    }
}

/// The refusal of a report that makes its sender's count on `now`'s day,
/// `reports`, more than `per_day`.
pub(crate) fn within_quota(reports: i64, per_day: u32, now: Timestamp) -> Result<(), StoreError> {
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

/// The most counts one upsert takes (three values each).
const COUNTS_PER_UPSERT: usize = 300;

/// Counts `counts` (a batch's run, in queue order), each report once;
/// returns, for each, its sender's count on its day with it and those
/// before it in the run. One upsert for the run (per
/// [`COUNTS_PER_UPSERT`]), which also deletes the days gone by: they count
/// for nothing. Atomic, so replicas sharing the database share the quota.
pub(crate) async fn count_all<C: std::borrow::Borrow<Count>>(
    tx: &mut AnyConnection,
    backend: Backend,
    counts: &[C],
) -> Result<Vec<i64>, StoreError> {
    let counts: Vec<&Count> = counts.iter().map(|c| c.borrow()).collect();
    // A row may appear only once in an upsert: each (address, day) once,
    // with how many of the run it counts.
    let mut per_key: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for c in &counts {
        *per_key.entry((&c.email, &c.day)).or_default() += 1;
    }
    let oldest = counts
        .iter()
        .map(|c| c.day.as_str())
        .min()
        .unwrap_or_default();
    let keys: Vec<(&(&str, &str), &i64)> = per_key.iter().collect();
    let mut totals: HashMap<(String, String), i64> = HashMap::new();
    for chunk in keys.chunks(COUNTS_PER_UPSERT) {
        let upsert = format!(
            "INSERT INTO intake_quota (email, day, reports) VALUES {} \
             ON CONFLICT (email, day) DO UPDATE SET reports = intake_quota.reports + excluded.reports \
             RETURNING email, day, reports",
            values_list(chunk.len(), 3)
        );
        let sql = match backend {
            // Days gone by removed in the same statement, one round trip.
            Backend::Postgres => format!(
                "WITH gone AS (DELETE FROM intake_quota WHERE day < ${}) {upsert}",
                chunk.len() * 3 + 1
            ),
            Backend::Sqlite => upsert,
        };
        let mut query = sqlx::query_as::<_, (String, String, i64)>(sqlx::AssertSqlSafe(sql));
        for ((email, day), n) in chunk {
            query = query.bind(*email).bind(*day).bind(**n);
        }
        if backend == Backend::Postgres {
            query = query.bind(oldest);
        }
        for (email, day, reports) in query.fetch_all(&mut *tx).await? {
            totals.insert((email, day), reports);
        }
    }
    if backend == Backend::Sqlite {
        sqlx::query("DELETE FROM intake_quota WHERE day < $1")
            .bind(oldest)
            .execute(&mut *tx)
            .await?;
    }
    // The run's counts of one key end at its total: the first of n has
    // total - n + 1.
    let mut seen: HashMap<(&str, &str), i64> = HashMap::new();
    counts
        .iter()
        .map(|c| {
            let key = (c.email.as_str(), c.day.as_str());
            let total = totals
                .get(&(c.email.clone(), c.day.clone()))
                .ok_or_else(|| StoreError::Corrupt("a quota count not returned".into()))?;
            let before = seen.entry(key).or_default();
            *before += 1;
            Ok(total - per_key[&key] + *before)
        })
        .collect()
}

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
    /// Intake counts its reports itself ([`crate::Arrival::report_within_quota`]);
    /// this counts one apart from a report.
    pub async fn count_reporter_intake(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        per_day: u32,
    ) -> Result<(), StoreError> {
        let reports = self.grouped_count(Count::of(email, now)).await?;
        within_quota(reports, per_day, now)
    }

    /// Refuses a report from `email` on `now`'s UTC day when its sender
    /// has already sent `per_day`, without counting it: a read, so that an
    /// edge can refuse a flood before the work a report costs (decrypting
    /// it) and before it queues. The count that holds is intake's own.
    pub async fn check_reporter_quota(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        per_day: u32,
    ) -> Result<(), StoreError> {
        let count = Count::of(email, now);
        let reports: Option<i64> =
            sqlx::query_scalar("SELECT reports FROM intake_quota WHERE email = $1 AND day = $2")
                .bind(&count.email)
                .bind(&count.day)
                .fetch_optional(&self.pool)
                .await?;
        within_quota(reports.unwrap_or(0) + 1, per_day, now)
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
        // Folded a chunk at a time: one query per chunk, and no more of
        // them in memory at once.
        let mut expired = Vec::new();
        for chunk in ids.chunks(crate::cases::FOLD_CHUNK) {
            expired.extend(
                self.fold_all(chunk)
                    .await?
                    .into_iter()
                    .filter(|case| psirt_core::information_request_expired(case, now)),
            );
        }
        for case in expired {
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
