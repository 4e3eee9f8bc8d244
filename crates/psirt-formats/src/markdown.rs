//! The Markdown advisory: what a person reads on the project's site or in
//! a GitHub security advisory, from the same record as the JSON formats.

use std::fmt::Write as _;

use jiff::Timestamp;
use psirt_core::Case;

use crate::{ExportError, Publisher, embargoed, fixed_versions, modified, require, title};

pub fn render(
    case: &Case,
    publisher: &Publisher<'_>,
    now: Timestamp,
) -> Result<String, ExportError> {
    require(case, "Markdown", &[])?;
    let record = &case.record;
    let vector = case.cvss_final.expect("require: a final vector");
    let mut out = String::new();
    if embargoed(case, now) {
        out.push_str("> **EMBARGOED**: do not share before the embargo ends.\n\n");
    }
    let _ = writeln!(out, "# {}\n", title(case));
    let _ = writeln!(out, "- **Advisory:** {}", case.reference);
    for cve in &case.cves {
        let _ = writeln!(out, "- **CVE:** {cve}");
    }
    for alias in &record.aliases {
        let _ = writeln!(out, "- **Also known as:** {alias}");
    }
    let _ = writeln!(
        out,
        "- **Severity:** {} {} (`{vector}`)",
        vector.severity(),
        vector.base_score()
    );
    for w in &record.weaknesses {
        let _ = writeln!(out, "- **Weakness:** {} {}", w.cwe, w.name);
    }
    if let Some(at) = psirt_core::public_at(case).filter(|t| *t <= now) {
        let _ = writeln!(
            out,
            "- **Published:** {}",
            at.strftime("%Y-%m-%d %H:%M UTC")
        );
    } else if let Some(end) = case.embargo_end() {
        let _ = writeln!(
            out,
            "- **Embargo ends:** {}",
            end.strftime("%Y-%m-%d %H:%M UTC")
        );
    }
    let _ = writeln!(
        out,
        "- **Last updated:** {}",
        modified(case).strftime("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(
        out,
        "\n## Affected\n\n| Package | Ecosystem | Affected | Fixed |\n|---|---|---|---|"
    );
    for p in &record.products {
        for r in &p.ranges {
            let affected = match (&r.fixed, &r.last_affected) {
                (Some(f), _) => format!(">= {}, < {f}", r.introduced),
                (None, Some(l)) => format!(">= {}, <= {l}", r.introduced),
                (None, None) => format!(">= {}", r.introduced),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&p.package),
                cell(&p.ecosystem),
                cell(&affected),
                cell(r.fixed.as_deref().unwrap_or("none yet"))
            );
        }
    }
    let _ = writeln!(
        out,
        "\n## Description\n\n{}",
        record.description.as_deref().unwrap_or("").trim_end()
    );
    if let Some(impact) = &record.impact {
        let _ = writeln!(out, "\n## Impact\n\n{}", impact.trim_end());
    }
    let fixed = fixed_versions(case);
    if !fixed.is_empty() {
        let _ = writeln!(out, "\n## How to fix\n\nUpgrade to {}.", fixed.join(" or "));
    }
    if let Some(m) = &case.mitigation {
        let _ = writeln!(out, "\n## Mitigation\n\n{}", m.trim_end());
    }
    let links: Vec<String> = case
        .fix_commits
        .iter()
        .filter_map(|c| Some(format!("- Fix commit {}: <{}>", c.commit, c.url.as_ref()?)))
        .chain(
            record
                .references
                .iter()
                .map(|r| format!("- {}: <{}>", r.kind.as_str().replace('_', " "), r.url)),
        )
        .collect();
    if !links.is_empty() {
        let _ = writeln!(out, "\n## References\n\n{}", links.join("\n"));
    }
    let credits = psirt_core::credit_lines(case);
    if !credits.is_empty() {
        out.push_str("\n## Credits\n\n");
        for line in credits {
            let _ = writeln!(out, "- {line}");
        }
    }
    let _ = writeln!(
        out,
        "\n---\nPublished by {} at <{}>.",
        publisher.name,
        publisher.advisory_url(case)
    );
    Ok(out)
}

/// A table cell: no pipe or line break can escape it.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
