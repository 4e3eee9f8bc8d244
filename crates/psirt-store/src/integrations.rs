//! The steps psirt takes in other systems for a case (reading the fix
//! repository, CVE Services, GitHub): one row per case and
//! step with its state, the service's reason for the last failure, and
//! when the job runs it next.
//!
//! The store only keeps this schedule; it never speaks to those systems.
//! A step is scheduled in the transaction of the event that asks for it
//! (a linked repository), claimed with a lease so that replicas never run
//! it twice at once, and retried with backoff after a failure. What a
//! step's result means for the case is decided by the core when the job
//! hands it in as a command.

use jiff::{SignedDuration, Timestamp};
use psirt_core::{Case, CaseRef, Change, Event};
use sqlx::{AnyConnection, Row};

use crate::audit::AuditEntry;
use crate::cases::CaseRecord;
use crate::standing::{Principal, audit_actor};
use crate::{Backend, Store, StoreError, micros};

/// A step psirt takes in another system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Fetch the fix repository, read the branch, plan the cherry-picks.
    FixRepository,
    /// Reserve the case's CVE id at CVE Services.
    CveReservation,
    /// Publish the case's CNA container at CVE Services after the release.
    CvePublication,
    /// Open the forthcoming-fix issue on GitHub once the notice is out.
    GitHubIssue,
    /// Draft the GitHub advisory and make its collaborators the Fix Team's
    /// logins (again whenever the team changes).
    GitHubAdvisory,
    /// At the release's public instant: revoke everyone's access to the
    /// GitHub advisory and publish it.
    GitHubRelease,
    /// At the release's public instant: record the case published, let
    /// the held announcement go, record the published advisories.
    Publication,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::FixRepository => "fix_repository",
            Step::CveReservation => "cve_reservation",
            Step::CvePublication => "cve_publication",
            Step::GitHubIssue => "github_issue",
            Step::GitHubAdvisory => "github_advisory",
            Step::GitHubRelease => "github_release",
            Step::Publication => "publication",
        }
    }

    fn parse(s: &str) -> Result<Step, StoreError> {
        match s {
            "fix_repository" => Ok(Step::FixRepository),
            "cve_reservation" => Ok(Step::CveReservation),
            "cve_publication" => Ok(Step::CvePublication),
            "github_issue" => Ok(Step::GitHubIssue),
            "github_advisory" => Ok(Step::GitHubAdvisory),
            "github_release" => Ok(Step::GitHubRelease),
            "publication" => Ok(Step::Publication),
            other => Err(StoreError::Corrupt(format!("integration step {other:?}"))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Ok,
    Failed,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Pending => "pending",
            StepState::Ok => "ok",
            StepState::Failed => "failed",
        }
    }
}

/// A step as the case page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepStatus {
    pub step: Step,
    pub state: StepState,
    /// Failures in a row.
    pub attempts: u32,
    /// The service's reason for the last failure.
    pub reason: Option<String>,
    pub next_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The wait after the `attempts`-th failure in a row: 30 s, doubling, at
/// most an hour.
pub fn backoff(attempts: u32) -> SignedDuration {
    let secs = 30u64.saturating_mul(1 << attempts.saturating_sub(1).min(7));
    SignedDuration::from_secs(secs.min(3600) as i64)
}

/// The steps that wait for the release's public instant
/// ([`psirt_core::public_at`]): they are due then, not at the Release
/// command, and move with it if the PST moves the embargo's end forward.
const AT_PUBLICATION: [Step; 3] = [Step::Publication, Step::CvePublication, Step::GitHubRelease];

/// Schedules the steps that newly recorded `events` ask for on `case`
/// (which has them applied). Called in the events' transaction, like the
/// outbox.
pub(crate) async fn schedule_for_events(
    tx: &mut AnyConnection,
    case_id: i64,
    case: &Case,
    events: &[Event],
    now: Timestamp,
) -> Result<(), StoreError> {
    let asked = |f: fn(&Change) -> bool| events.iter().any(|e| f(&e.change));
    let mut steps = Vec::new();
    if asked(|c| matches!(c, Change::Released { .. })) {
        steps.push(Step::Publication);
    }
    if asked(|c| matches!(c, Change::FixRepositoryLinked(_))) {
        steps.push(Step::FixRepository);
    }
    if asked(|c| matches!(c, Change::CveReservationRequested)) {
        steps.push(Step::CveReservation);
    }
    // Only an id psirt reserved is psirt's to publish.
    if asked(|c| matches!(c, Change::Released { .. }))
        && case.cve_reservation_requested_at.is_some()
        && !case.cves.is_empty()
    {
        steps.push(Step::CvePublication);
    }
    // The GitHub steps, for a project connected to GitHub only (a
    // project disconnected later has them dropped by the job).
    let github: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM project_services WHERE project = $1 AND service = $2")
            .bind(&case.project)
            .bind(crate::Service::GitHub.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let github = github.is_some();
    if github
        && case.github_issue.is_none()
        && asked(|c| matches!(c, Change::NoticePublished { .. }))
    {
        steps.push(Step::GitHubIssue);
    }
    let team_changed = |c: &Change| {
        matches!(
            c,
            Change::FixTeamFormed { .. }
                | Change::FixTeamMemberAdded { .. }
                | Change::FixTeamMemberRemoved { .. }
                | Change::FixLeadAssigned { .. }
        )
    };
    if github
        && case.release().is_none()
        && case.fix_team_formed_at.is_some()
        && asked(team_changed)
    {
        steps.push(Step::GitHubAdvisory);
    }
    if github && asked(|c| matches!(c, Change::Released { .. })) {
        steps.push(Step::GitHubRelease);
    }
    // A CVE Services step that failed (most often a publication because
    // the record could not fill the CNA container yet, or a request the
    // service refused, which is not retried by backoff) is due again as
    // soon as the case changes: the change may be the missing field.
    // Retrying is safe, the client never reserves or publishes twice.
    for step in [Step::CveReservation, Step::CvePublication] {
        if events.is_empty() || steps.contains(&step) {
            continue;
        }
        sqlx::query(
            "UPDATE integration_steps SET next_at = $1 \
             WHERE case_id = $2 AND step = $3 AND state = 'failed' AND next_at > $1",
        )
        .bind(micros(now))
        .bind(case_id)
        .bind(step.as_str())
        .execute(&mut *tx)
        .await?;
    }
    let public_at = psirt_core::public_at(case).filter(|_| {
        case.release()
            .as_ref()
            .is_some_and(|r| r.published_at.is_none())
    });
    if let Some(at) = public_at.filter(|_| !events.is_empty()) {
        for step in AT_PUBLICATION {
            sqlx::query(
                "UPDATE integration_steps SET next_at = $1 \
                 WHERE case_id = $2 AND step = $3 AND state = 'pending' AND next_at > $1",
            )
            .bind(micros(at.max(now)))
            .bind(case_id)
            .bind(step.as_str())
            .execute(&mut *tx)
            .await?;
        }
    }
    for step in steps {
        let next_at = match public_at {
            Some(at) if AT_PUBLICATION.contains(&step) => at.max(now),
            _ => now,
        };
        sqlx::query(
            "INSERT INTO integration_steps (case_id, step, state, attempts, next_at, updated_at) \
             VALUES ($1, $2, 'pending', 0, $4, $3) \
             ON CONFLICT (case_id, step) DO UPDATE SET state = 'pending', attempts = 0, \
             reason = NULL, next_at = $4, lease_until = NULL, updated_at = $3",
        )
        .bind(case_id)
        .bind(step.as_str())
        .bind(micros(now))
        .bind(micros(next_at))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// 9999-01-01: never due again, and within what every column reads back.
const NEVER: Timestamp = Timestamp::constant(253_370_764_800, 0);

const DUE: &str = "SELECT s.case_id FROM integration_steps s JOIN cases c ON c.id = s.case_id \
     WHERE s.step = $1 AND c.is_open = 1 AND s.next_at <= $2 \
     AND (s.lease_until IS NULL OR s.lease_until < $2) ORDER BY s.next_at, s.case_id LIMIT $3";

impl Store {
    /// Claims up to `limit` cases whose `step` is due, leased until
    /// `lease_until`: another worker skips them until then.
    pub async fn claim_steps(
        &self,
        step: Step,
        limit: u32,
        now: Timestamp,
        lease_until: Timestamp,
    ) -> Result<Vec<CaseRef>, StoreError> {
        let mut tx = self.write().await?;
        let pick = match self.backend {
            Backend::Sqlite => DUE.to_string(),
            Backend::Postgres => format!("{DUE} FOR UPDATE OF s SKIP LOCKED"),
        };
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(pick))
            .bind(step.as_str())
            .bind(micros(now))
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            sqlx::query(
                "UPDATE integration_steps SET lease_until = $1 WHERE case_id = $2 AND step = $3",
            )
            .bind(micros(lease_until))
            .bind(id)
            .bind(step.as_str())
            .execute(&mut *tx)
            .await?;
            let reference: String = sqlx::query_scalar("SELECT reference FROM cases WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            claimed.push(
                reference
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("case reference: {e}")))?,
            );
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// The step is done for good: it is not claimed again.
    pub async fn step_done(
        &self,
        reference: CaseRef,
        step: Step,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.set_step(reference, step, StepState::Ok, 0, None, now, NEVER)
            .await
    }

    /// The step worked; it runs again at `next_at` (the next poll).
    pub async fn step_succeeded(
        &self,
        reference: CaseRef,
        step: Step,
        now: Timestamp,
        next_at: Timestamp,
    ) -> Result<(), StoreError> {
        self.set_step(reference, step, StepState::Ok, 0, None, now, next_at)
            .await
    }

    /// The step failed with the service's `reason`; it is retried after
    /// the backoff, which this returns as the next attempt's time.
    pub async fn step_failed(
        &self,
        reference: CaseRef,
        step: Step,
        reason: &str,
        now: Timestamp,
    ) -> Result<Timestamp, StoreError> {
        self.fail_step(reference, step, reason, now, |attempts| {
            now + backoff(attempts)
        })
        .await
    }

    /// The service refused the step (a 4xx answer) with `reason`: it
    /// stays failed, with no retry by backoff, since the same request
    /// would be refused again. A new event on the case makes it due
    /// again ([`schedule_for_events`]).
    pub async fn step_refused(
        &self,
        reference: CaseRef,
        step: Step,
        reason: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.fail_step(reference, step, reason, now, |_| NEVER)
            .await
            .map(|_| ())
    }

    /// Records the step failed with `reason` (its first 2,000
    /// characters), one more attempt, due again at `next(attempts)`.
    async fn fail_step(
        &self,
        reference: CaseRef,
        step: Step,
        reason: &str,
        now: Timestamp,
        next: impl FnOnce(u32) -> Timestamp,
    ) -> Result<Timestamp, StoreError> {
        let attempts = self
            .steps(reference)
            .await?
            .into_iter()
            .find(|s| s.step == step)
            .map_or(0, |s| s.attempts)
            + 1;
        let next_at = next(attempts);
        let reason: String = reason.chars().take(2000).collect();
        self.set_step(
            reference,
            step,
            StepState::Failed,
            attempts,
            Some(&reason),
            now,
            next_at,
        )
        .await?;
        Ok(next_at)
    }

    #[allow(clippy::too_many_arguments)]
    async fn set_step(
        &self,
        reference: CaseRef,
        step: Step,
        state: StepState,
        attempts: u32,
        reason: Option<&str>,
        now: Timestamp,
        next_at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let n = sqlx::query(
            "UPDATE integration_steps SET state = $1, attempts = $2, reason = $3, next_at = $4, \
             lease_until = NULL, updated_at = $5 \
             WHERE step = $6 AND case_id = (SELECT id FROM cases WHERE reference = $7)",
        )
        .bind(state.as_str())
        .bind(i64::from(attempts))
        .bind(reason)
        .bind(micros(next_at))
        .bind(micros(now))
        .bind(step.as_str())
        .bind(reference.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound(format!(
                "step {} of case {reference}",
                step.as_str()
            )));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The step has nothing to do for this case (its project is not
    /// connected to the service): it is no longer shown or claimed.
    pub async fn drop_step(&self, reference: CaseRef, step: Step) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "DELETE FROM integration_steps \
             WHERE step = $1 AND case_id = (SELECT id FROM cases WHERE reference = $2)",
        )
        .bind(step.as_str())
        .bind(reference.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The case's steps in other systems. Not embargoed: states, times and
    /// the services' reasons only.
    pub async fn steps(&self, reference: CaseRef) -> Result<Vec<StepStatus>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.step, s.state, s.attempts, s.reason, s.next_at, s.updated_at \
             FROM integration_steps s JOIN cases c ON c.id = s.case_id \
             WHERE c.reference = $1 ORDER BY s.step",
        )
        .bind(reference.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let state = match r.try_get::<String, _>("state")?.as_str() {
                    "pending" => StepState::Pending,
                    "ok" => StepState::Ok,
                    "failed" => StepState::Failed,
                    other => return Err(StoreError::Corrupt(format!("step state {other:?}"))),
                };
                let at = |col: &str| -> Result<Timestamp, StoreError> {
                    Timestamp::from_microsecond(r.try_get(col)?)
                        .map_err(|e| StoreError::Corrupt(format!("instant: {e}")))
                };
                Ok(StepStatus {
                    step: Step::parse(&r.try_get::<String, _>("step")?)?,
                    state,
                    attempts: u32::try_from(r.try_get::<i64, _>("attempts")?).unwrap_or(u32::MAX),
                    reason: r.try_get("reason")?,
                    next_at: at("next_at")?,
                    updated_at: at("updated_at")?,
                })
            })
            .collect()
    }

    /// Reads a case for psirt's own job (which has no standing to ask
    /// `authorize`): the read is written to the audit log as psirt's, with
    /// the step that read it.
    pub async fn case_for_step(
        &self,
        reference: CaseRef,
        step: Step,
    ) -> Result<CaseRecord, StoreError> {
        let (_, record) = self.load(reference).await?;
        self.audit(&AuditEntry {
            actor: audit_actor(&Principal::System),
            action: "case.view".into(),
            case: Some(reference),
            origin: "job".into(),
            detail: format!("step {}", step.as_str()),
        })
        .await?;
        Ok(record)
    }
}
