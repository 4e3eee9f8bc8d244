//! The advisory wire formats, rendered from a case alone.
//!
//! This crate owns the shapes of OSV 1.6 ([`osv`]), the CVE JSON 5.1 CNA
//! published container ([`cve5`]), CSAF 2.0 `csaf_security_advisory`
//! ([`csaf`]) and the Markdown advisory ([`markdown`]). Each is a pure
//! function of a [`Case`], the [`Publisher`] (who issues the advisory) and
//! `now` (which decides whether the copy is still embargoed): no I/O, no
//! clock, no randomness, so the same case renders the same bytes on every
//! replica. It must never decide who may read an export (the store does,
//! through `authorize`) nor when a case is public (the core's
//! [`psirt_core::public_at`] does).
//!
//! The texts the seed asks for (the forthcoming-fix notice and the release
//! announcement) are written by the core's `notify` module, because the
//! outbox drafts are written in the core and the core cannot depend on
//! this crate; [`announcement`] re-exports them so one place renders every
//! public document.

use jiff::Timestamp;
use psirt_core::Case;

pub mod csaf;
pub mod cve5;
pub mod feeds;
pub mod holidays;
pub mod ical;
pub mod markdown;
pub mod osv;
pub mod security_txt;

/// The texts the seed asks for, written from the record by the core.
pub mod announcement {
    pub use psirt_core::{forthcoming_notice_text, release_announcement_text};
}

/// An advisory format psirt renders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Osv,
    Cve5,
    Csaf,
    Markdown,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Osv, Format::Cve5, Format::Csaf, Format::Markdown];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Osv => "osv",
            Format::Cve5 => "cve5",
            Format::Csaf => "csaf",
            Format::Markdown => "markdown",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Markdown => "text/markdown; charset=utf-8",
            _ => "application/json",
        }
    }
}

/// Who issues the advisory.
#[derive(Clone, Copy, Debug)]
pub struct Publisher<'a> {
    /// The project: the CVE record's vendor and CSAF's publisher name.
    pub name: &'a str,
    /// The instance's public base URL (`https://security.example.org`):
    /// CSAF's publisher namespace and the root of the advisory URLs.
    pub namespace: &'a str,
    /// The CNA's `orgId` (a UUID) that a CVE record names as its provider.
    pub cna_org_id: Option<&'a str>,
}

impl Publisher<'_> {
    /// Where the advisory of a case is published.
    pub fn advisory_url(&self, case: &Case) -> String {
        format!(
            "{}/advisories/{}",
            self.namespace.trim_end_matches('/'),
            case.reference
        )
    }
}

/// Why an export was refused: what the record still lacks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the {format} export needs {}", .missing.join(", "))]
    Missing {
        format: &'static str,
        missing: Vec<&'static str>,
    },
}

/// Renders one format.
pub fn export(
    case: &Case,
    format: Format,
    publisher: &Publisher<'_>,
    now: Timestamp,
) -> Result<String, ExportError> {
    let value = match format {
        Format::Osv => osv::render(case, now)?,
        Format::Cve5 => cve5::render(case, publisher, now)?,
        Format::Csaf => csaf::render(case, publisher, now)?,
        Format::Markdown => return markdown::render(case, publisher, now),
    };
    Ok(serde_json::to_string_pretty(&value).expect("a JSON value always serializes"))
}

/// Whether the copy rendered at `now` is still under embargo.
pub fn embargoed(case: &Case, now: Timestamp) -> bool {
    psirt_core::public_at(case).is_none_or(|t| now < t)
}

/// What every format needs: an affected product, the final vector and a
/// public description.
fn require(
    case: &Case,
    format: &'static str,
    extra: &[(bool, &'static str)],
) -> Result<(), ExportError> {
    let mut missing = Vec::new();
    if case.record.products.is_empty() {
        missing.push("an affected product");
    }
    if case.cvss_final.is_none() {
        missing.push("a final CVSS vector");
    }
    if case.record.description.is_none() {
        missing.push("a description");
    }
    missing.extend(extra.iter().filter(|(ok, _)| !ok).map(|(_, what)| *what));
    if missing.is_empty() {
        Ok(())
    } else {
        Err(ExportError::Missing { format, missing })
    }
}

/// The advisory's public title.
fn title(case: &Case) -> &str {
    case.record.title.as_deref().unwrap_or(&case.summary)
}

/// An instant as the JSON formats write it: RFC 3339 in UTC, to the second.
fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// When the record last changed: its last edit, or a later milestone
/// that the formats show (the final vector, the CVE, the release).
fn modified(case: &Case) -> Timestamp {
    [
        case.record.modified_at,
        case.cvss_final_at,
        case.release().map(|r| r.at),
        Some(case.reported_at),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(case.reported_at)
}

/// The fixed versions of the record, in order, without repeats.
fn fixed_versions(case: &Case) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in &case.record.products {
        for r in &p.ranges {
            if let Some(f) = &r.fixed
                && r.kind != psirt_core::RangeKind::Git
                && !out.contains(f)
            {
                out.push(f.clone());
            }
        }
    }
    out
}

/// The credit's name as the formats write it (OSV and CVE need a name).
fn credit_name(c: &psirt_core::Credit) -> String {
    c.name.clone().unwrap_or_else(|| "Anonymous".to_string())
}
