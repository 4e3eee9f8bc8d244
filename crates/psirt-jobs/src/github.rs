//! The GitHub steps of a case (`psirt-github`): the forthcoming-fix issue
//! once the notice is out, the draft repository security advisory whose
//! collaborators are the Fix Team's GitHub logins (again whenever the team
//! changes), and after the release everyone's access revoked and the
//! advisory published with the CVE id and the fixed versions.
//!
//! The texts come from the case: the issue is the core's forthcoming-fix
//! notice text, the advisory the case record (title, description, impact,
//! weaknesses, products) with the final CVSS vector. The results go to the
//! core as psirt's commands, which refuse what is already recorded, so a
//! retried step never records twice; the client itself never creates a
//! second issue or advisory after a lost answer. A failure leaves the case
//! as it was, is kept with GitHub's reason and retried with the store's
//! backoff. The store schedules the steps of projects connected to GitHub
//! only; one disconnected since has nothing to do: its steps are dropped. It logs case references, issue numbers, GHSA ids and errors,
//! never a token or a text.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use psirt_core::{
    AffectedProduct, Case, CaseRef, Command, GitHubLogin, GitHubRule, Refusal, Rule,
    forthcoming_notice_text,
};
use psirt_github::{
    AdvisoryDraft, Credit, GitHub, GitHubError, Patience, Token, Vulnerability, marker,
};
use psirt_store::{Service, ServiceConfig, ServiceSettings, Step, Store, StoreError, Vault};

use crate::runs::Job;

/// Where a project's GitHub steps go: the API root, the public
/// repository (`owner/name`) and the token.
#[derive(Clone, Debug)]
pub struct GitHubTarget {
    pub api_url: String,
    pub repository: String,
    pub token: Token,
}

type Lookup<'a> =
    Pin<Box<dyn Future<Output = Result<Option<GitHubTarget>, StoreError>> + Send + 'a>>;

/// A project's GitHub target, if the project is connected to GitHub.
pub trait GitHubTargets: Send + Sync {
    fn target<'a>(&'a self, project: &'a str) -> Lookup<'a>;
}

/// The projects' GitHub connections as the store keeps them
/// (`psirt project service github`), the token opened by the vault.
#[derive(Clone)]
pub struct Connected {
    pub store: Store,
    pub vault: Vault,
}

impl GitHubTargets for Connected {
    fn target<'a>(&'a self, project: &'a str) -> Lookup<'a> {
        Box::pin(async move {
            let config = self
                .store
                .service(project, Service::GitHub, &self.vault)
                .await?;
            match config {
                None => Ok(None),
                Some(ServiceConfig {
                    settings:
                        ServiceSettings::GitHub {
                            api_url,
                            repository,
                        },
                    secret,
                    ..
                }) => Ok(Some(GitHubTarget {
                    api_url,
                    repository,
                    token: Token::new(secret.reveal()),
                })),
                Some(other) => Err(StoreError::Corrupt(format!(
                    "the GitHub settings of {project} are {:?}",
                    other.settings
                ))),
            }
        })
    }
}

/// Runs [`GitHubSteps::round`] every `every` until `stop`.
pub async fn run(
    job: &GitHubSteps,
    clock: fn() -> Timestamp,
    every: std::time::Duration,
    stop: impl Future<Output = ()>,
) {
    let failed = "the GitHub round failed";
    crate::every(Job::GitHub, every, stop, failed, move || async move {
        job.round(clock()).await.map(|_| ())
    })
    .await
}

#[derive(Debug, thiserror::Error)]
pub enum GitHubStepError {
    #[error(transparent)]
    Service(#[from] GitHubError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone)]
pub struct GitHubSteps {
    pub store: Store,
    pub targets: Arc<dyn GitHubTargets>,
    pub patience: Patience,
}

const STEPS: [Step; 3] = [Step::GitHubIssue, Step::GitHubAdvisory, Step::GitHubRelease];

impl GitHubSteps {
    /// The steps of the projects connected to GitHub in `store`, with the
    /// client's default patience.
    pub fn connected(store: Store, vault: Vault) -> GitHubSteps {
        GitHubSteps {
            targets: Arc::new(Connected {
                store: store.clone(),
                vault,
            }),
            store,
            patience: Patience::default(),
        }
    }

    /// Runs the due GitHub steps; returns how many ran.
    pub async fn round(&self, now: Timestamp) -> Result<usize, StoreError> {
        let lease = now + jiff::SignedDuration::from_mins(10);
        let mut ran = 0;
        for step in STEPS {
            let due = self.store.claim_steps(step, 10, now, lease).await?;
            ran += due.len();
            for reference in due {
                let case = self.store.case_for_step(reference, step).await?.case;
                let Some(target) = self.targets.target(&case.project).await? else {
                    self.store.drop_step(reference, step).await?;
                    continue;
                };
                let outcome = match GitHub::new(
                    &target.api_url,
                    &target.repository,
                    target.token,
                    self.patience,
                ) {
                    Ok(gh) => match step {
                        Step::GitHubIssue => self.issue(&gh, &case, now).await,
                        Step::GitHubAdvisory => self.advisory(&gh, &case, now).await,
                        _ => self.release(&gh, &case, now).await,
                    },
                    Err(e) => Err(e.into()),
                };
                crate::settle_step(&self.store, reference, step, outcome, now, "GitHub step")
                    .await?;
            }
        }
        Ok(ran)
    }

    async fn issue(&self, gh: &GitHub, case: &Case, now: Timestamp) -> Result<(), GitHubStepError> {
        let Some(notice) = &case.notice else {
            return Ok(());
        };
        if case.github_issue.is_some() {
            return Ok(());
        }
        let m = marker(&case.reference.to_string());
        let title = format!(
            "Forthcoming security fix for {}, expected {}",
            case.project,
            notice.estimated_release.strftime("%Y-%m-%d")
        );
        let text = forthcoming_notice_text(
            case,
            notice.estimated_release,
            &notice.mitigation,
            notice.link.as_deref(),
        );
        let issue = gh
            .ensure_issue(&m, &title, &format!("{text}\n{m}\n"))
            .await?;
        tracing::info!(case = %case.reference, number = issue.number, "GitHub issue opened");
        let command = Command::RecordGitHubIssue {
            number: issue.number,
            url: issue.url,
        };
        self.system(
            case.reference,
            command,
            now,
            GitHubRule::IssueAlreadyRecorded,
        )
        .await
    }

    async fn advisory(
        &self,
        gh: &GitHub,
        case: &Case,
        now: Timestamp,
    ) -> Result<(), GitHubStepError> {
        // After the release the release step takes everyone's access away.
        if case.release().is_some() {
            return Ok(());
        }
        let members: Vec<_> = case
            .fix_lead()
            .iter()
            .chain(&case.fix_team)
            .copied()
            .collect();
        let mut logins: Vec<GitHubLogin> = self
            .store
            .github_logins(&members)
            .await?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        logins.sort();
        logins.dedup();
        let m = marker(&case.reference.to_string());
        let draft = match &case.github_advisory {
            Some(a) => gh.advisory(&a.ghsa_id).await?,
            None => {
                gh.ensure_draft_advisory(&m, &self.content(case, &m).await?)
                    .await?
            }
        };
        let names: Vec<String> = logins.iter().map(|l| l.to_string()).collect();
        let set = gh.set_collaborators(&draft.ghsa_id, &names).await?;
        tracing::info!(case = %case.reference, ghsa = %set.ghsa_id, collaborators = names.len(), "GitHub advisory collaborators set");
        let command = Command::RecordGitHubAdvisory {
            ghsa_id: set.ghsa_id,
            url: set.url,
            collaborators: logins,
        };
        self.system(case.reference, command, now, GitHubRule::AdvisoryUnchanged)
            .await
    }

    async fn release(
        &self,
        gh: &GitHub,
        case: &Case,
        now: Timestamp,
    ) -> Result<(), GitHubStepError> {
        if case.release().is_none() {
            return Ok(());
        }
        let m = marker(&case.reference.to_string());
        let content = self.content(case, &m).await?;
        let ghsa = match &case.github_advisory {
            Some(a) => a.ghsa_id.clone(),
            None => {
                // Never drafted (GitHub connected late): draft it now, with
                // nobody's access, so that it can be published.
                let made = gh.ensure_draft_advisory(&m, &content).await?;
                let command = Command::RecordGitHubAdvisory {
                    ghsa_id: made.ghsa_id.clone(),
                    url: made.url,
                    collaborators: Vec::new(),
                };
                self.system(case.reference, command, now, GitHubRule::AdvisoryUnchanged)
                    .await?;
                made.ghsa_id
            }
        };
        gh.set_collaborators(&ghsa, &[]).await?;
        if case
            .github_advisory
            .as_ref()
            .is_some_and(|a| !a.collaborators.is_empty())
        {
            tracing::info!(case = %case.reference, %ghsa, "GitHub advisory access revoked");
            let command = Command::RecordGitHubAccessRevoked {
                ghsa_id: ghsa.clone(),
            };
            self.system(case.reference, command, now, GitHubRule::NothingToRevoke)
                .await?;
        }
        let published = gh.publish_advisory(&ghsa, &content).await?;
        tracing::info!(case = %case.reference, ghsa = %published.ghsa_id, "GitHub advisory published");
        let command = Command::RecordGitHubAdvisoryPublished { ghsa_id: ghsa };
        self.system(case.reference, command, now, GitHubRule::AlreadyPublished)
            .await
    }

    /// The advisory's text ([`advisory_text`]) with the case's credits
    /// that GitHub can take: GitHub credits accounts, so a credit is sent
    /// only when it names a psirt account (by its email address or its
    /// name) that has a GitHub login; the others stay on psirt's record
    /// and the other exports only.
    async fn content(&self, case: &Case, marker: &str) -> Result<AdvisoryDraft, StoreError> {
        let mut content = advisory_text(case, marker);
        for credit in &case.credits {
            let Some(name) = &credit.name else { continue };
            let Some(login) = self.store.github_login_credited(name).await? else {
                continue;
            };
            let credit = Credit {
                login: login.to_string(),
                credit_type: credit.kind.as_str().into(),
            };
            if !content.credits.contains(&credit) {
                content.credits.push(credit);
            }
        }
        Ok(content)
    }

    /// Runs psirt's command; `done` is the refusal that means a retried
    /// step already recorded it.
    async fn system(
        &self,
        reference: CaseRef,
        command: Command,
        now: Timestamp,
        done: GitHubRule,
    ) -> Result<(), GitHubStepError> {
        match crate::record_as_psirt(&self.store, reference, command, now).await {
            Err(StoreError::Refused(Refusal::Rule(Rule::GitHub(rule)))) if rule == done => Ok(()),
            other => Ok(other?),
        }
    }
}

/// The advisory from the case record: its title (the report's summary
/// until one is set), description and impact, weaknesses and products,
/// the final CVSS vector and the CVE id; `marker` at the end.
pub fn advisory_text(case: &Case, marker: &str) -> AdvisoryDraft {
    let record = &case.record;
    let mut description = record
        .description
        .clone()
        .unwrap_or_else(|| case.summary.clone());
    if let Some(impact) = &record.impact {
        description.push_str(&format!("\n\n### Impact\n\n{impact}"));
    }
    description.push_str(&format!("\n\n{marker}\n"));
    AdvisoryDraft {
        summary: record.title.clone().unwrap_or_else(|| case.summary.clone()),
        description,
        cvss_vector_string: case.cvss_final.as_ref().map(|v| v.to_string()),
        severity: None,
        cve_id: case.cves.first().map(|c| c.to_string()),
        cwe_ids: record
            .weaknesses
            .iter()
            .map(|w| w.cwe.to_string())
            .collect(),
        vulnerabilities: record.products.iter().map(vulnerability).collect(),
        credits: Vec::new(),
    }
}

/// One product as GitHub's advisory names it: GitHub's ecosystem for the
/// OSV one, the affected ranges as `>= a, < b` (joined with `||`) and the
/// fixed versions.
fn vulnerability(p: &AffectedProduct) -> Vulnerability {
    let ecosystem = match p.ecosystem.as_str() {
        "Go" => "go",
        "npm" => "npm",
        "PyPI" => "pip",
        "crates.io" => "rust",
        "Maven" => "maven",
        "NuGet" => "nuget",
        "Packagist" => "composer",
        "RubyGems" => "rubygems",
        "Hex" => "erlang",
        "Pub" => "pub",
        "GitHub Actions" => "actions",
        _ => "other",
    };
    let ranges: Vec<String> = p
        .ranges
        .iter()
        .map(|r| {
            let from = match r.introduced.as_str() {
                "0" => None,
                v => Some(format!(">= {v}")),
            };
            let to = match (&r.fixed, &r.last_affected) {
                (Some(f), _) => Some(format!("< {f}")),
                (None, Some(l)) => Some(format!("<= {l}")),
                (None, None) => None,
            };
            from.into_iter().chain(to).collect::<Vec<_>>().join(", ")
        })
        .filter(|r| !r.is_empty())
        .collect();
    let fixed: Vec<&str> = p.ranges.iter().filter_map(|r| r.fixed.as_deref()).collect();
    Vulnerability {
        ecosystem: ecosystem.into(),
        package: p.package.clone(),
        vulnerable_version_range: (!ranges.is_empty()).then(|| ranges.join(" || ")),
        patched_versions: (!fixed.is_empty()).then(|| fixed.join(", ")),
    }
}
