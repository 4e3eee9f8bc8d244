//! The advisory record's current state as the API shows it: an explicit,
//! allow-listed view of `psirt_core::Record` (the timeline's
//! `record_edited` entries say how it got there).

use super::*;

/// The record's own facts as they stand now. The CVE ids, credits, final
/// CVSS vector and mitigations live elsewhere on the case and are shown
/// there, not copied here.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub products: Vec<AffectedProductView>,
    pub weaknesses: Vec<WeaknessView>,
    /// The advisory's public title; `null` until set (the report's summary
    /// stands in for it).
    pub title: Option<String>,
    /// The public description (Markdown).
    pub description: Option<String>,
    pub impact: Option<String>,
    pub references: Vec<ReferenceView>,
    /// Ids given elsewhere: GHSA, distribution trackers.
    pub aliases: Vec<String>,
    /// The record's last edit; `null` if it was never edited.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub modified_at: Option<Timestamp>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AffectedProductView {
    pub package: String,
    /// An OSV ecosystem (`Go`, `npm`, `PyPI`, `crates.io`, …).
    pub ecosystem: String,
    pub purl: Option<String>,
    pub ranges: Vec<VersionRangeView>,
    /// The release branches that need the fix.
    pub branches: Vec<String>,
}

/// Affected versions with OSV's meaning: from `introduced` up to `fixed`
/// (excluded) or `last_affected` (included); with neither, every later
/// version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionRangeView {
    /// `semver`, `ecosystem` or `git`.
    pub kind: &'static str,
    /// The repository's URL, for a `git` range.
    pub repo: Option<String>,
    pub introduced: String,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeaknessView {
    /// `CWE-<n>`.
    pub cwe: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReferenceView {
    /// `fix_commit`, `pull_request`, `issue`, `report`, `advisory`,
    /// `announcement` or `web`.
    pub kind: &'static str,
    pub url: String,
}

impl RecordView {
    pub fn new(r: &psirt_core::Record) -> RecordView {
        RecordView {
            products: r
                .products
                .iter()
                .map(|p| AffectedProductView {
                    package: p.package.clone(),
                    ecosystem: p.ecosystem.clone(),
                    purl: p.purl.as_ref().map(ToString::to_string),
                    ranges: p
                        .ranges
                        .iter()
                        .map(|v| VersionRangeView {
                            kind: v.kind.as_str(),
                            repo: v.repo.clone(),
                            introduced: v.introduced.clone(),
                            fixed: v.fixed.clone(),
                            last_affected: v.last_affected.clone(),
                        })
                        .collect(),
                    branches: p.branches.clone(),
                })
                .collect(),
            weaknesses: r
                .weaknesses
                .iter()
                .map(|w| WeaknessView {
                    cwe: w.cwe.to_string(),
                    name: w.name.clone(),
                })
                .collect(),
            title: r.title.clone(),
            description: r.description.clone(),
            impact: r.impact.clone(),
            references: r
                .references
                .iter()
                .map(|x| ReferenceView {
                    kind: x.kind.as_str(),
                    url: x.url.clone(),
                })
                .collect(),
            aliases: r.aliases.clone(),
            modified_at: r.modified_at,
        }
    }
}
