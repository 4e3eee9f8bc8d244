//! OSV (schema 1.6): one vulnerability entry per case, in the shape of the
//! OSV schema's `validation/schema.json`.
//!
//! `affected[].ranges` keep OSV's own meaning (introduced / fixed /
//! last_affected events), `severity` carries the final CVSS vector,
//! `aliases` the CVE ids and the ids given elsewhere, and
//! `database_specific` the psirt reference.

use jiff::Timestamp;
use psirt_core::{Case, RangeKind, ReferenceKind};
use psirt_cvss::Version;
use serde_json::{Value, json};

use crate::{ExportError, credit_name, modified, require, rfc3339, title};

/// The OSV schema release the export follows (it uses `CVSS_V4`, from 1.6.2,
/// and the 1.6.4 ecosystems); the tests validate against that schema.
pub const SCHEMA_VERSION: &str = "1.6.7";

pub fn render(case: &Case, now: Timestamp) -> Result<Value, ExportError> {
    let record = &case.record;
    // OSV ids carry a registered home database's prefix, which psirt's
    // reference is not: the entry is the CVE's (or the GHSA's), and the
    // reference goes in `database_specific`.
    let id = case.cves.first().map(ToString::to_string).or_else(|| {
        record
            .aliases
            .iter()
            .find(|a| a.starts_with("GHSA-"))
            .cloned()
    });
    require(
        case,
        "OSV",
        &[(id.is_some(), "a CVE id or a GHSA alias (the OSV id)")],
    )?;
    let id = id.expect("require: an id");
    let vector = case.cvss_final.expect("require: a final vector");
    let severity_type = match vector.version() {
        Version::V3_0 | Version::V3_1 => "CVSS_V3",
        Version::V4_0 => "CVSS_V4",
    };
    let affected: Vec<Value> = record
        .products
        .iter()
        .map(|p| {
            let mut package = json!({"ecosystem": p.ecosystem, "name": p.package});
            if let Some(purl) = &p.purl {
                // OSV: the purl of the package, without a version.
                package["purl"] = json!(purl.package());
            }
            let ranges: Vec<Value> = p
                .ranges
                .iter()
                .map(|r| {
                    let mut events = vec![json!({"introduced": r.introduced})];
                    if let Some(f) = &r.fixed {
                        events.push(json!({"fixed": f}));
                    }
                    if let Some(l) = &r.last_affected {
                        events.push(json!({"last_affected": l}));
                    }
                    let mut range = json!({
                        "type": match r.kind {
                            RangeKind::Semver => "SEMVER",
                            RangeKind::Ecosystem => "ECOSYSTEM",
                            RangeKind::Git => "GIT",
                        },
                        "events": events,
                    });
                    if let Some(repo) = &r.repo {
                        range["repo"] = json!(repo);
                    }
                    range
                })
                .collect();
            let mut entry = json!({"package": package, "ranges": ranges});
            if !p.branches.is_empty() {
                entry["database_specific"] = json!({"release_branches": p.branches});
            }
            entry
        })
        .collect();
    let mut references: Vec<Value> = Vec::new();
    let mut push = |kind: &str, url: &str| {
        if !references.iter().any(|r| r["url"] == url) {
            references.push(json!({"type": kind, "url": url}));
        }
    };
    for c in &case.fix_commits {
        if let Some(url) = &c.url {
            push("FIX", url);
        }
    }
    for r in &record.references {
        push(
            match r.kind {
                ReferenceKind::FixCommit | ReferenceKind::PullRequest => "FIX",
                ReferenceKind::Issue | ReferenceKind::Report => "REPORT",
                ReferenceKind::Advisory => "ADVISORY",
                ReferenceKind::Announcement => "ARTICLE",
                ReferenceKind::Web => "WEB",
            },
            &r.url,
        );
    }
    let aliases: Vec<String> = case
        .cves
        .iter()
        .map(ToString::to_string)
        .chain(record.aliases.iter().cloned())
        .filter(|a| *a != id)
        .collect();
    let credits: Vec<Value> = case
        .credits
        .iter()
        .map(|c| json!({"name": credit_name(c), "type": c.kind.as_str().to_ascii_uppercase()}))
        .collect();
    let mut details = record.description.clone().unwrap_or_default();
    if let Some(impact) = &record.impact {
        details.push_str("\n\n## Impact\n\n");
        details.push_str(impact);
    }
    if let Some(m) = &case.mitigation {
        details.push_str("\n\n## Mitigation\n\n");
        details.push_str(m);
    }
    let mut entry = json!({
        "schema_version": SCHEMA_VERSION,
        "id": id,
        "modified": rfc3339(modified(case)),
        "summary": title(case),
        "details": details,
        "severity": [{"type": severity_type, "score": vector.to_string()}],
        "affected": affected,
        "database_specific": {"psirt_reference": case.reference.to_string()},
    });
    if let Some(at) = psirt_core::public_at(case).filter(|t| *t <= now) {
        entry["published"] = json!(rfc3339(at));
    }
    if !aliases.is_empty() {
        entry["aliases"] = json!(aliases);
    }
    if !references.is_empty() {
        entry["references"] = json!(references);
    }
    if !credits.is_empty() {
        entry["credits"] = json!(credits);
    }
    Ok(entry)
}
