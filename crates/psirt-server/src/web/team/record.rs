//! The case page's "Advisory record" section: the record's facts as they
//! stand now (the forms that edit them are among the actions; each edit
//! is on the timeline).

use super::*;

/// The record as it stands, shown next to the forms that edit it.
pub(super) fn section(record: &psirt_core::Record) -> Markup {
    html! {
        section #record aria-labelledby="record-title" {
            h2 #record-title { "Advisory record" }
            p.hint { "The public facts every advisory format is rendered from. Last edited: "
                @match record.modified_at { Some(t) => (time(t)), None => "never" } "." }
            dl.facts {
                dt { "Title" } dd #record-advisory-title { (record.title.as_deref().unwrap_or("not set (the report's summary stands in)")) }
                dt { "Description" } dd #record-description { (record.description.as_deref().unwrap_or("not set")) }
                dt { "Impact" } dd #record-impact { (record.impact.as_deref().unwrap_or("not set")) }
                dt { "Aliases" } dd #record-aliases { @if record.aliases.is_empty() { "none" } @else { (record.aliases.join(", ")) } }
            }
            h3 #record-products-title { "Affected products" }
            @if record.products.is_empty() {
                p #record-products { "None yet." }
            } @else {
                div.scroll {
                table #record-products aria-labelledby="record-products-title" {
                    (crate::web::column_heads(&["Package", "Ecosystem", "purl", "Affected versions", "Release branches"]))
                    tbody {
                        @for p in &record.products {
                            tr {
                                td { code { (p.package) } }
                                td { (p.ecosystem) }
                                td { @if let Some(purl) = &p.purl { code { (purl.to_string()) } } @else { "—" } }
                                td { ul { @for r in &p.ranges { li { code { (r.to_string()) } @if let Some(repo) = &r.repo { " in " code { (repo) } } } } } }
                                td { @if p.branches.is_empty() { "—" } @else { (p.branches.join(", ")) } }
                            }
                        }
                    }
                }
                }
            }
            h3 { "Weaknesses" }
            @if record.weaknesses.is_empty() {
                p #record-weaknesses { "None yet." }
            } @else {
                ul #record-weaknesses { @for w in &record.weaknesses { li { (w.cwe.to_string()) ": " (w.name) } } }
            }
            h3 { "References" }
            @if record.references.is_empty() {
                p #record-references { "None yet." }
            } @else {
                ul #record-references {
                    @for r in &record.references {
                        li { (r.kind.as_str().replace('_', " ")) ": " a href=(r.url) rel="noopener noreferrer" { (r.url) } }
                    }
                }
            }
        }
    }
}
