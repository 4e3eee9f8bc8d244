//! The case's private fix repository, as the process sees it: which
//! repository and branch hold the fix, the commits read from that branch,
//! the cherry-pick plan onto the last release of each release branch, and
//! the rules on them.
//!
//! This module never speaks git: `psirt-git` reads the repository and
//! applies the commits, and the caller hands the results in as commands
//! ([`Command::ReadFixBranch`], [`Command::RecordCherryPickPlan`]). What it
//! decides is what those results mean: a commit that vanished from the
//! branch was replaced and loses its LGTMs, a changed branch reopens a fix
//! that was ready, and a release waits for a plan of the current commits
//! with every conflict resolved by the Fix Lead.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::command::Command;
use crate::engine::{Refusal, Rule, invalid, text, verbatim};
use crate::event::Change;
use crate::ids::{CommitId, Secret, UserId};
use crate::notify::MailAttachment;

/// Where the fix is developed: a repository psirt can fetch from (a path
/// or a URL without credentials), the fix branch, the branch it forks
/// from, and the release branches that need the fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixRepository {
    pub location: String,
    pub branch: String,
    /// The fix commits are `base..branch`.
    pub base: String,
    /// The branches a release is cut from, each getting the fix on top of
    /// its last release tag.
    pub release_branches: Vec<String>,
    /// The glob release tags match (`git describe --match`), e.g. `v*`.
    pub tag_pattern: String,
}

/// One commit of the fix branch, as git names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchCommit {
    pub commit: CommitId,
    pub author_name: String,
    pub author_email: String,
    /// The psirt account whose e-mail address is the author's, if any:
    /// it is what stops the author approving their own commit.
    pub author_user: Option<UserId>,
    pub title: String,
}

/// The fix commits applied onto the last release of each release branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CherryPickPlan {
    /// The fix commits the plan applied, in order: a plan of other commits
    /// is stale.
    pub commits: Vec<CommitId>,
    pub branches: Vec<BranchPlan>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchPlan {
    pub branch: String,
    /// The last release tag on the branch, where one was found.
    pub tag: Option<String>,
    pub outcome: PlanOutcome,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PlanOutcome {
    /// Every fix commit not already on the branch applied cleanly.
    Clean {
        /// The resulting commits on top of the tag.
        commits: Vec<CommitId>,
        /// `git format-patch` of those commits: embargoed.
        patches: Secret<String>,
        /// SHA-256 of `patches`, lower-case hex, stated in the notice.
        sha256: String,
    },
    /// The release already contains every fix commit.
    AlreadyContains,
    /// The first commit that did not apply, and the files in conflict.
    Conflicts {
        commit: CommitId,
        files: Vec<String>,
    },
    /// The branch could not be planned (no release tag, unknown branch).
    Failed { reason: String },
}

/// The rules of this module, shown in the process's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixRepoRule {
    NoFixRepository,
    FixBranchUnchanged,
    CommitReplaced(CommitId),
    StalePlan,
    PlanUnchanged,
    NotInPlan(String),
    NoConflictThere(String),
    PlanNeeded,
    PlanHasConflicts(Vec<String>),
    PlanFailed(Vec<String>),
}

impl fmt::Display for FixRepoRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FixRepoRule::NoFixRepository => write!(f, "the case has no fix repository linked"),
            FixRepoRule::FixBranchUnchanged => write!(f, "the fix branch has not changed"),
            FixRepoRule::CommitReplaced(c) => write!(
                f,
                "commit {c} was replaced on the fix branch: review the commit that replaced it"
            ),
            FixRepoRule::StalePlan => write!(
                f,
                "the cherry-pick plan is not of the fix branch's current commits"
            ),
            FixRepoRule::PlanUnchanged => write!(f, "the cherry-pick plan has not changed"),
            FixRepoRule::NotInPlan(b) => {
                write!(f, "{b} is not a release branch of the cherry-pick plan")
            }
            FixRepoRule::NoConflictThere(b) => {
                write!(f, "the cherry-pick plan has no conflict on {b}")
            }
            FixRepoRule::PlanNeeded => write!(
                f,
                "the release needs a cherry-pick plan of the current fix commits"
            ),
            FixRepoRule::PlanHasConflicts(b) => write!(
                f,
                "the fix does not apply cleanly on {}: the Fix Lead records how each conflict \
                 was resolved first",
                b.join(", ")
            ),
            FixRepoRule::PlanFailed(b) => {
                write!(f, "the cherry-pick plan failed on {}", b.join(", "))
            }
        }
    }
}

impl From<FixRepoRule> for Refusal {
    fn from(rule: FixRepoRule) -> Refusal {
        Refusal::Rule(Rule::FixRepo(rule))
    }
}

/// A git ref name as `git check-ref-format` would take it, and never one
/// the git command line could read as an option.
fn ref_name(field: &'static str, value: &str) -> Result<String, Refusal> {
    let value = text(field, value, 200)?;
    let bad = value.starts_with('-')
        || value.starts_with('/')
        || value.ends_with('/')
        || value.ends_with('.')
        || value.ends_with(".lock")
        || value.contains("..")
        || value.contains("@{")
        || value.contains("//")
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "~^:?*[\\".contains(c));
    if bad {
        return Err(invalid(
            field,
            format!("{value:?} is not a git branch name"),
        ));
    }
    Ok(value)
}

/// A path or a URL git fetches from, without credentials (they are kept
/// apart, like other secrets) and without git's command-running `ext::`
/// transport.
fn location(value: &str) -> Result<String, Refusal> {
    let value = text("location", value, 2048)?;
    if value.starts_with('-') || value.chars().any(char::is_whitespace) {
        return Err(invalid("location", "must be a path or a URL"));
    }
    if value.contains("::") {
        return Err(invalid("location", "git remote helpers are not allowed"));
    }
    if let Some((scheme, rest)) = value.split_once("://") {
        if !["https", "http", "ssh", "git", "file"].contains(&scheme) {
            return Err(invalid("location", format!("{scheme}:// is not supported")));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains(':') && authority.contains('@') {
            return Err(invalid(
                "location",
                "must not contain a password: the credentials are kept apart",
            ));
        }
    }
    Ok(value)
}

fn tag_pattern(value: &str) -> Result<String, Refusal> {
    let value = text("tag_pattern", value, 100)?;
    if value.starts_with('-') || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("tag_pattern", "must be a glob such as v*"));
    }
    Ok(value)
}

/// The changes for this module's commands; `None` for other commands.
pub(crate) fn decide(case: &Case, command: Command) -> Result<Vec<Change>, Refusal> {
    match command {
        Command::LinkFixRepository(repo) => {
            if case.release().is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            if repo.release_branches.is_empty() {
                return Err(invalid("release_branches", "name at least one branch"));
            }
            let mut branches = Vec::new();
            for b in &repo.release_branches {
                let b = ref_name("release_branches", b)?;
                if !branches.contains(&b) {
                    branches.push(b);
                }
            }
            Ok(vec![Change::FixRepositoryLinked(FixRepository {
                location: location(&repo.location)?,
                branch: ref_name("branch", &repo.branch)?,
                base: ref_name("base", &repo.base)?,
                release_branches: branches,
                tag_pattern: tag_pattern(&repo.tag_pattern)?,
            })])
        }
        Command::ReadFixBranch { commits } => read_branch(case, commits),
        Command::RecordCherryPickPlan(plan) => {
            if case.fix_repository.is_none() {
                return Err(FixRepoRule::NoFixRepository.into());
            }
            if case.release().is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            if plan.commits.is_empty() {
                return Err(invalid(
                    "commits",
                    "a plan applies the fix commits: none yet",
                ));
            }
            if plan.commits != current_commits(case) {
                return Err(FixRepoRule::StalePlan.into());
            }
            if case.cherry_pick_plan.as_ref() == Some(&plan) {
                return Err(FixRepoRule::PlanUnchanged.into());
            }
            Ok(vec![Change::CherryPickPlanned(plan)])
        }
        Command::ResolveCherryPick { branch, commits } => {
            if case.release().is_some() {
                return Err(Rule::AlreadyReleased.into());
            }
            let plan = case
                .cherry_pick_plan
                .as_ref()
                .ok_or(FixRepoRule::PlanNeeded)?;
            let Some(planned) = plan.branches.iter().find(|b| b.branch == branch) else {
                return Err(FixRepoRule::NotInPlan(branch).into());
            };
            if !matches!(planned.outcome, PlanOutcome::Conflicts { .. }) {
                return Err(FixRepoRule::NoConflictThere(branch).into());
            }
            if commits.is_empty() {
                return Err(invalid("commits", "name the commits that resolve it"));
            }
            Ok(vec![Change::CherryPickResolved { branch, commits }])
        }
        _ => unreachable!("fix_repo::decide is called for its own commands only"),
    }
}

/// What the branch's current commits change: new ones are read, missing
/// ones are replaced (and lose their LGTMs), and a fix that was ready is
/// reopened.
fn read_branch(case: &Case, commits: Vec<BranchCommit>) -> Result<Vec<Change>, Refusal> {
    if case.fix_repository.is_none() {
        return Err(FixRepoRule::NoFixRepository.into());
    }
    if case.release().is_some() {
        return Err(Rule::AlreadyReleased.into());
    }
    let mut changes = Vec::new();
    for gone in case
        .fix_commits
        .iter()
        .filter(|c| c.from_branch && !c.replaced)
        .filter(|c| !commits.iter().any(|n| n.commit == c.commit))
    {
        changes.push(Change::FixCommitReplaced {
            commit: gone.commit.clone(),
        });
    }
    for new in commits {
        let known = case
            .fix_commits
            .iter()
            .any(|c| c.commit == new.commit && !c.replaced);
        if known {
            continue;
        }
        // git allows empty names and subjects; the timeline says so.
        let or = |value: &str, none: &str| match value.trim().is_empty() {
            true => none.to_string(),
            false => value.to_string(),
        };
        changes.push(Change::FixCommitRead {
            commit: new.commit,
            author_name: verbatim("author_name", &or(&new.author_name, "(no name)"), 300)?,
            author_email: verbatim("author_email", &or(&new.author_email, "(no e-mail)"), 300)?,
            author_user: new.author_user,
            title: verbatim("title", &or(&new.title, "(no subject)"), 1000)?,
        });
    }
    if changes.is_empty() {
        return Err(FixRepoRule::FixBranchUnchanged.into());
    }
    if case.fix_ready_at.is_some() {
        changes.push(Change::FixReopened {
            reason: "the fix branch changed".into(),
        });
    }
    Ok(changes)
}

/// The fix commits in force (read from the branch or recorded by hand),
/// in the order they were recorded.
pub(crate) fn current_commits(case: &Case) -> Vec<CommitId> {
    case.fix_commits
        .iter()
        .filter(|c| !c.replaced)
        .map(|c| c.commit.clone())
        .collect()
}

/// The part of the release rule that belongs to the repository: with a
/// fix repository linked, a release needs a plan of the current commits,
/// no failed branch, and every conflict resolved by the Fix Lead.
pub(crate) fn may_release(case: &Case) -> Result<(), Rule> {
    if case.fix_repository.is_none() {
        return Ok(());
    }
    let plan = match &case.cherry_pick_plan {
        Some(plan) if plan.commits == current_commits(case) => plan,
        _ => return Err(Rule::FixRepo(FixRepoRule::PlanNeeded)),
    };
    let failed: Vec<String> = plan
        .branches
        .iter()
        .filter(|b| matches!(b.outcome, PlanOutcome::Failed { .. }))
        .map(|b| b.branch.clone())
        .collect();
    if !failed.is_empty() {
        return Err(Rule::FixRepo(FixRepoRule::PlanFailed(failed)));
    }
    let unresolved: Vec<String> = plan
        .branches
        .iter()
        .filter(|b| matches!(b.outcome, PlanOutcome::Conflicts { .. }))
        .filter(|b| !case.cherry_pick_resolutions.contains_key(&b.branch))
        .map(|b| b.branch.clone())
        .collect();
    if !unresolved.is_empty() {
        return Err(Rule::FixRepo(FixRepoRule::PlanHasConflicts(unresolved)));
    }
    Ok(())
}

/// What the fold keeps per branch once the Fix Lead resolved a conflict.
pub type Resolutions = BTreeMap<String, Vec<CommitId>>;

/// The pre-notification's patch sets: for each release branch of the
/// current plan, its outcome and, where the fix applies, the SHA-256 of
/// its `git format-patch` output (so every distributor can confirm they
/// test the same patches) and the file it is attached as. The patches
/// themselves are returned as `text/x-patch` attachments, one per branch,
/// whose bytes are exactly what the SHA-256 is of, so that `git am` applies
/// them. Nothing when no plan of the current commits exists.
pub(crate) fn patch_sets(body: &mut String, case: &Case) -> Vec<MailAttachment> {
    use std::fmt::Write;
    let Some(plan) = case
        .cherry_pick_plan
        .as_ref()
        .filter(|p| p.commits == current_commits(case))
    else {
        return Vec::new();
    };
    let mut attachments = Vec::new();
    body.push_str("\nPatch sets (git format-patch of the fix on each release, attached):\n");
    for b in &plan.branches {
        let tag = b.tag.as_deref().unwrap_or("no release tag");
        let _ = match &b.outcome {
            PlanOutcome::Clean {
                sha256, patches, ..
            } => {
                let name = patch_file_name(&b.branch, tag);
                let line = writeln!(body, "- {} on {tag}: {name}, SHA-256 {sha256}", b.branch);
                attachments.push(MailAttachment {
                    name,
                    content_type: "text/x-patch".into(),
                    content: patches.clone(),
                });
                line
            }
            PlanOutcome::AlreadyContains => {
                writeln!(body, "- {} on {tag}: already contains the fix", b.branch)
            }
            PlanOutcome::Conflicts { .. } => match case.cherry_pick_resolutions.get(&b.branch) {
                Some(commits) => writeln!(
                    body,
                    "- {} on {tag}: resolved by the Fix Lead as {}",
                    b.branch,
                    commits
                        .iter()
                        .map(CommitId::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => writeln!(body, "- {} on {tag}: does not apply yet", b.branch),
            },
            PlanOutcome::Failed { reason } => writeln!(body, "- {}: {reason}", b.branch),
        };
    }
    attachments
}

/// `release-1.11` on `v1.11.3` is `release-1.11_v1.11.3.patch`: letters,
/// digits, `.`, `-` and `_` only, so that no mail client reads a path
/// into it.
fn patch_file_name(branch: &str, tag: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    };
    format!("{}_{}.patch", clean(branch), clean(tag))
}
