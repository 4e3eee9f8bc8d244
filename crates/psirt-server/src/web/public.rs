//! Pages for anyone: the security policy, generated from the project's
//! policy (the default project's on the instance's front page, which
//! also lists every project that publishes its policy) and the process
//! itself, and the stylesheet.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::{Site, Visitor, WebError, layout, ok};
use crate::AppState;

pub(super) async fn stylesheet() -> Response {
    let mut response = include_str!("psirt.css").into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// The seed's membership criteria for the private distributors list.
const CRITERIA: [&str; 7] = [
    "Be an active distributor of the project's components.",
    "Have a user base not limited to your own organization.",
    "Have a publicly verifiable track record up to present day of fixing security issues.",
    "Not be a downstream or rebuild of another distributor.",
    "Be a participant and active contributor in the community.",
    "Accept the embargo policy outlined above.",
    "Have someone already on the list vouch for the person requesting membership on behalf of your distribution.",
];

/// "7d" as "7 days".
fn spoken(d: psirt_core::Duration) -> String {
    let text = d.to_string();
    if text == "1d" {
        return "24 hours".into();
    }
    let (n, unit) = text.split_at(text.len() - 1);
    let unit = match (unit, n) {
        ("d", "1") => "day",
        ("d", _) => "days",
        ("h", "1") => "hour",
        ("h", _) => "hours",
        (_, "1") => "minute",
        _ => "minutes",
    };
    format!("{n} {unit}")
}

pub(super) async fn policy(
    State(state): State<AppState>,
    visitor: Visitor,
    site: Site,
) -> Result<Response, WebError> {
    let p = state.store.project_policy(&site.project).await?;
    // The front page lists the projects with pages of their own.
    let projects = match site.scoped {
        true => Vec::new(),
        false => state.store.published_projects().await?,
    };
    let named = match site.scoped {
        true => Some(state.store.project(&site.project).await?.name),
        false => None,
    };
    let low = f64::from(p.low_severity_below_tenths) / 10.0;
    let timelines = [
        ("We acknowledge your report", p.acknowledge_within),
        (
            "A Fix Lead is assigned and the Fix Team formed",
            p.fix_team_within,
        ),
        ("The vulnerability is scored with CVSS", p.cvss_within),
        ("A fix is developed and reviewed", p.fix_within),
        (
            "Users are told a fix is coming (with mitigations)",
            p.notice_within,
        ),
        (
            "Distributors are pre-notified, when the issue calls for it",
            p.distributors_within,
        ),
        ("The fix is released and announced", p.release_within),
    ];
    let body = html! {
        h1 { "Security policy" @if let Some(name) = &named { " of " (name) } }
        p.lead {
            "Security vulnerabilities should be handled quickly and sometimes privately. "
            "The goal of this process is to reduce the time users are vulnerable to publicly known exploits."
        }
        h2 { "How to report a vulnerability" }
        p {
            "Please do " strong { "not" } " file a public issue. Instead, "
            a href="/report" { "send your report privately with this form" } ". "
            "Security reports are greatly appreciated and we will publicly thank you for them, or keep you anonymous if you prefer."
        }
        p { "Please provide as much information as possible, so we can react quickly:" }
        ul {
            li { "the location and potential impact of the vulnerability;" }
            li { "the steps required to reproduce it (proof-of-concept scripts and packet captures help);" }
            li { "the affected versions, and anything else you think we need to find the source." }
        }
        p {
            "After sending you get a private status link: it shows where your report stands, "
            "the team's messages to you, and lets you answer and say how you want to be credited. "
            "Keep it secret; anyone with the link can read it."
        }
        p {
            "If you know of a vulnerability that is " strong { "already public" } ", report it the same way "
            "and tick \u{201c}already public\u{201d}: every deadline then becomes \u{201c}as soon as possible\u{201d}."
        }
        @if let Some(key) = &state.settings.openpgp {
            p #openpgp {
                "psirt signs what it sends with its OpenPGP key, fingerprint "
                code.fingerprint { (key.fingerprint) } ", published at "
                a href="/openpgp-key.asc" { "/openpgp-key.asc" } "."
                @if state.settings.instance_key.is_some() {
                    " You may encrypt your report to this key: paste the ASCII-armored message into the report form, "
                    "keeping the one-line summary in plain text."
                }
            }
        }
        h2 { "What we commit to" }
        p { "From the moment your report reaches us (for a private report):" }
        table {
            caption { "Timelines of the security release process" }
            (crate::web::column_heads(&["Step", "Within"]))
            tbody {
                @for (step, within) in timelines {
                    tr { td { (step) } td { (spoken(within)) } }
                }
            }
        }
        p {
            "A member of the Product Security Team leads each case as its Fix Lead; the role rotates. "
            "If the CVSS base score is below " (format!("{low:.1}")) " (low severity), the team may slow the "
            "process down, recording why. Issues that depend on another project's embargo follow that project's timeline."
        }
        h2 { "Private distributors list" }
        p {
            "Distributors can receive early, embargoed notice of a fix (typically for remotely exploitable or "
            "privilege-escalation issues) so their users get the fix on the day of the announcement. "
            "Embargoes last from " (spoken(p.min_embargo)) " to " (spoken(p.max_embargo)) "."
        }
        h3 { "Embargo policy" }
        p {
            "What members receive must not be made public, shared or hinted at beyond the need-to-know within their team, "
            "until the agreed disclosure time. A member who leaks must urgently tell the security team what leaked and to whom; "
            "repeated leaks lead to removal."
        }
        h3 { "Membership criteria" }
        p { "To join, your distribution should:" }
        ol {
            @for c in CRITERIA { li { (c) } }
        }
        h3 { "How to apply" }
        p {
            a href="/distributors/apply" { "Apply with the distributors list form" } ", "
            "stating how you fulfil each criterion above, naming the people who should receive the notices "
            "(each with their OpenPGP key) and the member of the list who vouches for you."
        }
        @if projects.len() > 1 {
            h2 { "Projects" }
            p { "Each project on this instance has its own security policy, report form and advisories:" }
            ul #projects {
                @for project in &projects {
                    li { a href=(format!("/p/{}/", project.slug)) { (project.name) } }
                }
            }
        }
    };
    Ok(ok(layout(
        "Security policy",
        visitor.signed_in.as_ref(),
        body,
    )))
}
