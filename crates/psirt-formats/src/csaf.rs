//! CSAF 2.0, profile `csaf_security_advisory`.
//!
//! The product tree has, per affected package, one product for each
//! affected version range (`product_version_range`, a `vers:` string) and
//! one for each fixed version (`product_version`), each with its purl in
//! `product_identification_helper`. The distribution's TLP label is AMBER
//! while the case is under embargo (the distributors' copy) and WHITE once
//! it is public: CSAF 2.0 names TLP 1.0's labels, where WHITE is what TLP
//! 2.0 calls CLEAR. CSAF 2.0 scores CVSS v2 and v3 only, so a final v4.0
//! vector is named in a note instead of a score.

use jiff::Timestamp;
use psirt_core::{Case, RangeKind, VersionRange};
use psirt_cvss::Version;
use serde_json::{Value, json};

use crate::{ExportError, Publisher, embargoed, fixed_versions, modified, require, rfc3339, title};

pub fn render(
    case: &Case,
    publisher: &Publisher<'_>,
    now: Timestamp,
) -> Result<Value, ExportError> {
    require(case, "CSAF 2.0", &[])?;
    let record = &case.record;
    let vector = case.cvss_final.expect("require: a final vector");
    let embargoed = embargoed(case, now);
    let mut affected_ids: Vec<String> = Vec::new();
    let mut fixed_ids: Vec<String> = Vec::new();
    let product_branches: Vec<Value> = record
        .products
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut branches = Vec::new();
            for (j, r) in p.ranges.iter().enumerate() {
                let id = format!("CSAFPID-{}-{}", i + 1, j + 1);
                let name = vers(p.purl.as_ref(), r);
                let mut product =
                    json!({"name": format!("{} {}", p.package, name), "product_id": id});
                if let Some(purl) = &p.purl {
                    product["product_identification_helper"] = json!({"purl": purl.package()});
                }
                branches.push(
                    json!({"category": "product_version_range", "name": name, "product": product}),
                );
                affected_ids.push(id);
                if let Some(fixed) = r.fixed.as_ref().filter(|_| r.kind != RangeKind::Git) {
                    let id = format!("CSAFPID-{}-{}-FIXED", i + 1, j + 1);
                    let mut product =
                        json!({"name": format!("{} {fixed}", p.package), "product_id": id});
                    if let Some(purl) = &p.purl {
                        product["product_identification_helper"] =
                            json!({"purl": format!("{}@{}", purl.package(), purl_version(fixed))});
                    }
                    branches.push(
                        json!({"category": "product_version", "name": fixed, "product": product}),
                    );
                    fixed_ids.push(id);
                }
            }
            json!({"category": "product_name", "name": p.package, "branches": branches})
        })
        .collect();
    let product_tree = json!({"branches": [{
        "category": "vendor",
        "name": publisher.name,
        "branches": product_branches,
    }]});

    let advisory_url = publisher.advisory_url(case);
    let mut references = vec![json!({
        "category": "self",
        "summary": format!("The {} advisory {}", publisher.name, case.reference),
        "url": advisory_url,
    })];
    for c in &case.fix_commits {
        if let Some(url) = &c.url {
            references.push(json!({"category": "external", "summary": format!("Fix commit {}", c.commit), "url": url}));
        }
    }
    for r in &record.references {
        if !references.iter().any(|q| q["url"] == r.url.as_str()) {
            references.push(json!({"category": "external", "summary": r.kind.as_str().replace('_', " "), "url": r.url}));
        }
    }

    let mut notes = vec![json!({"category": "summary", "title": "Summary", "text": title(case)})];
    notes.push(json!({"category": "description", "title": "Description", "text": record.description.clone().unwrap_or_default()}));
    if let Some(impact) = &record.impact {
        notes.push(json!({"category": "general", "title": "Impact", "text": impact}));
    }
    if vector.version() == Version::V4_0 {
        notes.push(json!({"category": "other", "title": "CVSS v4.0", "text": format!("{} {} ({vector})", vector.base_score(), vector.severity())}));
    }

    let mut remediations = Vec::new();
    let fixed = fixed_versions(case);
    if !fixed.is_empty() {
        remediations.push(json!({
            "category": "vendor_fix",
            "details": format!("Upgrade to {}.", fixed.join(" or ")),
            "product_ids": affected_ids,
            "url": advisory_url,
        }));
    }
    if let Some(m) = &case.mitigation {
        remediations
            .push(json!({"category": "mitigation", "details": m, "product_ids": affected_ids}));
    }
    let mut product_status = json!({"known_affected": affected_ids});
    if !fixed_ids.is_empty() {
        product_status["fixed"] = json!(fixed_ids);
    }
    let scores = match vector.version() {
        Version::V3_0 | Version::V3_1 => json!([{
            "products": affected_ids,
            "cvss_v3": {
                "version": vector.version().as_str(),
                "vectorString": vector.to_string(),
                "baseScore": vector.base_score().as_f64(),
                "baseSeverity": vector.severity().to_string().to_ascii_uppercase(),
            },
        }]),
        Version::V4_0 => json!([]),
    };
    let acknowledgments: Vec<Value> = psirt_core::credit_lines(case)
        .into_iter()
        .map(|line| json!({"summary": line}))
        .collect();
    let ids: Vec<Value> = record
        .aliases
        .iter()
        .map(|a| {
            let system = a.split(['-', ':']).next().unwrap_or(a);
            json!({"system_name": system, "text": a})
        })
        .collect();
    let vulnerability = |cve: Option<&psirt_core::CveId>| {
        let mut v = json!({
            "title": title(case),
            "notes": [{"category": "description", "title": "Description", "text": record.description.clone().unwrap_or_default()}],
            "product_status": product_status,
        });
        if !remediations.is_empty() {
            v["remediations"] = json!(remediations);
        }
        if let Some(cve) = cve {
            v["cve"] = json!(cve.as_str());
        }
        if let Some(w) = record.weaknesses.first() {
            // CSAF 2.0 has one CWE per vulnerability: the first recorded.
            v["cwe"] = json!({"id": w.cwe.as_str(), "name": w.name});
        }
        if scores.as_array().is_some_and(|s| !s.is_empty()) {
            v["scores"] = scores.clone();
        }
        if !ids.is_empty() {
            v["ids"] = json!(ids);
        }
        if !acknowledgments.is_empty() {
            v["acknowledgments"] = json!(acknowledgments);
        }
        if let Some(at) = psirt_core::public_at(case) {
            v["release_date"] = json!(rfc3339(at));
        }
        v
    };
    let vulnerabilities: Vec<Value> = if case.cves.is_empty() {
        vec![vulnerability(None)]
    } else {
        case.cves.iter().map(|c| vulnerability(Some(c))).collect()
    };

    let initial = psirt_core::public_at(case)
        .filter(|t| *t <= now)
        .unwrap_or_else(|| modified(case));
    let current = initial.max(modified(case));
    let (label, text) = if embargoed {
        (
            "AMBER",
            "EMBARGOED: for the notified distributors' security teams only, until the embargo ends.",
        )
    } else {
        ("WHITE", "Public.")
    };
    let document = json!({
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "title": title(case),
        "lang": "en",
        "publisher": {
            "category": "vendor",
            "name": publisher.name,
            "namespace": publisher.namespace.trim_end_matches('/'),
        },
        "distribution": {"text": text, "tlp": {"label": label, "url": "https://www.first.org/tlp/"}},
        "aggregate_severity": {"text": vector.severity().to_string()},
        "notes": notes,
        "references": references,
        "tracking": {
            "id": case.reference.to_string(),
            "status": if embargoed { "interim" } else { "final" },
            "version": "1",
            "initial_release_date": rfc3339(initial),
            "current_release_date": rfc3339(current),
            "revision_history": [{"date": rfc3339(initial), "number": "1", "summary": "Initial version."}],
            "generator": {"engine": {"name": "psirt", "version": env!("CARGO_PKG_VERSION")}},
        },
    });
    Ok(
        json!({"document": document, "product_tree": product_tree, "vulnerabilities": vulnerabilities}),
    )
}

/// A range as a `vers:` string (the purl spec's version range
/// specifier), or in words for a git range, which vers cannot express.
fn vers(purl: Option<&psirt_core::Purl>, r: &VersionRange) -> String {
    if r.kind == RangeKind::Git {
        let end = match (&r.fixed, &r.last_affected) {
            (Some(f), _) => format!(" before commit {f}"),
            (None, Some(l)) => format!(" up to commit {l}"),
            (None, None) => String::new(),
        };
        return format!("commits from {}{end}", r.introduced);
    }
    let scheme = match r.kind {
        RangeKind::Semver => "semver".to_string(),
        _ => purl
            .and_then(|p| p.as_str().strip_prefix("pkg:")?.split('/').next())
            .unwrap_or("generic")
            .to_string(),
    };
    let mut constraints = Vec::new();
    if r.introduced != "0" {
        constraints.push(format!(">={}", r.introduced));
    }
    match (&r.fixed, &r.last_affected) {
        (Some(f), _) => constraints.push(format!("<{f}")),
        (None, Some(l)) => constraints.push(format!("<={l}")),
        (None, None) if constraints.is_empty() => constraints.push("*".to_string()),
        (None, None) => {}
    }
    format!("vers:{scheme}/{}", constraints.join("|"))
}

/// A version as a purl writes it: percent-encoded where it must be.
fn purl_version(v: &str) -> String {
    v.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' | '~' => c.to_string(),
            other => format!("%{:02X}", other as u32),
        })
        .collect()
}
