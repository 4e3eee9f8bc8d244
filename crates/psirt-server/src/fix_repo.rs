//! The JSON shape of a case's fix repository and cherry-pick plan: which
//! repository and branches, whether the plan is of the current commits,
//! and per release branch its last tag and outcome (clean with the patch
//! set and its SHA-256, already contains the fix, conflicts with the
//! files, failed with the reason) and the Fix Lead's resolution.
//!
//! Only this module knows that shape; the core's types are converted here,
//! never serialized as they are.

use psirt_core::{Case, PlanOutcome};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct FixRepositoryView {
    pub location: String,
    pub branch: String,
    pub base: String,
    pub release_branches: Vec<String>,
    pub tag_pattern: String,
    /// The latest cherry-pick plan, once psirt has read the branch.
    pub plan: Option<PlanView>,
}

#[derive(Serialize, ToSchema)]
pub struct PlanView {
    /// The fix commits the plan applied.
    pub commits: Vec<String>,
    /// Of the current fix commits: a stale plan is being recomputed.
    pub current: bool,
    pub branches: Vec<BranchPlanView>,
}

#[derive(Serialize, ToSchema)]
pub struct BranchPlanView {
    pub branch: String,
    /// The last release tag on the branch: the fix goes on top of it.
    pub tag: Option<String>,
    /// `clean`, `already_contains`, `conflicts` or `failed`.
    pub outcome: &'static str,
    /// Clean: the resulting commits on top of the tag.
    pub commits: Vec<String>,
    /// Clean: `git format-patch` of those commits, and its SHA-256.
    pub patches: Option<String>,
    pub sha256: Option<String>,
    /// Conflicts: the first commit that did not apply, and the files.
    pub conflict_commit: Option<String>,
    pub conflict_files: Vec<String>,
    /// Failed: why (no release tag, no such branch).
    pub reason: Option<String>,
    /// Conflicts: the commits the Fix Lead recorded as the resolution.
    pub resolved_as: Option<Vec<String>>,
}

impl FixRepositoryView {
    pub fn of(case: &Case) -> Option<FixRepositoryView> {
        let repo = case.fix_repository.as_ref()?;
        Some(FixRepositoryView {
            location: repo.location.clone(),
            branch: repo.branch.clone(),
            base: repo.base.clone(),
            release_branches: repo.release_branches.clone(),
            tag_pattern: repo.tag_pattern.clone(),
            plan: case.cherry_pick_plan.as_ref().map(|plan| PlanView {
                commits: plan.commits.iter().map(ToString::to_string).collect(),
                current: plan.commits == case.current_fix_commits(),
                branches: plan.branches.iter().map(|b| branch(case, b)).collect(),
            }),
        })
    }
}

fn branch(case: &Case, b: &psirt_core::BranchPlan) -> BranchPlanView {
    let mut view = BranchPlanView {
        branch: b.branch.clone(),
        tag: b.tag.clone(),
        outcome: "",
        commits: Vec::new(),
        patches: None,
        sha256: None,
        conflict_commit: None,
        conflict_files: Vec::new(),
        reason: None,
        resolved_as: None,
    };
    match &b.outcome {
        PlanOutcome::Clean {
            commits,
            patches,
            sha256,
        } => {
            view.outcome = "clean";
            view.commits = commits.iter().map(ToString::to_string).collect();
            view.patches = Some(patches.expose().clone());
            view.sha256 = Some(sha256.clone());
        }
        PlanOutcome::AlreadyContains => view.outcome = "already_contains",
        PlanOutcome::Conflicts { commit, files } => {
            view.outcome = "conflicts";
            view.conflict_commit = Some(commit.to_string());
            view.conflict_files = files.clone();
            view.resolved_as = case
                .cherry_pick_resolutions
                .get(&b.branch)
                .map(|c| c.iter().map(ToString::to_string).collect());
        }
        PlanOutcome::Failed { reason } => {
            view.outcome = "failed";
            view.reason = Some(reason.clone());
        }
    }
    view
}

/// One of the case's steps in another system, as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct StepView {
    /// `fix_repository`, `cve_reservation`, `cve_publication`, `github_issue`,
    /// `github_advisory`, `github_release` or `publication`.
    pub step: &'static str,
    /// `pending`, `ok` or `failed`.
    pub state: &'static str,
    /// Failures in a row.
    pub attempts: u32,
    /// The service's reason for the last failure.
    pub reason: Option<String>,
    /// When psirt's job runs it next (a retry, or the next poll).
    #[schema(value_type = String, format = DateTime)]
    pub next_at: jiff::Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: jiff::Timestamp,
}

/// The case's steps in other systems (reading the fix repository, CVE
/// Services): their state and, when one failed, the service's reason.
/// Read through `Store::case`, so it is decided and audited as a case view.
#[utoipa::path(get, path = "/api/v1/cases/{reference}/steps", tag = "cases",
    params(("reference" = String, Path, description = "PSIRT-YYYY-NNNN")),
    responses((status = 200, body = Vec<StepView>), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub(crate) async fn case_steps(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    auth: crate::auth::Auth,
    crate::error::ApiPath(r): crate::error::ApiPath<String>,
) -> Result<axum::Json<Vec<StepView>>, crate::error::ApiError> {
    let reference = crate::api::reference(&r)?;
    state.store.case(&auth.caller, reference).await?;
    let steps = state.store.steps(reference).await?;
    Ok(axum::Json(
        steps
            .into_iter()
            .map(|s| StepView {
                step: s.step.as_str(),
                state: s.state.as_str(),
                attempts: s.attempts,
                reason: s.reason,
                next_at: s.next_at,
                updated_at: s.updated_at,
            })
            .collect(),
    ))
}
