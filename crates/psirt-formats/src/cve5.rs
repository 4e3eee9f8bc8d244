//! CVE JSON 5.1: the CNA container of a published CVE record
//! (`cnaPublishedContainer`), as the CVE Services API takes it.
//!
//! Versions keep OSV's meaning: `version` is where a range starts,
//! `lessThan` where it is fixed, `lessThanOrEqual` the last affected
//! version; `defaultStatus` is `unaffected`, so only the ranges listed
//! are affected.

use jiff::Timestamp;
use psirt_core::{Case, RangeKind, ReferenceKind};
use psirt_cvss::Version;
use serde_json::{Value, json};

use crate::{
    ExportError, Publisher, credit_name, fixed_versions, modified, require, rfc3339, title,
};

pub fn render(
    case: &Case,
    publisher: &Publisher<'_>,
    now: Timestamp,
) -> Result<Value, ExportError> {
    let org_id = publisher.cna_org_id.filter(|id| is_uuid(id));
    require(
        case,
        "CVE JSON 5.1",
        &[(
            org_id.is_some(),
            "the CNA's orgId (a UUID, PSIRT_CNA_ORG_ID)",
        )],
    )?;
    let record = &case.record;
    let vector = case.cvss_final.expect("require: a final vector");
    let affected: Vec<Value> = record
        .products
        .iter()
        .map(|p| {
            let versions: Vec<Value> = p
                .ranges
                .iter()
                .map(|r| {
                    let version_type = match r.kind {
                        RangeKind::Semver => "semver",
                        RangeKind::Git => "git",
                        RangeKind::Ecosystem => "custom",
                    };
                    let mut v = json!({
                        "version": r.introduced,
                        "status": "affected",
                        "versionType": version_type,
                    });
                    match (&r.fixed, &r.last_affected) {
                        (Some(f), _) => v["lessThan"] = json!(f),
                        (None, Some(l)) => v["lessThanOrEqual"] = json!(l),
                        (None, None) => v["lessThanOrEqual"] = json!("*"),
                    }
                    v
                })
                .collect();
            let mut product = json!({
                "vendor": publisher.name,
                "product": p.package,
                "packageName": p.package,
                "defaultStatus": "unaffected",
                "versions": versions,
            });
            if let Some(repo) = p.ranges.iter().find_map(|r| r.repo.as_ref()) {
                product["repo"] = json!(repo);
            }
            product
        })
        .collect();
    let cvss = json!({
        "version": vector.version().as_str(),
        "vectorString": vector.to_string(),
        "baseScore": vector.base_score().as_f64(),
        "baseSeverity": vector.severity().to_string().to_ascii_uppercase(),
    });
    let metric = match vector.version() {
        Version::V3_0 => json!({"cvssV3_0": cvss}),
        Version::V3_1 => json!({"cvssV3_1": cvss}),
        Version::V4_0 => json!({"cvssV4_0": cvss}),
    };
    let mut references: Vec<Value> = Vec::new();
    let mut push = |tag: &str, url: &str| {
        if !references.iter().any(|r| r["url"] == url) {
            references.push(json!({"url": url, "tags": [tag]}));
        }
    };
    // The advisory's own page is always a reference: it is where psirt
    // publishes the record.
    push("vendor-advisory", &publisher.advisory_url(case));
    for c in &case.fix_commits {
        if let Some(url) = &c.url {
            push("patch", url);
        }
    }
    for r in &record.references {
        push(
            match r.kind {
                ReferenceKind::FixCommit | ReferenceKind::PullRequest => "patch",
                ReferenceKind::Issue | ReferenceKind::Report => "issue-tracking",
                ReferenceKind::Advisory => "vendor-advisory",
                ReferenceKind::Announcement => "release-notes",
                ReferenceKind::Web => "related",
            },
            &r.url,
        );
    }
    let problem_types: Vec<Value> = record
        .weaknesses
        .iter()
        .map(|w| {
            json!({"descriptions": [{
                "lang": "en",
                "type": "CWE",
                "cweId": w.cwe.as_str(),
                "description": format!("{} {}", w.cwe, w.name),
            }]})
        })
        .collect();
    let credits: Vec<Value> = case
        .credits
        .iter()
        .map(|c| {
            json!({
                "lang": "en",
                "value": credit_name(c),
                "type": c.kind.as_str().replace('_', " "),
            })
        })
        .collect();
    let description = record.description.clone().unwrap_or_default();
    let mut container = json!({
        "providerMetadata": {
            "orgId": org_id.expect("require: the orgId"),
            "dateUpdated": rfc3339(modified(case)),
        },
        "title": truncate(title(case), 256),
        "descriptions": [{"lang": "en", "value": truncate(&description, 4096)}],
        "affected": affected,
        "metrics": [metric],
        "references": references,
    });
    if !problem_types.is_empty() {
        container["problemTypes"] = json!(problem_types);
    }
    if let Some(impact) = &record.impact {
        container["impacts"] =
            json!([{"descriptions": [{"lang": "en", "value": truncate(impact, 4096)}]}]);
    }
    let fixed = fixed_versions(case);
    if !fixed.is_empty() {
        let value = format!("Upgrade to {}.", fixed.join(" or "));
        container["solutions"] = json!([{"lang": "en", "value": value}]);
    }
    if let Some(m) = &case.mitigation {
        container["workarounds"] = json!([{"lang": "en", "value": truncate(m, 4096)}]);
    }
    if !credits.is_empty() {
        container["credits"] = json!(credits);
    }
    if let Some(at) = psirt_core::public_at(case).filter(|t| *t <= now) {
        container["datePublic"] = json!(rfc3339(at));
    }
    Ok(container)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// A UUID as CVE JSON's `uuidType` writes it: 8-4-4-4-12 hexadecimal digits.
pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}
