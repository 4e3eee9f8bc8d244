//! The publication feeds: an Atom feed of the published advisories, the
//! CSAF provider's `provider-metadata.json` and its ROLIE feed, and the
//! file names OSV's bulk convention uses. Pure like the rest of the crate:
//! the caller passes the published cases and the instant.

use std::fmt::Write as _;

use jiff::Timestamp;
use psirt_core::Case;
use serde_json::{Value, json};

use crate::{Publisher, modified, rfc3339, title};

/// Where the provider metadata lives (CSAF 2.0 §7.1.1, requirement 9).
pub const PROVIDER_METADATA_PATH: &str = "/.well-known/csaf/provider-metadata.json";
/// The ROLIE feed of the public (TLP:WHITE) CSAF documents.
pub const ROLIE_FEED_PATH: &str = "/advisories/csaf/feed-tlp-white.json";
pub const ATOM_FEED_PATH: &str = "/advisories/feed.atom";

fn base<'a>(publisher: &'a Publisher<'_>) -> &'a str {
    publisher.namespace.trim_end_matches('/')
}

/// The public URL of one format of a case's advisory.
pub fn file_url(publisher: &Publisher<'_>, case: &Case, suffix: &str) -> String {
    format!("{}{suffix}", publisher.advisory_url(case))
}

fn published(case: &Case) -> Timestamp {
    psirt_core::public_at(case).unwrap_or(case.reported_at)
}

/// An Atom feed (RFC 4287), the most recently published first.
pub fn atom(cases: &[Case], publisher: &Publisher<'_>, now: Timestamp) -> String {
    let updated = cases.iter().map(modified).max().unwrap_or(now);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        out,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>{base}{ATOM_FEED_PATH}</id>\n  \
         <title>{} security advisories</title>\n  <updated>{}</updated>\n  \
         <link rel=\"self\" href=\"{base}{ATOM_FEED_PATH}\"/>\n  \
         <link rel=\"alternate\" href=\"{base}/advisories\"/>\n  <author><name>{}</name></author>",
        xml(publisher.name),
        rfc3339(updated),
        xml(publisher.name),
        base = xml(base(publisher)),
    );
    for case in cases {
        let url = xml(&publisher.advisory_url(case));
        let mut summary = title(case).to_string();
        for cve in &case.cves {
            let _ = write!(summary, " ({cve})");
        }
        let _ = writeln!(
            out,
            "  <entry>\n    <id>{url}</id>\n    <title>{}: {}</title>\n    <published>{}</published>\n    \
             <updated>{}</updated>\n    <link rel=\"alternate\" href=\"{url}\"/>\n    <summary>{}</summary>\n  </entry>",
            case.reference,
            xml(title(case)),
            rfc3339(published(case)),
            rfc3339(modified(case).max(published(case))),
            xml(&summary),
        );
    }
    out.push_str("</feed>\n");
    out
}

/// CSAF 2.0 provider metadata for a `csaf_provider` whose public
/// documents are listed in one ROLIE feed.
pub fn provider_metadata(
    cases: &[Case],
    publisher: &Publisher<'_>,
    openpgp: Option<(&str, &str)>,
    now: Timestamp,
) -> Value {
    let updated = cases.iter().map(modified).max().unwrap_or(now);
    let mut metadata = json!({
        "canonical_url": format!("{}{PROVIDER_METADATA_PATH}", base(publisher)),
        "distributions": [{"rolie": {"feeds": [{
            "summary": format!("{} public advisories", publisher.name),
            "tlp_label": "WHITE",
            "url": format!("{}{ROLIE_FEED_PATH}", base(publisher)),
        }]}}],
        "last_updated": rfc3339(updated),
        "list_on_CSAF_aggregators": true,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": true,
        "publisher": {
            "category": "vendor",
            "name": publisher.name,
            "namespace": base(publisher),
        },
        "role": "csaf_provider",
    });
    if let Some((fingerprint, url)) = openpgp {
        metadata["public_openpgp_keys"] = json!([{"fingerprint": fingerprint, "url": url}]);
    }
    metadata
}

/// The ROLIE feed (RFC 8322) of the published CSAF documents.
pub fn rolie(cases: &[Case], publisher: &Publisher<'_>, now: Timestamp) -> Value {
    let updated = cases.iter().map(modified).max().unwrap_or(now);
    let entries: Vec<Value> = cases
        .iter()
        .map(|case| {
            let url = file_url(publisher, case, ".csaf.json");
            json!({
                "id": case.reference.to_string(),
                "title": title(case),
                "link": [{"rel": "self", "href": url}],
                "published": rfc3339(published(case)),
                "updated": rfc3339(modified(case).max(published(case))),
                "content": {"type": "application/json", "src": url},
                "format": {
                    "schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json",
                    "version": "2.0",
                },
            })
        })
        .collect();
    json!({"feed": {
        "id": format!("{}-advisories-tlp-white", publisher.name),
        "title": format!("{} public CSAF advisories", publisher.name),
        "link": [{"rel": "self", "href": format!("{}{ROLIE_FEED_PATH}", base(publisher))}],
        "category": [{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}],
        "updated": rfc3339(updated),
        "entry": entries,
    }})
}

/// Text escaped for XML content and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most control characters at all.
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}
