//! Following each case's fix branch: fetch the private fix repository
//! (`psirt-git`), read `base..branch`, match each author's e-mail address
//! to an account, hand the commits to the core (`ReadFixBranch`: new ones
//! appear, force-pushed ones are replaced), then apply the current commits
//! onto every release branch's last tag and hand in the plan
//! (`RecordCherryPickPlan`).
//!
//! Claims are leased (`Store::claim_steps`), so replicas never run one
//! case at once. A failure (fetch, timeout, git) leaves the case as it
//! was, records the step as failed with git's reason and retries it with
//! backoff; both commands are idempotent (an unchanged branch or plan is
//! refused by the core and taken as done), so a retry never records
//! anything twice. It logs case references and errors, never commits,
//! titles, patches or locations.

use std::path::PathBuf;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use psirt_core::{CaseRef, Command, FixRepoRule, Refusal, Rule};
use psirt_git::{GitError, Mirror};
use psirt_store::{
    Caller, Principal, Service, ServiceConfig, ServiceSettings, Step, Store, StoreError,
};

use crate::runs::Job;

/// How often a linked fix branch is looked at again.
pub const POLL: SignedDuration = SignedDuration::from_secs(300);

/// Why a refresh failed: git's side or the store's.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one refresh recorded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// The branch's commits changed (new or replaced ones).
    pub commits_changed: bool,
    /// A new cherry-pick plan was recorded.
    pub plan_changed: bool,
}

#[derive(Clone, Debug)]
pub struct FixRepositories {
    pub store: Store,
    /// The private directory holding one mirror per case.
    pub root: PathBuf,
    /// Bounds every git command.
    pub git_timeout: Duration,
    pub poll: SignedDuration,
    /// Opens the projects' fix-repository credentials (`psirt project
    /// service git`); without it every fetch is anonymous.
    pub vault: Option<psirt_store::Vault>,
}

impl FixRepositories {
    pub fn new(store: Store, root: impl Into<PathBuf>) -> FixRepositories {
        FixRepositories {
            store,
            root: root.into(),
            git_timeout: Duration::from_secs(120),
            poll: POLL,
            vault: None,
        }
    }

    /// The same job, fetching with each project's credentials.
    pub fn with_vault(self, vault: psirt_store::Vault) -> FixRepositories {
        FixRepositories {
            vault: Some(vault),
            ..self
        }
    }

    /// The credentials for `location` of a case of `project`: only over
    /// HTTPS (or plain HTTP to this machine), and only when the project
    /// has them; a path, `ssh://` or `git://` location never gets them.
    async fn credentials(
        &self,
        project: &str,
        location: &str,
    ) -> Result<Option<psirt_git::Credentials>, StoreError> {
        let Some(vault) = &self.vault else {
            return Ok(None);
        };
        if !psirt_store::services::may_carry_secrets(location) {
            return Ok(None);
        }
        let config = self
            .store
            .service(project, Service::FixRepositories, vault)
            .await?;
        let Some(ServiceConfig {
            settings: ServiceSettings::FixRepositories { username },
            secret,
            ..
        }) = config
        else {
            return Ok(None);
        };
        Ok(Some(psirt_git::Credentials::basic(
            &username,
            secret.reveal(),
        )))
    }

    /// Refreshes every case whose step is due; returns how many ran.
    pub async fn round(&self, now: Timestamp) -> Result<usize, StoreError> {
        let lease = now + SignedDuration::from_secs(self.git_timeout.as_secs() as i64 * 4);
        let due = self
            .store
            .claim_steps(Step::FixRepository, 10, now, lease)
            .await?;
        for &reference in &due {
            match self.refresh(reference, now).await {
                Ok(done) => {
                    tracing::info!(case = %reference, ?done, "fix repository read");
                    self.store
                        .step_succeeded(reference, Step::FixRepository, now, now + self.poll)
                        .await?;
                }
                Err(e) => {
                    let next = self
                        .store
                        .step_failed(reference, Step::FixRepository, &e.to_string(), now)
                        .await?;
                    tracing::warn!(case = %reference, error = %e, %next, "reading the fix repository failed");
                }
            }
        }
        Ok(due.len())
    }

    /// Reads the case's fix branch and plans its cherry-picks, as psirt.
    pub async fn refresh(
        &self,
        reference: CaseRef,
        now: Timestamp,
    ) -> Result<Refreshed, RefreshError> {
        let caller = Caller::new(Principal::System, "job");
        let record = self
            .store
            .case_for_step(reference, Step::FixRepository)
            .await?;
        let Some(repo) = record.case.fix_repository.clone() else {
            return Ok(Refreshed::default());
        };
        let mirror = Mirror::new(self.root.join(reference.to_string()), self.git_timeout);
        let credentials = self
            .credentials(&record.case.project, &repo.location)
            .await?;
        let read = {
            let (mirror, repo) = (mirror.clone(), repo.clone());
            blocking(move || {
                mirror.fetch(&repo.location, credentials.as_ref())?;
                mirror.fix_commits(&repo.base, &repo.branch)
            })
            .await?
        };
        let mut commits = Vec::with_capacity(read.len());
        for c in &read {
            let user = self.store.identify(&c.author_email).await?;
            commits.push(c.to_branch_commit(user));
        }
        let mut done = Refreshed::default();
        let mut case = record.case;
        match self
            .store
            .execute(
                &caller,
                reference,
                Command::ReadFixBranch { commits },
                None,
                now,
            )
            .await
        {
            Ok(new) => {
                done.commits_changed = true;
                case = new.case;
            }
            Err(e) if is(&e, FixRepoRule::FixBranchUnchanged) => {}
            Err(e) if released(&e) => return Ok(done),
            Err(e) => return Err(e.into()),
        }
        let current = case.current_fix_commits();
        if current.is_empty() {
            // Nothing to apply yet: a plan of no commits would say every
            // branch already contains the fix.
            return Ok(done);
        }
        let plan = blocking(move || mirror.plan(&repo, &current)).await?;
        match self
            .store
            .execute(
                &caller,
                reference,
                Command::RecordCherryPickPlan(plan),
                None,
                now,
            )
            .await
        {
            Ok(_) => done.plan_changed = true,
            Err(e) if is(&e, FixRepoRule::PlanUnchanged) => {}
            Err(e) if released(&e) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(done)
    }
}

fn is(e: &StoreError, rule: FixRepoRule) -> bool {
    matches!(e, StoreError::Refused(Refusal::Rule(Rule::FixRepo(r))) if *r == rule)
}

/// A released case keeps the plan it was released with.
fn released(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Refused(Refusal::Rule(Rule::AlreadyReleased | Rule::CaseClosed))
    )
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, GitError> + Send + 'static,
) -> Result<T, GitError> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(GitError::Io(std::io::Error::other(e.to_string()))))
}

/// Runs [`FixRepositories::round`] every `every` until `stop` resolves.
pub async fn run(
    job: &FixRepositories,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let failed = "the fix repository round failed";
    crate::every(
        Job::FixRepository,
        every,
        stop,
        failed,
        move || async move { job.round(clock()).await.map(|_| ()) },
    )
    .await
}
