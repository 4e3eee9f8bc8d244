//! The case's steps on GitHub, as the process sees them: the
//! forthcoming-fix issue in the project's public repository (the seed:
//! "the Fix Lead will create a github issue in the project"), the draft
//! repository security advisory whose collaborators are the Fix Team (the
//! seed: "the Fix Lead will get the Fix Team access to private security
//! repos"), and on release the advisory published and that access revoked.
//!
//! This module never speaks to GitHub (`psirt-github` does); psirt's job
//! hands each result in as a command, and this decides what it means: the
//! issue's URL becomes one of the record's references, and a result that
//! is already recorded is refused, so that a retried job never records
//! twice.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::case::Case;
use crate::command::Command;
use crate::engine::{Refusal, Rule, invalid, link, text};
use crate::event::Change;
use crate::ids::GitHubLogin;
use crate::record::{RecordEdit, Reference, ReferenceKind};

/// The forthcoming-fix issue psirt opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GitHubIssue {
    pub number: u64,
    pub url: String,
}

/// The case's repository security advisory on GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubAdvisory {
    pub ghsa_id: String,
    pub url: String,
    /// The GitHub logins that may see and edit the draft now.
    pub collaborators: Vec<GitHubLogin>,
    pub published_at: Option<Timestamp>,
    /// When psirt last took everyone's access away (on release).
    pub revoked_at: Option<Timestamp>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitHubRule {
    /// The case already has its issue.
    IssueAlreadyRecorded,
    /// The result is the advisory psirt already recorded, unchanged.
    AdvisoryUnchanged,
    /// The advisory named is not the case's.
    NotTheCasesAdvisory,
    AlreadyPublished,
    /// Nobody has access to revoke.
    NothingToRevoke,
    /// Collaborators are the Fix Team's until the release, nobody's after.
    CollaboratorsAfterRelease,
    /// The advisory is published once the case is released.
    NotReleased,
}

impl fmt::Display for GitHubRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitHubRule::IssueAlreadyRecorded => {
                write!(f, "the case's forthcoming-fix issue is already recorded")
            }
            GitHubRule::AdvisoryUnchanged => {
                write!(
                    f,
                    "the GitHub advisory and its collaborators are already recorded"
                )
            }
            GitHubRule::NotTheCasesAdvisory => write!(f, "that GitHub advisory is not the case's"),
            GitHubRule::AlreadyPublished => write!(f, "the GitHub advisory is already published"),
            GitHubRule::NothingToRevoke => {
                write!(f, "nobody has access to the GitHub advisory to revoke")
            }
            GitHubRule::CollaboratorsAfterRelease => write!(
                f,
                "after the release nobody is given access to the GitHub advisory"
            ),
            GitHubRule::NotReleased => {
                write!(
                    f,
                    "the GitHub advisory is published when the case is released"
                )
            }
        }
    }
}

impl From<GitHubRule> for Refusal {
    fn from(rule: GitHubRule) -> Refusal {
        Refusal::Rule(Rule::GitHub(rule))
    }
}

/// A GHSA id: `GHSA-xxxx-xxxx-xxxx` in GitHub's alphabet.
fn ghsa_id(value: &str) -> Result<String, Refusal> {
    let groups: Vec<&str> = value.split('-').collect();
    let ok = groups.len() == 4
        && groups[0] == "GHSA"
        && groups[1..]
            .iter()
            .all(|g| g.len() == 4 && g.chars().all(|c| "23456789cfghjmpqrvwx".contains(c)));
    if !ok {
        return Err(invalid("ghsa_id", format!("{value:?} is not a GHSA id")));
    }
    Ok(value.to_string())
}

/// The logins in order, each once: comparing two lists is comparing sets.
fn logins(values: Vec<GitHubLogin>) -> Vec<GitHubLogin> {
    let set: std::collections::BTreeSet<GitHubLogin> = values.into_iter().collect();
    set.into_iter().collect()
}

pub(crate) fn decide(case: &Case, command: Command) -> Result<Vec<Change>, Refusal> {
    match command {
        Command::RecordGitHubIssue { number, url } => {
            if case.github_issue.is_some() {
                return Err(GitHubRule::IssueAlreadyRecorded.into());
            }
            if number == 0 {
                return Err(invalid("number", "must be positive"));
            }
            let url = link("url", &url, false)?;
            let mut changes = vec![Change::GitHubIssueCreated {
                number,
                url: url.clone(),
            }];
            // The issue is where users follow the fix: one of the record's
            // references, unless someone added it already.
            if !case.record.references.iter().any(|r| r.url == url) {
                changes.push(Change::RecordEdited(RecordEdit::AddReference(Reference {
                    kind: ReferenceKind::Issue,
                    url,
                })));
            }
            Ok(changes)
        }
        Command::RecordGitHubAdvisory {
            ghsa_id: id,
            url,
            collaborators,
        } => {
            let id = ghsa_id(&id)?;
            let url = link("url", &url, false)?;
            let collaborators = logins(collaborators);
            if case.release().is_some() && !collaborators.is_empty() {
                return Err(GitHubRule::CollaboratorsAfterRelease.into());
            }
            let mut changes = Vec::new();
            match &case.github_advisory {
                Some(a) if a.ghsa_id != id => {
                    return Err(GitHubRule::NotTheCasesAdvisory.into());
                }
                Some(a) if a.collaborators == collaborators => {
                    return Err(GitHubRule::AdvisoryUnchanged.into());
                }
                Some(_) => {}
                None => {
                    changes.push(Change::GitHubAdvisoryDrafted {
                        ghsa_id: id.clone(),
                        url,
                    });
                    // The GHSA id names the same vulnerability: an alias
                    // on the record (OSV and CVE exports list it).
                    if !case.record.aliases.contains(&id) {
                        changes.push(Change::RecordEdited(RecordEdit::AddAlias {
                            alias: id.clone(),
                        }));
                    }
                }
            }
            let before = case
                .github_advisory
                .as_ref()
                .map_or(&[][..], |a| &a.collaborators[..]);
            if before != collaborators {
                changes.push(Change::GitHubCollaboratorsSet {
                    ghsa_id: id,
                    logins: collaborators,
                });
            }
            Ok(changes)
        }
        Command::RecordGitHubAdvisoryPublished { ghsa_id: id } => {
            let advisory = the_cases(case, &id)?;
            if case.release().is_none() {
                return Err(GitHubRule::NotReleased.into());
            }
            if advisory.published_at.is_some() {
                return Err(GitHubRule::AlreadyPublished.into());
            }
            Ok(vec![Change::GitHubAdvisoryPublished { ghsa_id: id }])
        }
        Command::RecordGitHubAccessRevoked { ghsa_id: id } => {
            let advisory = the_cases(case, &id)?;
            if advisory.collaborators.is_empty() {
                return Err(GitHubRule::NothingToRevoke.into());
            }
            Ok(vec![Change::GitHubAccessRevoked {
                ghsa_id: id,
                logins: advisory.collaborators.clone(),
            }])
        }
        _ => unreachable!("github::decide is called for its own commands only"),
    }
}

fn the_cases<'a>(case: &'a Case, id: &str) -> Result<&'a GitHubAdvisory, Refusal> {
    let id = text("ghsa_id", id, 64)?;
    case.github_advisory
        .as_ref()
        .filter(|a| a.ghsa_id == id)
        .ok_or_else(|| GitHubRule::NotTheCasesAdvisory.into())
}

/// Folds the GitHub changes into the case.
pub(crate) fn apply(case: &mut Case, change: &Change, at: Timestamp) {
    match change {
        Change::GitHubIssueCreated { number, url } => {
            case.github_issue = Some(GitHubIssue {
                number: *number,
                url: url.clone(),
            })
        }
        Change::GitHubAdvisoryDrafted { ghsa_id, url } => {
            case.github_advisory = Some(GitHubAdvisory {
                ghsa_id: ghsa_id.clone(),
                url: url.clone(),
                collaborators: Vec::new(),
                published_at: None,
                revoked_at: None,
            })
        }
        Change::GitHubCollaboratorsSet { logins, .. } => {
            if let Some(a) = &mut case.github_advisory {
                a.collaborators = logins.clone();
            }
        }
        Change::GitHubAdvisoryPublished { .. } => {
            if let Some(a) = &mut case.github_advisory {
                a.published_at.get_or_insert(at);
            }
        }
        Change::GitHubAccessRevoked { .. } => {
            if let Some(a) = &mut case.github_advisory {
                a.collaborators.clear();
                a.revoked_at = Some(at);
            }
        }
        _ => {}
    }
}
