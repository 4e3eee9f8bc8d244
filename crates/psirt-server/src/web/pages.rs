//! The page table: every HTML page as one row of (method, path, what it
//! needs, handler), and the pages' router built from those rows.
//!
//! What a page needs is checked by its handler's extractors: `WebSession`
//! and `WebForm` send a browser without a live session to the sign-in
//! page, `Visitor` lets anyone in. The column says which, and a test in
//! `tests/web.rs` calls every row without a session to hold the two
//! together. What a signed-in person may then do on a page is asked of
//! `psirt_core::authorize`, as in the API.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post};

use super::{STYLESHEET, advisories, distributors, invitations, public, reporter, team};
use crate::AppState;
use crate::attachments::REPORT_BODY_LIMIT;
use psirt_formats::feeds;

/// Who may open a page at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Anyone, signed in or not.
    Anyone,
    /// Whoever holds the page's private link (a status link or an
    /// invitation); an unknown link is a 404.
    Link,
    /// A live session; without one the browser is sent to sign in.
    SignedIn,
}

/// One page route.
#[derive(Clone, Copy)]
pub struct Page {
    pub method: &'static str,
    pub path: &'static str,
    pub needs: Needs,
    handler: fn() -> MethodRouter<AppState>,
}

/// Every page.
pub const PAGES: &[Page] = &[
    Page {
        method: "get",
        path: "/",
        needs: Needs::Anyone,
        handler: || get(public::policy),
    },
    Page {
        method: "get",
        path: "/advisories",
        needs: Needs::Anyone,
        handler: || get(advisories::list),
    },
    Page {
        method: "get",
        path: "/advisories/{file}",
        needs: Needs::Anyone,
        handler: || get(advisories::advisory),
    },
    Page {
        method: "get",
        path: "/advisories/osv/all.zip",
        needs: Needs::Anyone,
        handler: || get(advisories::osv_all),
    },
    Page {
        method: "get",
        path: feeds::ATOM_FEED_PATH,
        needs: Needs::Anyone,
        handler: || get(advisories::atom),
    },
    Page {
        method: "get",
        path: feeds::ROLIE_FEED_PATH,
        needs: Needs::Anyone,
        handler: || get(advisories::rolie),
    },
    Page {
        method: "get",
        path: feeds::PROVIDER_METADATA_PATH,
        needs: Needs::Anyone,
        handler: || get(advisories::provider_metadata),
    },
    Page {
        method: "get",
        path: "/.well-known/security.txt",
        needs: Needs::Anyone,
        handler: || get(advisories::security_txt),
    },
    Page {
        method: "get",
        path: "/calendar/{file}",
        needs: Needs::Link,
        handler: || get(advisories::calendar),
    },
    Page {
        method: "get",
        path: STYLESHEET,
        needs: Needs::Anyone,
        handler: || get(public::stylesheet),
    },
    Page {
        method: "get",
        path: "/report",
        needs: Needs::Anyone,
        handler: || get(reporter::report_form),
    },
    Page {
        method: "post",
        path: "/report",
        needs: Needs::Anyone,
        handler: || post(reporter::submit_report).layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
    },
    Page {
        method: "get",
        path: "/status/{token}",
        needs: Needs::Link,
        handler: || get(reporter::status),
    },
    Page {
        method: "post",
        path: "/status/{token}",
        needs: Needs::Link,
        handler: || post(reporter::status_action),
    },
    Page {
        method: "get",
        path: "/invitations/{token}",
        needs: Needs::Link,
        handler: || get(invitations::form),
    },
    Page {
        method: "post",
        path: "/invitations/{token}",
        needs: Needs::Link,
        handler: || post(invitations::accept),
    },
    Page {
        method: "get",
        path: "/signin",
        needs: Needs::Anyone,
        handler: || get(team::sign_in_form),
    },
    Page {
        method: "post",
        path: "/signin",
        needs: Needs::Anyone,
        handler: || post(team::sign_in),
    },
    Page {
        method: "post",
        path: "/signout",
        needs: Needs::SignedIn,
        handler: || post(team::sign_out),
    },
    Page {
        method: "post",
        path: "/signout/everywhere",
        needs: Needs::SignedIn,
        handler: || post(team::sign_out_everywhere),
    },
    Page {
        method: "get",
        path: "/cases",
        needs: Needs::SignedIn,
        handler: || get(team::dashboard),
    },
    Page {
        method: "get",
        path: "/cases/{reference}",
        needs: Needs::SignedIn,
        handler: || get(team::case_page),
    },
    Page {
        method: "post",
        path: "/cases/{reference}",
        needs: Needs::SignedIn,
        handler: || post(team::case_action),
    },
    Page {
        method: "get",
        path: "/cases/{reference}/attachments/{id}",
        needs: Needs::SignedIn,
        handler: || get(team::attachment),
    },
    Page {
        method: "post",
        path: "/cases/{reference}/mail/{kind}",
        needs: Needs::SignedIn,
        handler: || post(team::mail_action),
    },
    Page {
        method: "get",
        path: "/cases/{reference}/distributors",
        needs: Needs::SignedIn,
        handler: || get(distributors::team_case),
    },
    Page {
        method: "post",
        path: "/cases/{reference}/distributors",
        needs: Needs::SignedIn,
        handler: || post(distributors::team_case_action),
    },
    Page {
        method: "get",
        path: "/distributors/apply",
        needs: Needs::Anyone,
        handler: || get(distributors::application_form),
    },
    Page {
        method: "post",
        path: "/distributors/apply",
        needs: Needs::Anyone,
        handler: || post(distributors::application),
    },
    Page {
        method: "get",
        path: "/distributors",
        needs: Needs::SignedIn,
        handler: || get(distributors::portal),
    },
    Page {
        method: "post",
        path: "/distributors",
        needs: Needs::SignedIn,
        handler: || post(distributors::portal_action),
    },
    Page {
        method: "get",
        path: "/distributors/cases/{reference}",
        needs: Needs::SignedIn,
        handler: || get(distributors::case_notice),
    },
    Page {
        method: "post",
        path: "/distributors/cases/{reference}",
        needs: Needs::SignedIn,
        handler: || post(distributors::case_action),
    },
    Page {
        method: "get",
        path: "/distributors/admin",
        needs: Needs::SignedIn,
        handler: || get(distributors::admin),
    },
    Page {
        method: "get",
        path: "/distributors/admin/{org}",
        needs: Needs::SignedIn,
        handler: || get(distributors::admin_org),
    },
    Page {
        method: "post",
        path: "/distributors/admin/{org}",
        needs: Needs::SignedIn,
        handler: || post(distributors::admin_decision),
    },
];

/// The pages' router, one route per row.
pub(super) fn router() -> Router<AppState> {
    PAGES.iter().fold(Router::new(), |router, page| {
        router.route(page.path, (page.handler)())
    })
}
