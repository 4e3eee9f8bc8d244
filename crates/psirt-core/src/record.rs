//! The advisory record: the public facts of a case that every advisory
//! format is rendered from (DESIGN §2a).
//!
//! The record is part of the case's fold: each edit is a
//! [`RecordEdit`], carried by [`crate::Command::EditRecord`] and stored as
//! [`crate::Change::RecordEdited`], so nothing is edited in place and the
//! timeline says who changed which fact and when. [`check_edit`] is the one
//! place that validates an edit (a bad purl, version range, CWE id or URL
//! is refused naming its field); [`Record::apply`] trusts what it folds.
//!
//! Several facts the formats need already live elsewhere on the case and
//! are not copied here: the CVE ids (`Case::cves`), the credits
//! (`Case::credits`, which the reporter's own choice feeds), the final
//! CVSS vector, the fix commits, and the mitigations (`Case::mitigation`,
//! the very field the forthcoming-fix notice carries). This module must
//! never know a wire format: OSV, CVE JSON and CSAF live in `psirt-formats`.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::engine::{Refusal, invalid, link, text, verbatim};
pub use crate::record_ids::{CweId, Purl, RecordValueError};

/// The record's own facts, folded from `record_edited` events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    pub products: Vec<AffectedProduct>,
    pub weaknesses: Vec<Weakness>,
    /// The advisory's public title; the report's summary until it is set.
    pub title: Option<String>,
    /// The public description (Markdown). The report's own details stay
    /// embargoed forever and never feed an advisory.
    pub description: Option<String>,
    pub impact: Option<String>,
    pub references: Vec<Reference>,
    pub aliases: Vec<String>,
    /// The last edit of the record.
    pub modified_at: Option<Timestamp>,
}

/// One affected package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedProduct {
    /// The package's name in its ecosystem (`github.com/coredns/coredns`).
    pub package: String,
    /// An OSV ecosystem (`Go`, `npm`, `PyPI`, `crates.io`, …).
    pub ecosystem: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<Purl>,
    pub ranges: Vec<VersionRange>,
    /// The release branches that need the fix.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub branches: Vec<String>,
}

/// How a range's versions are ordered, as OSV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RangeKind {
    /// Semantic versions (semver.org 2.0.0, no leading `v`).
    Semver,
    /// The ecosystem's own version order.
    Ecosystem,
    /// Commits of a git repository (`repo`).
    Git,
}

impl RangeKind {
    pub fn parse(s: &str) -> Option<RangeKind> {
        match s.to_ascii_lowercase().as_str() {
            "semver" => Some(RangeKind::Semver),
            "ecosystem" => Some(RangeKind::Ecosystem),
            "git" => Some(RangeKind::Git),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Semver => "semver",
            RangeKind::Ecosystem => "ecosystem",
            RangeKind::Git => "git",
        }
    }
}

/// Affected versions with OSV's meaning: from `introduced` (`0`: from the
/// beginning) up to but excluding `fixed`, or up to and including
/// `last_affected`; with neither, every later version is affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRange {
    pub kind: RangeKind,
    /// The repository's URL, for a `git` range.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    pub introduced: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
}

impl VersionRange {
    /// `introduced..fixed` (excluding) or `introduced..=last` (including),
    /// as the CLI and the case page write a range.
    pub fn parse(kind: RangeKind, repo: Option<String>, s: &str) -> Result<VersionRange, String> {
        let (introduced, fixed, last_affected) = if let Some((a, b)) = s.split_once("..=") {
            (a, None, Some(b))
        } else if let Some((a, b)) = s.split_once("..") {
            (a, Some(b).filter(|b| !b.is_empty()), None)
        } else {
            return Err(format!(
                "{s:?} is not a range: write INTRODUCED..FIXED, INTRODUCED..=LAST_AFFECTED or INTRODUCED.."
            ));
        };
        Ok(VersionRange {
            kind,
            repo,
            introduced: introduced.trim().to_string(),
            fixed: fixed.map(|f| f.trim().to_string()),
            last_affected: last_affected.map(|l| l.trim().to_string()),
        })
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}..", self.kind.as_str(), self.introduced)?;
        if let Some(fixed) = &self.fixed {
            write!(f, "{fixed}")?;
        }
        if let Some(last) = &self.last_affected {
            write!(f, "={last}")?;
        }
        Ok(())
    }
}

/// A weakness: a CWE id with its name as MITRE's list gives it (CSAF
/// requires both).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weakness {
    pub cwe: CweId,
    pub name: String,
}

/// What a reference is, as the advisory formats type them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    FixCommit,
    PullRequest,
    Issue,
    Report,
    Advisory,
    Announcement,
    Web,
}

impl ReferenceKind {
    pub const ALL: [ReferenceKind; 7] = [
        ReferenceKind::FixCommit,
        ReferenceKind::PullRequest,
        ReferenceKind::Issue,
        ReferenceKind::Report,
        ReferenceKind::Advisory,
        ReferenceKind::Announcement,
        ReferenceKind::Web,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::FixCommit => "fix_commit",
            ReferenceKind::PullRequest => "pull_request",
            ReferenceKind::Issue => "issue",
            ReferenceKind::Report => "report",
            ReferenceKind::Advisory => "advisory",
            ReferenceKind::Announcement => "announcement",
            ReferenceKind::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<ReferenceKind> {
        let s = s.replace('-', "_");
        ReferenceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub url: String,
}

/// One edit of the record. Lists are edited item by item so that two
/// people adding references at once do not overwrite each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "edit")]
pub enum RecordEdit {
    /// Adds the product, or replaces the one with the same package and
    /// ecosystem.
    SetProduct(AffectedProduct),
    RemoveProduct {
        package: String,
        ecosystem: String,
    },
    AddWeakness(Weakness),
    RemoveWeakness {
        cwe: CweId,
    },
    /// Sets the fields given; `None` leaves a field as it is.
    Describe {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        description: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        impact: Option<String>,
    },
    AddReference(Reference),
    RemoveReference {
        url: String,
    },
    /// An id given elsewhere: GHSA, a distribution's tracker.
    AddAlias {
        alias: String,
    },
    RemoveAlias {
        alias: String,
    },
}

impl Record {
    /// Folds one validated edit.
    pub fn apply(&mut self, edit: &RecordEdit, at: Timestamp) {
        self.modified_at = Some(at);
        match edit {
            RecordEdit::SetProduct(p) => {
                match self
                    .products
                    .iter_mut()
                    .find(|q| q.package == p.package && q.ecosystem == p.ecosystem)
                {
                    Some(q) => *q = p.clone(),
                    None => self.products.push(p.clone()),
                }
            }
            RecordEdit::RemoveProduct { package, ecosystem } => self
                .products
                .retain(|p| !(&p.package == package && &p.ecosystem == ecosystem)),
            RecordEdit::AddWeakness(w) => {
                self.weaknesses.retain(|v| v.cwe != w.cwe);
                self.weaknesses.push(w.clone());
            }
            RecordEdit::RemoveWeakness { cwe } => self.weaknesses.retain(|w| &w.cwe != cwe),
            RecordEdit::Describe {
                title,
                description,
                impact,
            } => {
                if let Some(t) = title {
                    self.title = Some(t.clone());
                }
                if let Some(d) = description {
                    self.description = Some(d.clone());
                }
                if let Some(i) = impact {
                    self.impact = Some(i.clone());
                }
            }
            RecordEdit::AddReference(r) => {
                self.references.retain(|q| q.url != r.url);
                self.references.push(r.clone());
            }
            RecordEdit::RemoveReference { url } => self.references.retain(|r| &r.url != url),
            RecordEdit::AddAlias { alias } => {
                if !self.aliases.contains(alias) {
                    self.aliases.push(alias.clone());
                }
            }
            RecordEdit::RemoveAlias { alias } => self.aliases.retain(|a| a != alias),
        }
    }
}

/// The instant the case's advisories become public: the public instant
/// the release was recorded for (which may lie ahead of the Release
/// command), or the end of the embargo agreed with distributors (or
/// upstream) if that comes first, as when the PST moved it forward after a
/// break. Before it nothing of the record is public; the one rule every
/// public URL, the held announcement and the publication job ask.
pub fn public_at(case: &crate::Case) -> Option<Timestamp> {
    let released = case.release().map(|r| r.public_at);
    let embargo = case.embargo_end();
    match (released, embargo) {
        (Some(r), Some(e)) => Some(r.min(e)),
        // An agreed embargo end publishes only what was released: before
        // the release there is no fixed version to point users to.
        (Some(r), None) => Some(r),
        (None, _) => None,
    }
}

/// The OSV ecosystems (OSV schema 1.6's list), optionally with a
/// `:suffix` such as `Debian:12`.
pub const ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Android",
    "Bioconductor",
    "Bitnami",
    "Chainguard",
    "ConanCenter",
    "CRAN",
    "crates.io",
    "Debian",
    "GHC",
    "GitHub Actions",
    "GIT",
    "Go",
    "Hackage",
    "Hex",
    "Linux",
    "Maven",
    "npm",
    "NuGet",
    "openSUSE",
    "OSS-Fuzz",
    "Packagist",
    "Photon OS",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "wolfi",
];

const SHORT: usize = 300;
const LONG: usize = 100_000;

/// Validates and normalises one edit against the record it applies to:
/// the only door into the record.
pub fn check_edit(record: &Record, edit: RecordEdit) -> Result<RecordEdit, Refusal> {
    Ok(match edit {
        RecordEdit::SetProduct(p) => RecordEdit::SetProduct(check_product(p)?),
        RecordEdit::RemoveProduct { package, ecosystem } => {
            if !record
                .products
                .iter()
                .any(|p| p.package == package && p.ecosystem == ecosystem)
            {
                return Err(invalid(
                    "package",
                    format!("{package} ({ecosystem}) is not an affected product of this case"),
                ));
            }
            RecordEdit::RemoveProduct { package, ecosystem }
        }
        RecordEdit::AddWeakness(w) => RecordEdit::AddWeakness(Weakness {
            name: one_line("cwe_name", &w.name)?,
            cwe: w.cwe,
        }),
        RecordEdit::RemoveWeakness { cwe } => {
            if !record.weaknesses.iter().any(|w| w.cwe == cwe) {
                return Err(invalid(
                    "cwe",
                    format!("{cwe} is not recorded on this case"),
                ));
            }
            RecordEdit::RemoveWeakness { cwe }
        }
        RecordEdit::Describe {
            title,
            description,
            impact,
        } => {
            if title.is_none() && description.is_none() && impact.is_none() {
                return Err(invalid(
                    "description",
                    "give at least one of title, description and impact",
                ));
            }
            RecordEdit::Describe {
                title: title.map(|t| one_line("title", &t)).transpose()?,
                description: description
                    .map(|d| text("description", &d, LONG))
                    .transpose()?,
                impact: impact.map(|i| text("impact", &i, LONG)).transpose()?,
            }
        }
        RecordEdit::AddReference(r) => RecordEdit::AddReference(Reference {
            kind: r.kind,
            url: link("url", &r.url, false)?,
        }),
        RecordEdit::RemoveReference { url } => {
            if !record.references.iter().any(|r| r.url == url) {
                return Err(invalid("url", "is not a reference of this case"));
            }
            RecordEdit::RemoveReference { url }
        }
        RecordEdit::AddAlias { alias } => RecordEdit::AddAlias {
            alias: check_alias(&alias)?,
        },
        RecordEdit::RemoveAlias { alias } => {
            if !record.aliases.contains(&alias) {
                return Err(invalid("alias", "is not an alias of this case"));
            }
            RecordEdit::RemoveAlias { alias }
        }
    })
}

fn one_line(field: &'static str, value: &str) -> Result<String, Refusal> {
    let value = verbatim(field, value, SHORT)?;
    if value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "must be one line, without control characters",
        ));
    }
    Ok(value)
}

fn check_product(p: AffectedProduct) -> Result<AffectedProduct, Refusal> {
    let package = one_line("package", &p.package)?;
    let ecosystem = p.ecosystem.trim().to_string();
    let base = ecosystem
        .split_once(':')
        .map_or(ecosystem.as_str(), |(b, _)| b);
    if !ECOSYSTEMS.contains(&base) {
        return Err(invalid(
            "ecosystem",
            format!(
                "{ecosystem:?} is not an OSV ecosystem (one of {})",
                ECOSYSTEMS.join(", ")
            ),
        ));
    }
    if p.ranges.is_empty() {
        return Err(invalid(
            "ranges",
            "an affected product needs at least one version range",
        ));
    }
    let ranges = p
        .ranges
        .into_iter()
        .map(check_range)
        .collect::<Result<Vec<_>, _>>()?;
    let branches = p
        .branches
        .iter()
        .map(|b| {
            let b = one_line("branches", b)?;
            if b.chars().any(char::is_whitespace) {
                return Err(invalid("branches", format!("{b:?} is not a branch name")));
            }
            Ok(b)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AffectedProduct {
        package,
        ecosystem,
        purl: p.purl,
        ranges,
        branches,
    })
}

fn check_range(r: VersionRange) -> Result<VersionRange, Refusal> {
    let version = |field: &'static str, v: &str| -> Result<String, Refusal> {
        let v = v.trim();
        if v.is_empty() {
            return Err(invalid(field, "must not be empty"));
        }
        if v.len() > 128 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(field, format!("{v:?} is not a version")));
        }
        let ok = match r.kind {
            // OSV: "0" stands for the beginning of time in every range type.
            _ if field == "ranges.introduced" && v == "0" => true,
            RangeKind::Semver => is_semver(v),
            RangeKind::Git => v.len() == 40 && v.bytes().all(|b| b.is_ascii_hexdigit()),
            RangeKind::Ecosystem => true,
        };
        if !ok {
            let what = match r.kind {
                RangeKind::Semver => "a semantic version such as 1.11.2 (semver.org, no leading v)",
                RangeKind::Git => "a full 40-digit commit id",
                RangeKind::Ecosystem => "a version",
            };
            return Err(invalid(field, format!("{v:?} is not {what}")));
        }
        Ok(v.to_ascii_lowercase_if(r.kind == RangeKind::Git))
    };
    if r.fixed.is_some() && r.last_affected.is_some() {
        return Err(invalid(
            "ranges",
            "a range ends with fixed or with last_affected, not both",
        ));
    }
    let repo = match (r.kind, r.repo) {
        (RangeKind::Git, Some(repo)) => Some(link("ranges.repo", &repo, false)?),
        (RangeKind::Git, None) => {
            return Err(invalid(
                "ranges.repo",
                "a git range needs the repository's URL",
            ));
        }
        (_, Some(_)) => {
            return Err(invalid("ranges.repo", "only a git range has a repository"));
        }
        (_, None) => None,
    };
    let introduced = version("ranges.introduced", &r.introduced)?;
    let fixed = r.fixed.map(|f| version("ranges.fixed", &f)).transpose()?;
    let last_affected = r
        .last_affected
        .map(|l| version("ranges.last_affected", &l))
        .transpose()?;
    if r.kind == RangeKind::Semver
        && introduced != "0"
        && let Some(end) = fixed.as_ref().or(last_affected.as_ref())
        && semver_cmp(end, &introduced) == std::cmp::Ordering::Less
    {
        return Err(invalid(
            "ranges",
            format!("the range ends ({end}) before it starts ({introduced})"),
        ));
    }
    Ok(VersionRange {
        kind: r.kind,
        repo,
        introduced,
        fixed,
        last_affected,
    })
}

trait LowerIf {
    fn to_ascii_lowercase_if(&self, yes: bool) -> String;
}

impl LowerIf for str {
    fn to_ascii_lowercase_if(&self, yes: bool) -> String {
        if yes {
            self.to_ascii_lowercase()
        } else {
            self.to_string()
        }
    }
}

fn check_alias(alias: &str) -> Result<String, Refusal> {
    let alias = alias.trim();
    let ok = !alias.is_empty()
        && alias.len() <= 100
        && alias.starts_with(|c: char| c.is_ascii_alphanumeric())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if !ok {
        return Err(invalid(
            "alias",
            format!("{alias:?} is not an advisory id (letters, digits and - _ . :)"),
        ));
    }
    if alias.starts_with("CVE-") {
        return Err(invalid(
            "alias",
            "a CVE id is recorded with the CVE command, not as an alias",
        ));
    }
    if let Some(rest) = alias.strip_prefix("GHSA-") {
        let parts: Vec<&str> = rest.split('-').collect();
        let ghsa = parts.len() == 3
            && parts.iter().all(|p| {
                p.len() == 4
                    && p.bytes()
                        .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            });
        if !ghsa {
            return Err(invalid(
                "alias",
                format!("{alias:?} is not a GHSA id (GHSA-xxxx-xxxx-xxxx, lower case)"),
            ));
        }
    }
    Ok(alias.to_string())
}

/// A semantic version per semver.org 2.0.0: `MAJOR.MINOR.PATCH`, an
/// optional `-pre.release` and `+build`, no leading zeros in numbers.
pub fn is_semver(v: &str) -> bool {
    let (rest, build) = match v.split_once('+') {
        Some((r, b)) => (r, Some(b)),
        None => (v, None),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let number = |n: &str| {
        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'))
    };
    let ident =
        |i: &str| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| number(p))
        && pre.is_none_or(|p| {
            p.split('.')
                .all(|i| ident(i) && (!i.bytes().all(|b| b.is_ascii_digit()) || number(i)))
        })
        && build.is_none_or(|b| b.split('.').all(ident))
}

/// Orders two semantic versions by their `MAJOR.MINOR.PATCH` and
/// pre-release (a pre-release sorts before its release).
fn semver_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |v: &str| {
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = v.split_once('-').unwrap_or((v, ""));
        let nums: Vec<u64> = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        (nums, pre.is_empty(), pre.to_string())
    };
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn edit(e: RecordEdit, expected: Expect) {
        let got = match check_edit(&Record::default(), e) {
            Ok(e) => format!("ok {e:?}"),
            Err(e) => format!("refused {e}"),
        };
        expected.assert_eq(&got);
    }

    fn product(kind: RangeKind, range: &str) -> RecordEdit {
        let repo =
            (kind == RangeKind::Git).then(|| "https://github.com/coredns/coredns".to_string());
        RecordEdit::SetProduct(AffectedProduct {
            package: "github.com/coredns/coredns".into(),
            ecosystem: "Go".into(),
            purl: None,
            ranges: vec![VersionRange::parse(kind, repo, range).unwrap()],
            branches: vec![],
        })
    }

    #[test]
    fn version_ranges_have_osv_meaning_and_are_checked() {
        edit(
            product(RangeKind::Semver, "1.9.0..1.11.2"),
            expect![[
                r#"ok SetProduct(AffectedProduct { package: "github.com/coredns/coredns", ecosystem: "Go", purl: None, ranges: [VersionRange { kind: Semver, repo: None, introduced: "1.9.0", fixed: Some("1.11.2"), last_affected: None }], branches: [] })"#
            ]],
        );
        edit(
            product(RangeKind::Semver, "0..=1.11.1"),
            expect![[
                r#"ok SetProduct(AffectedProduct { package: "github.com/coredns/coredns", ecosystem: "Go", purl: None, ranges: [VersionRange { kind: Semver, repo: None, introduced: "0", fixed: None, last_affected: Some("1.11.1") }], branches: [] })"#
            ]],
        );
        edit(
            product(RangeKind::Semver, "v1.9.0..1.11.2"),
            expect![[
                r#"refused ranges.introduced: "v1.9.0" is not a semantic version such as 1.11.2 (semver.org, no leading v)"#
            ]],
        );
        edit(
            product(RangeKind::Semver, "1.11.2..1.9.0"),
            expect!["refused ranges: the range ends (1.9.0) before it starts (1.11.2)"],
        );
        edit(
            product(RangeKind::Semver, "1.9..1.11.2"),
            expect![[
                r#"refused ranges.introduced: "1.9" is not a semantic version such as 1.11.2 (semver.org, no leading v)"#
            ]],
        );
        edit(
            product(RangeKind::Git, "0..abc"),
            expect![[r#"refused ranges.fixed: "abc" is not a full 40-digit commit id"#]],
        );
        edit(
            product(RangeKind::Ecosystem, "1.9.0.."),
            expect![[
                r#"ok SetProduct(AffectedProduct { package: "github.com/coredns/coredns", ecosystem: "Go", purl: None, ranges: [VersionRange { kind: Ecosystem, repo: None, introduced: "1.9.0", fixed: None, last_affected: None }], branches: [] })"#
            ]],
        );
        let mut bad = product(RangeKind::Semver, "1.0.0..1.0.1");
        if let RecordEdit::SetProduct(p) = &mut bad {
            p.ecosystem = "golang".into();
        }
        edit(
            bad,
            expect![[
                r#"refused ecosystem: "golang" is not an OSV ecosystem (one of AlmaLinux, Alpine, Android, Bioconductor, Bitnami, Chainguard, ConanCenter, CRAN, crates.io, Debian, GHC, GitHub Actions, GIT, Go, Hackage, Hex, Linux, Maven, npm, NuGet, openSUSE, OSS-Fuzz, Packagist, Photon OS, Pub, PyPI, Red Hat, Rocky Linux, RubyGems, SUSE, SwiftURL, Ubuntu, wolfi)"#
            ]],
        );
    }

    #[test]
    fn references_and_aliases_are_checked() {
        edit(
            RecordEdit::AddReference(Reference {
                kind: ReferenceKind::PullRequest,
                url: "github.com/coredns/coredns/pull/1".into(),
            }),
            expect![[r#"refused url: "github.com/coredns/coredns/pull/1" is not an http(s) URL"#]],
        );
        edit(
            RecordEdit::AddAlias {
                alias: "GHSA-abcd-1234-wxyz".into(),
            },
            expect![[r#"ok AddAlias { alias: "GHSA-abcd-1234-wxyz" }"#]],
        );
        edit(
            RecordEdit::AddAlias {
                alias: "GHSA-ABCD-1234".into(),
            },
            expect![[
                r#"refused alias: "GHSA-ABCD-1234" is not a GHSA id (GHSA-xxxx-xxxx-xxxx, lower case)"#
            ]],
        );
        edit(
            RecordEdit::AddAlias {
                alias: "CVE-2026-1234".into(),
            },
            expect!["refused alias: a CVE id is recorded with the CVE command, not as an alias"],
        );
        edit(
            RecordEdit::Describe {
                title: None,
                description: None,
                impact: None,
            },
            expect!["refused description: give at least one of title, description and impact"],
        );
    }
}
