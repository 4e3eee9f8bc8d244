//! The route table: every API route as one row of (method, path, door,
//! handler), and the router built from those rows.
//!
//! The rows are the router: [`router`] adds each row's handler and, in
//! front of it, the row's [`Door`], so a route without a row cannot exist
//! and a row cannot say one thing while its handler does another. The
//! OpenAPI description comes from the same handlers (utoipa), and a test
//! checks that each row's method and path are its handler's. Instance
//! operations are asked of `psirt_core::authorize_instance` here, before
//! the handler runs; case (and organisation) operations need the case the
//! store loads, so the store asks `psirt_core::authorize` with it.

use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use psirt_core::{Operation, Standing};
use psirt_store::{Caller, Principal};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::AppState;
use crate::auth::{Auth, Bearer, bearer};
use crate::error::ApiError;

/// Who decides whether a route's caller may go on, and by which operation
/// of the access matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    /// An instance operation: `authorize_instance` is asked before the
    /// handler runs (anonymous callers of an operation that needs a
    /// standing get 401, others 403).
    Instance(Operation),
    /// A case or organisation operation: the caller must be signed in
    /// before the handler runs (401), and the store asks `authorize` with
    /// the case, organisation or project it loads (403).
    Store(Operation),
    /// As `Store`, for a read whose store call authenticates an API token
    /// in the query that reads what it asks for (`Store::case_for_token`:
    /// one statement instead of the token's own and then the case's): the
    /// door refuses a caller with neither a token nor a session (401) and
    /// leaves the token to the handler, whose store call refuses an
    /// unknown or revoked one (401) before anything is read.
    StoreByToken(Operation),
    /// Whoever holds a private status link: the store finds the case by
    /// the link and asks `authorize` as its reporter.
    Link(Operation),
    /// The commands route: signed in, and the store asks `authorize` for
    /// the operation of the command sent (`Command::operation`).
    Command,
    /// `/metrics`: the bearer of the configured scrape token (a service's
    /// credential that opens this door and no other), or else as
    /// `Instance`.
    Scrape(Operation),
}

impl Door {
    /// The row's operation; the commands route performs its command's.
    pub fn operation(self) -> Option<Operation> {
        match self {
            Door::Instance(op)
            | Door::Store(op)
            | Door::StoreByToken(op)
            | Door::Link(op)
            | Door::Scrape(op) => Some(op),
            Door::Command => None,
        }
    }
}

/// What serves a row.
#[derive(Clone, Copy)]
pub enum Handler {
    /// A documented handler (its `#[utoipa::path]` names the row's method and path).
    Api(fn() -> UtoipaMethodRouter<AppState>),
    /// The OpenAPI description itself, which `crate::app` serves once it
    /// is built; it is not part of itself.
    Description,
}

/// One route.
#[derive(Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub door: Door,
    pub handler: Handler,
}

/// The report route alone takes bodies as large as its attachments (as
/// multipart; its JSON keeps the global limit).
fn submit_report() -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = routes!(crate::api::submit_report);
    let limit = axum::extract::DefaultBodyLimit::max(crate::attachments::REPORT_BODY_LIMIT);
    (schemas, paths, method_router.layer(limit))
}

/// The row of the OpenAPI description.
pub const DESCRIPTION: Route = Route {
    method: "get",
    path: "/openapi.json",
    door: Door::Instance(Operation::ReadPublic),
    handler: Handler::Description,
};

/// Every route of the API, with the operation of the access matrix it
/// performs. A test checks each row against its handler's OpenAPI
/// operation and the whole table against the description.
pub const ROUTES: &[Route] = &[
    Route {
        method: "get",
        path: "/healthz",
        door: Door::Instance(Operation::ReadPublic),
        handler: Handler::Api(|| routes!(crate::api::healthz)),
    },
    DESCRIPTION,
    Route {
        method: "get",
        path: "/openpgp-key.asc",
        door: Door::Instance(Operation::ReadPublic),
        handler: Handler::Api(|| routes!(crate::api::openpgp_key)),
    },
    Route {
        method: "post",
        path: "/api/v1/reports",
        door: Door::Instance(Operation::SubmitReport),
        handler: Handler::Api(submit_report),
    },
    Route {
        method: "get",
        path: "/api/v1/status/{token}",
        door: Door::Link(Operation::ViewReporterStatus),
        handler: Handler::Api(|| routes!(crate::api::reporter_status)),
    },
    Route {
        method: "post",
        path: "/api/v1/status/{token}/replies",
        door: Door::Link(Operation::ReplyAsReporter),
        handler: Handler::Api(|| routes!(crate::api::reporter_reply)),
    },
    Route {
        method: "post",
        path: "/api/v1/status/{token}/credit",
        door: Door::Link(Operation::RecordCredit),
        handler: Handler::Api(|| routes!(crate::api::reporter_credit)),
    },
    Route {
        method: "post",
        path: "/api/v1/session",
        door: Door::Instance(Operation::SignIn),
        handler: Handler::Api(|| routes!(crate::api::sign_in)),
    },
    Route {
        method: "delete",
        path: "/api/v1/session",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::api::sign_out)),
    },
    Route {
        method: "delete",
        path: "/api/v1/me/sessions",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::api::sign_out_everywhere)),
    },
    // Anyone holding the link; the store decides by the link itself.
    Route {
        method: "post",
        path: "/api/v1/invitations/{token}",
        door: Door::Instance(Operation::SignIn),
        handler: Handler::Api(|| routes!(crate::api::accept_invitation)),
    },
    Route {
        method: "get",
        path: "/api/v1/invitations",
        door: Door::Store(Operation::ManageDistributors),
        handler: Handler::Api(|| routes!(crate::api::list_invitations)),
    },
    Route {
        method: "get",
        path: "/api/v1/me",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::api::me)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases",
        door: Door::Instance(Operation::ListCases),
        handler: Handler::Api(|| routes!(crate::api::list_cases)),
    },
    Route {
        method: "get",
        path: "/api/v1/agenda",
        door: Door::Instance(Operation::ViewAgenda),
        handler: Handler::Api(|| routes!(crate::api::agenda)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}",
        door: Door::StoreByToken(Operation::ViewCase),
        handler: Handler::Api(|| routes!(crate::api::get_case)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/commands",
        door: Door::Command,
        handler: Handler::Api(|| routes!(crate::api::run_command)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/attachments",
        door: Door::Store(Operation::ViewCase),
        handler: Handler::Api(|| routes!(crate::attachments::list_attachments)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/attachments/{id}",
        door: Door::Store(Operation::ViewCase),
        handler: Handler::Api(|| routes!(crate::attachments::download_attachment)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/steps",
        door: Door::Store(Operation::ViewCase),
        handler: Handler::Api(|| routes!(crate::fix_repo::case_steps)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/similar",
        door: Door::Store(Operation::ViewCase),
        handler: Handler::Api(|| routes!(crate::triage::similar_cases)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/audit",
        door: Door::Store(Operation::ViewCaseAudit),
        handler: Handler::Api(|| routes!(crate::api::case_audit)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/mail",
        door: Door::Store(Operation::ViewMail),
        handler: Handler::Api(|| routes!(crate::api::case_mail)),
    },
    Route {
        method: "put",
        path: "/api/v1/cases/{reference}/mail/{kind}",
        door: Door::Store(Operation::ReviewMail),
        handler: Handler::Api(|| routes!(crate::api::edit_draft)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/mail/{kind}/approve",
        door: Door::Store(Operation::ReviewMail),
        handler: Handler::Api(|| routes!(crate::api::approve_draft)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/mail/{kind}/discard",
        door: Door::Store(Operation::ReviewMail),
        handler: Handler::Api(|| routes!(crate::api::discard_draft)),
    },
    Route {
        method: "get",
        path: "/api/v1/inbound",
        door: Door::Instance(Operation::ReviewInbound),
        handler: Handler::Api(|| routes!(crate::api::inbound_review)),
    },
    Route {
        method: "put",
        path: "/api/v1/me/github-login",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::api::put_own_github_login)),
    },
    Route {
        method: "put",
        path: "/api/v1/me/openpgp-key",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::api::put_own_key)),
    },
    Route {
        method: "put",
        path: "/api/v1/users/{email}/openpgp-key",
        door: Door::Instance(Operation::ManageAccounts),
        handler: Handler::Api(|| routes!(crate::api::put_user_key)),
    },
    Route {
        method: "get",
        path: "/metrics",
        door: Door::Scrape(Operation::ReadMetrics),
        handler: Handler::Api(|| routes!(crate::metrics::get_metrics)),
    },
    Route {
        method: "get",
        path: "/api/v1/audit/verify",
        door: Door::Instance(Operation::VerifyAudit),
        handler: Handler::Api(|| routes!(crate::api::verify_audit)),
    },
    Route {
        method: "post",
        path: "/api/v1/users",
        door: Door::Instance(Operation::ManageAccounts),
        handler: Handler::Api(|| routes!(crate::api::create_user)),
    },
    Route {
        method: "post",
        path: "/api/v1/users/{email}/revoke",
        door: Door::Instance(Operation::ManageAccounts),
        handler: Handler::Api(|| routes!(crate::api::revoke_tokens)),
    },
    Route {
        method: "post",
        path: "/api/v1/projects",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::create_project)),
    },
    Route {
        method: "post",
        path: "/api/v1/projects/{slug}/pst",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::add_pst_member)),
    },
    Route {
        method: "get",
        path: "/api/v1/projects",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::list_projects)),
    },
    Route {
        method: "get",
        path: "/api/v1/projects/{slug}",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::get_project)),
    },
    Route {
        method: "get",
        path: "/api/v1/projects/{slug}/policy",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::get_policy)),
    },
    Route {
        method: "put",
        path: "/api/v1/projects/{slug}/policy",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::put_policy)),
    },
    Route {
        method: "put",
        path: "/api/v1/projects/{slug}/announce",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::set_announce)),
    },
    Route {
        method: "get",
        path: "/api/v1/projects/{slug}/pst",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::list_pst)),
    },
    Route {
        method: "put",
        path: "/api/v1/projects/{slug}/pst/{email}",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::set_availability)),
    },
    Route {
        method: "post",
        path: "/api/v1/projects/{slug}/founding-distributors",
        door: Door::Instance(Operation::ManageProjects),
        handler: Handler::Api(|| routes!(crate::projects::found_distributor)),
    },
    Route {
        method: "get",
        path: "/api/v1/projects/{slug}/replies",
        door: Door::Store(Operation::ManageReplyTemplates),
        handler: Handler::Api(|| routes!(crate::triage::list_replies)),
    },
    Route {
        method: "put",
        path: "/api/v1/projects/{slug}/replies/{name}",
        door: Door::Store(Operation::ManageReplyTemplates),
        handler: Handler::Api(|| routes!(crate::triage::set_reply)),
    },
    Route {
        method: "post",
        path: "/api/v1/distributors/applications",
        door: Door::Instance(Operation::ApplyAsDistributor),
        handler: Handler::Api(|| routes!(crate::distributors::apply)),
    },
    Route {
        method: "get",
        path: "/api/v1/distributors",
        door: Door::Store(Operation::ManageDistributors),
        handler: Handler::Api(|| routes!(crate::distributors::list_orgs)),
    },
    Route {
        method: "get",
        path: "/api/v1/distributors/leaks",
        door: Door::Store(Operation::ManageDistributors),
        handler: Handler::Api(|| routes!(crate::distributors::leak_counts)),
    },
    // Its PST, its own people and its named voucher.
    Route {
        method: "get",
        path: "/api/v1/distributors/{org}",
        door: Door::Store(Operation::ViewDistributorOrg),
        handler: Handler::Api(|| routes!(crate::distributors::get_org)),
    },
    Route {
        method: "post",
        path: "/api/v1/distributors/{org}/vouch",
        door: Door::Store(Operation::VouchForDistributor),
        handler: Handler::Api(|| routes!(crate::distributors::vouch)),
    },
    Route {
        method: "post",
        path: "/api/v1/distributors/{org}/accept",
        door: Door::Store(Operation::AcceptEmbargoPolicy),
        handler: Handler::Api(|| routes!(crate::distributors::accept)),
    },
    Route {
        method: "post",
        path: "/api/v1/distributors/{org}/decision",
        door: Door::Store(Operation::ManageDistributors),
        handler: Handler::Api(|| routes!(crate::distributors::decide)),
    },
    Route {
        method: "post",
        path: "/api/v1/distributors/{org}/people",
        door: Door::Store(Operation::ManageDistributorTeam),
        handler: Handler::Api(|| routes!(crate::distributors::add_person)),
    },
    // A current member of the organisation, or its PST.
    Route {
        method: "delete",
        path: "/api/v1/distributors/{org}/people/{email}",
        door: Door::Store(Operation::RemoveDistributorPerson),
        handler: Handler::Api(|| routes!(crate::distributors::remove_person)),
    },
    Route {
        method: "get",
        path: "/api/v1/me/distributors",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::distributors::my_orgs)),
    },
    Route {
        method: "get",
        path: "/api/v1/me/notified-cases",
        door: Door::Store(Operation::ListNotifiedCases),
        handler: Handler::Api(|| routes!(crate::distributors::notified_cases)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/pre-notification",
        door: Door::Store(Operation::ViewPreNotification),
        handler: Handler::Api(|| routes!(crate::distributors::pre_notification)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/distributor-feedback",
        door: Door::Store(Operation::RecordDistributorFeedback),
        handler: Handler::Api(|| routes!(crate::distributors::record_feedback)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/distributor-feedback",
        door: Door::Store(Operation::ViewDistributorFeedback),
        handler: Handler::Api(|| routes!(crate::distributors::list_feedback)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/leaks",
        door: Door::Store(Operation::ReportEmbargoBreak),
        handler: Handler::Api(|| routes!(crate::distributors::report_leak)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/help-requests",
        door: Door::Store(Operation::AskDistributorsForHelp),
        handler: Handler::Api(|| routes!(crate::distributors::ask_for_help)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/help-requests",
        door: Door::Store(Operation::ViewPreNotification),
        handler: Handler::Api(|| routes!(crate::distributors::help_requests)),
    },
    Route {
        method: "post",
        path: "/api/v1/cases/{reference}/help-requests/{id}/answers",
        door: Door::Store(Operation::AnswerHelpRequest),
        handler: Handler::Api(|| routes!(crate::distributors::answer_help)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/distributor-notifications",
        door: Door::Store(Operation::ViewMail),
        handler: Handler::Api(|| routes!(crate::distributors::notifications)),
    },
    Route {
        method: "get",
        path: "/api/v1/cases/{reference}/export/{format}",
        door: Door::Store(Operation::ViewCase),
        handler: Handler::Api(|| routes!(crate::advisories::export_case)),
    },
    Route {
        method: "post",
        path: "/api/v1/me/calendar",
        door: Door::Instance(Operation::OwnAccount),
        handler: Handler::Api(|| routes!(crate::advisories::new_calendar_link)),
    },
];

/// The documented routes, each behind its row's door.
pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    ROUTES
        .iter()
        .fold(OpenApiRouter::new(), |router, route| match route.handler {
            Handler::Api(handler) => {
                let (schemas, paths, method_router) = handler();
                router.routes((schemas, paths, guarded(state, route.door, method_router)))
            }
            Handler::Description => router,
        })
}

/// `method_router` with `door` in front of it. A route layer: an unknown
/// method still gets its 405, not a door's 401.
pub(crate) fn guarded(
    state: &AppState,
    door: Door,
    method_router: axum::routing::MethodRouter<AppState>,
) -> axum::routing::MethodRouter<AppState> {
    method_router.route_layer(axum::middleware::from_fn_with_state(
        (state.clone(), door),
        enter,
    ))
}

/// The door's check, before the handler. The caller it authenticated is
/// handed to the handler's `Auth` (in the request's extensions), so the
/// token or session is looked up once.
async fn enter(
    State((state, door)): State<(AppState, Door)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    match check(&state, door, &mut parts).await {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(e) => e.into_response(),
    }
}

async fn check(
    state: &AppState,
    door: Door,
    parts: &mut axum::http::request::Parts,
) -> Result<(), ApiError> {
    match door {
        // Anyone includes nobody: there is no caller to look up, and the
        // handler authenticates if it records who called.
        Door::Instance(op) if op.allowed().contains(&Standing::Anyone) => {
            psirt_core::authorize_instance(&psirt_core::Actor::Anonymous, op)?;
            Ok(())
        }
        Door::Link(_) => Ok(()),
        Door::Scrape(_)
            if state
                .settings
                .metrics_token
                .as_ref()
                .is_some_and(|token| token.admits(&parts.headers)) =>
        {
            Ok(())
        }
        Door::Instance(op) | Door::Scrape(op) => {
            let auth = Auth::from_request_parts(parts, state).await?;
            require(state, &auth.caller, op).await?;
            parts.extensions.insert(auth);
            Ok(())
        }
        // With an API token, which the handler's store call authenticates;
        // without one (a session), as `Store`.
        Door::StoreByToken(_) if let Some(token) = bearer(parts)? => {
            parts.extensions.insert(Bearer(token.to_string()));
            Ok(())
        }
        Door::Store(_) | Door::StoreByToken(_) | Door::Command => {
            let auth = Auth::from_request_parts(parts, state).await?;
            signed_in(&auth.caller)?;
            parts.extensions.insert(auth);
            Ok(())
        }
    }
}

/// Refuses anonymous callers with 401 (sign in), others per the matrix.
async fn require(state: &AppState, caller: &Caller, op: Operation) -> Result<(), ApiError> {
    if matches!(caller.principal, Principal::Anonymous) && !op.allowed().contains(&Standing::Anyone)
    {
        return Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        ));
    }
    let actor = state.store.instance_actor(caller).await?;
    psirt_core::authorize_instance(&actor, op)?;
    Ok(())
}

/// Refuses anonymous callers with 401.
fn signed_in(caller: &Caller) -> Result<(), ApiError> {
    match caller.principal {
        Principal::Anonymous => Err(ApiError::Unauthenticated(
            "sign in or send an API token".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Handler, ROUTES};

    /// Each row's handler documents exactly the row's method and path: the
    /// row cannot describe a route its handler does not serve.
    #[test]
    fn every_row_is_its_handlers_route() {
        for route in ROUTES {
            let Handler::Api(handler) = route.handler else {
                assert_eq!(route.path, "/openapi.json");
                continue;
            };
            let (_, paths, _) = handler();
            let documented: Vec<(String, String)> = paths
                .paths
                .iter()
                .flat_map(|(path, item)| {
                    let json = serde_json::to_value(item).unwrap();
                    json.as_object()
                        .unwrap()
                        .keys()
                        .filter(|k| ["get", "put", "post", "delete", "patch"].contains(&k.as_str()))
                        .map(|m| (m.clone(), path.clone()))
                        .collect::<Vec<_>>()
                })
                .collect();
            assert_eq!(
                documented,
                [(route.method.to_string(), route.path.to_string())],
                "the row of {} {}",
                route.method,
                route.path
            );
        }
    }

    /// One row per route.
    #[test]
    fn no_route_has_two_rows() {
        let mut seen = std::collections::BTreeSet::new();
        for route in ROUTES {
            assert!(
                seen.insert((route.method, route.path)),
                "{} {} has two rows",
                route.method,
                route.path
            );
        }
    }
}
