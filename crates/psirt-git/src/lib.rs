//! psirt's only door to git: it fetches a case's private fix repository
//! into a private mirror, reads the fix commits (`base..branch`), applies
//! them onto the last release tag of each release branch in a scratch
//! worktree, and writes the patch sets with `git format-patch`.
//!
//! It speaks git through the `git` command line rather than a library:
//! cherry-pick (three-way merge, rename detection, conflict reporting) and
//! format-patch are exactly what the Fix Team and the distributors run, and
//! gix has neither while git2 would add libgit2 to the build. The results
//! are `psirt-core`'s types; what they mean (a replaced commit, a release
//! that must wait) is decided there, never here.
//!
//! It must never run git with anything a case supplied in option position
//! (locations and refs are validated by the core and passed after `--` or
//! as `refs/heads/…`), never let git prompt, read the user's git
//! configuration or use a transport outside `GIT_ALLOW_PROTOCOL`, and never
//! put credentials on a command line (they travel in the environment).

mod run;
#[cfg(feature = "testing")]
pub mod testing;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use psirt_core::{BranchCommit, BranchPlan, CherryPickPlan, CommitId, FixRepository, PlanOutcome};
use psirt_core::{Secret, UserId};
use sha2::{Digest, Sha256};

use run::Git;

/// Why git could not do what psirt asked.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("the fix repository could not be fetched: {0}")]
    Fetch(String),
    #[error("the fix repository has no branch {0}")]
    NoBranch(String),
    #[error("git {command} failed: {reason}")]
    Failed {
        command: &'static str,
        reason: String,
    },
    #[error("git {command} took longer than {seconds}s")]
    Timeout { command: &'static str, seconds: u64 },
    #[error("git output was not understood: {0}")]
    Output(String),
    #[error("running git: {0}")]
    Io(#[from] std::io::Error),
}

/// The credentials for an HTTPS fix repository, sent as an
/// `Authorization` header through git's environment, never its arguments.
#[derive(Clone)]
pub struct Credentials {
    /// The header's value: `Bearer TOKEN` or `Basic BASE64(USER:TOKEN)`.
    header: Secret<String>,
}

impl Credentials {
    pub fn bearer(token: impl Into<String>) -> Credentials {
        Credentials {
            header: Secret::new(format!("Bearer {}", token.into())),
        }
    }

    /// HTTP basic authentication, what GitHub, GitLab and Gitea take for
    /// git over HTTPS with a token as the password.
    pub fn basic(username: &str, token: &str) -> Credentials {
        use base64::Engine;
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{token}"));
        Credentials {
            header: Secret::new(format!("Basic {pair}")),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// One fix commit as git has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commit {
    pub id: CommitId,
    pub author_name: String,
    pub author_email: String,
    pub title: String,
}

impl Commit {
    /// The core's view, with the author's account where the caller matched one.
    pub fn to_branch_commit(&self, author_user: Option<UserId>) -> BranchCommit {
        BranchCommit {
            commit: self.id.clone(),
            author_name: self.author_name.clone(),
            author_email: self.author_email.clone(),
            author_user,
            title: self.title.clone(),
        }
    }
}

/// A private bare mirror of one case's fix repository.
#[derive(Clone, Debug)]
pub struct Mirror {
    dir: PathBuf,
    timeout: Duration,
}

impl Mirror {
    /// The mirror in `dir` (created 0700 on first fetch). `timeout`
    /// bounds every git command.
    pub fn new(dir: impl Into<PathBuf>, timeout: Duration) -> Mirror {
        Mirror {
            dir: dir.into(),
            timeout,
        }
    }

    fn git(&self) -> Git<'_> {
        Git::new(&self.dir, self.timeout)
    }

    /// Fetches every branch and tag of `location`, force-updating and
    /// pruning, so the mirror is the repository as it is now (a
    /// force-pushed branch included).
    pub fn fetch(&self, location: &str, credentials: Option<&Credentials>) -> Result<(), GitError> {
        if !self.dir.join("HEAD").exists() {
            private_dir(&self.dir)?;
            self.git().args(["init", "--bare", "--quiet"]).run("init")?;
        }
        let mut git = self.git();
        if let Some(c) = credentials {
            git = git.config(
                "http.extraHeader",
                &format!("Authorization: {}", c.header.expose()),
            );
        }
        git.args([
            "fetch",
            "--quiet",
            "--prune",
            "--force",
            "--no-write-fetch-head",
            "--",
            location,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ])
        .run("fetch")
        .map_err(|e| match e {
            GitError::Failed { reason, .. } => GitError::Fetch(reason),
            other => other,
        })?;
        Ok(())
    }

    /// The fix commits, `base..branch`, oldest first.
    pub fn fix_commits(&self, base: &str, branch: &str) -> Result<Vec<Commit>, GitError> {
        for b in [base, branch] {
            self.branch_tip(b)?;
        }
        let range = format!("refs/heads/{base}..refs/heads/{branch}");
        let out = self
            .git()
            .args([
                "log",
                "--reverse",
                "--topo-order",
                "--format=%H%x1f%an%x1f%ae%x1f%s%x1e",
                &range,
                "--",
            ])
            .run("log")?;
        out.split('\x1e')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|record| {
                let f: Vec<&str> = record.split('\x1f').collect();
                let [id, name, email, title] = f[..] else {
                    return Err(GitError::Output(format!("log record {record:?}")));
                };
                Ok(Commit {
                    id: id.parse().map_err(|e| GitError::Output(format!("{e}")))?,
                    author_name: name.to_string(),
                    author_email: email.to_string(),
                    title: title.to_string(),
                })
            })
            .collect()
    }

    /// One commit's patch, as `git format-patch` writes it.
    pub fn patch(&self, commit: &CommitId) -> Result<String, GitError> {
        self.git()
            .args([
                "format-patch",
                "-1",
                "--stdout",
                "--no-signature",
                commit.as_str(),
                "--",
            ])
            .run("format-patch")
    }

    fn branch_tip(&self, branch: &str) -> Result<String, GitError> {
        let spec = format!("refs/heads/{branch}^{{commit}}");
        self.git()
            .args(["rev-parse", "--verify", "--quiet", &spec])
            .run("rev-parse")
            .map(|s| s.trim().to_string())
            .map_err(|_| GitError::NoBranch(branch.to_string()))
    }

    /// Applies `commits` (the case's current fix commits, oldest first)
    /// onto the last release tag of every release branch.
    pub fn plan(
        &self,
        repo: &FixRepository,
        commits: &[CommitId],
    ) -> Result<CherryPickPlan, GitError> {
        let branches = repo
            .release_branches
            .iter()
            .map(|b| self.plan_branch(repo, commits, b))
            .collect::<Result<_, _>>()?;
        Ok(CherryPickPlan {
            commits: commits.to_vec(),
            branches,
        })
    }

    /// One branch's plan. What the branch itself lacks (the branch, a
    /// release tag) is a `Failed` outcome; git failing is an error.
    fn plan_branch(
        &self,
        repo: &FixRepository,
        commits: &[CommitId],
        branch: &str,
    ) -> Result<BranchPlan, GitError> {
        let failed = |tag: Option<String>, reason: String| BranchPlan {
            branch: branch.to_string(),
            tag,
            outcome: PlanOutcome::Failed { reason },
        };
        if self.branch_tip(branch).is_err() {
            return Ok(failed(
                None,
                format!("no branch {branch} in the fix repository"),
            ));
        }
        let Some(tag) = self.last_tag(branch, &repo.tag_pattern)? else {
            return Ok(failed(
                None,
                format!("no release tag matching {} on {branch}", repo.tag_pattern),
            ));
        };
        let planned = |outcome| BranchPlan {
            branch: branch.to_string(),
            tag: Some(tag.clone()),
            outcome,
        };
        let needed = self.not_in(&tag, commits)?;
        if needed.is_empty() {
            return Ok(planned(PlanOutcome::AlreadyContains));
        }
        let scratch = Scratch::add(self, &tag)?;
        for commit in &needed {
            if let Some(files) = scratch.cherry_pick(commit)? {
                return Ok(planned(PlanOutcome::Conflicts {
                    commit: commit.clone(),
                    files,
                }));
            }
        }
        let range = format!("refs/tags/{tag}..HEAD");
        let picked = scratch
            .git()
            .args(["rev-list", "--reverse", &range, "--"])
            .run("rev-list")?;
        let picked = picked
            .lines()
            .map(|l| l.parse().map_err(|e| GitError::Output(format!("{e}"))))
            .collect::<Result<Vec<CommitId>, _>>()?;
        let patches = scratch
            .git()
            .args(["format-patch", "--stdout", "--no-signature", &range, "--"])
            .run("format-patch")?;
        Ok(planned(PlanOutcome::Clean {
            commits: picked,
            sha256: sha256_hex(patches.as_bytes()),
            patches: Secret::new(patches),
        }))
    }

    /// The last tag matching `pattern` reachable from the branch.
    fn last_tag(&self, branch: &str, pattern: &str) -> Result<Option<String>, GitError> {
        let head = format!("refs/heads/{branch}");
        let found = self
            .git()
            .args([
                "describe",
                "--tags",
                "--abbrev=0",
                "--match",
                pattern,
                &head,
            ])
            .run("describe");
        Ok(found.ok().map(|t| t.trim().to_string()))
    }

    /// The commits whose change the tag does not already hold: neither an
    /// ancestor of it nor patch-equivalent (`git patch-id`) to a commit
    /// since their merge base.
    fn not_in(&self, tag: &str, commits: &[CommitId]) -> Result<Vec<CommitId>, GitError> {
        let mut needed = Vec::new();
        for commit in commits {
            let tag_ref = format!("refs/tags/{tag}");
            let contained = self
                .git()
                .args(["merge-base", "--is-ancestor", commit.as_str(), &tag_ref])
                .status("merge-base")?;
            if contained {
                continue;
            }
            // `git cherry UPSTREAM HEAD LIMIT` marks HEAD's commit with `-`
            // when UPSTREAM has an equivalent change.
            let parent = format!("{}^", commit.as_str());
            let limit = match self
                .git()
                .args(["rev-parse", "--verify", "--quiet", &parent])
                .status("rev-parse")?
            {
                true => vec![parent],
                false => vec![],
            };
            let mut args = vec!["cherry", tag_ref.as_str(), commit.as_str()];
            args.extend(limit.iter().map(String::as_str));
            let out = self.git().args(args).run("cherry")?;
            if !out.lines().any(|l| l.starts_with("- ")) {
                needed.push(commit.clone());
            }
        }
        Ok(needed)
    }
}

/// A detached worktree at a tag, removed when dropped.
struct Scratch<'m> {
    mirror: &'m Mirror,
    dir: tempfile::TempDir,
}

impl<'m> Scratch<'m> {
    fn add(mirror: &'m Mirror, tag: &str) -> Result<Scratch<'m>, GitError> {
        let parent = mirror.dir.join("scratch");
        private_dir(&parent)?;
        let dir = tempfile::Builder::new()
            .prefix("plan-")
            .tempdir_in(&parent)?;
        let path = dir.path().to_string_lossy().into_owned();
        let at = format!("refs/tags/{tag}^{{commit}}");
        mirror
            .git()
            .args([
                "worktree", "add", "--quiet", "--detach", "--force", &path, &at,
            ])
            .run("worktree add")?;
        Ok(Scratch { mirror, dir })
    }

    fn git(&self) -> Git<'_> {
        Git::new(self.dir.path(), self.mirror.timeout).worktree()
    }

    /// Applies one commit with its original committer date, so that the
    /// same commits on the same tag give the same ids (and patch set) on
    /// every recomputation. `Some(files)` when it conflicts.
    fn cherry_pick(&self, commit: &CommitId) -> Result<Option<Vec<String>>, GitError> {
        let date = self
            .git()
            .args(["log", "-1", "--format=%cI", commit.as_str(), "--"])
            .run("log")?;
        let picked = self
            .git()
            .env("GIT_COMMITTER_DATE", date.trim())
            .args(["cherry-pick", "-x", "--allow-empty", commit.as_str()])
            .run("cherry-pick");
        let err = match picked {
            Ok(_) => return Ok(None),
            Err(e) => e,
        };
        let files = self
            .git()
            .args(["diff", "--name-only", "--diff-filter=U"])
            .run("diff")?;
        let files: Vec<String> = files.lines().map(str::to_string).collect();
        if files.is_empty() {
            return Err(err);
        }
        Ok(Some(files))
    }
}

impl Drop for Scratch<'_> {
    fn drop(&mut self) {
        let path = self.dir.path().to_string_lossy().into_owned();
        // Best effort: a leftover worktree is pruned by the next one.
        let _ = self
            .mirror
            .git()
            .args(["worktree", "remove", "--force", "--force", &path])
            .run("worktree remove");
        let _ = self.mirror.git().args(["worktree", "prune"]).run("prune");
    }
}

/// Lower-case hex SHA-256, as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A directory only psirt's user may enter.
fn private_dir(dir: &Path) -> Result<(), GitError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    Ok(())
}
