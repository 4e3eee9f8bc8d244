//! psirt's HTTP edge.
//!
//! This crate owns the routes, authentication, the problem documents and
//! the JSON shapes psirt shows the world ([`views`], [`commands`]); it
//! converts core types explicitly, so a change to a core type never
//! silently changes the wire format. It decides nothing: access and rules
//! are asked of `psirt-core`, through `psirt-store`. It never logs request
//! bodies, tokens or status links.

pub mod api;
pub mod attachments;
mod auth;
pub mod commands;
pub mod distributors;
pub mod error;
mod intake;
pub mod projects;
pub mod views;
pub mod web;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use psirt_store::{Caller, Store};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::error::ApiError;

/// How the server behaves; from the configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where reports go unless they name a project.
    pub default_project: String,
    /// Reports accepted per minute from one client address.
    pub intake_per_minute: NonZeroU32,
    /// Mark the session cookie `Secure` (psirt is reached over HTTPS).
    pub secure_cookies: bool,
    pub session_ttl: jiff::SignedDuration,
    /// The largest request body accepted.
    pub body_limit: usize,
    /// The instance's public OpenPGP key, once it has one.
    pub openpgp: Option<OpenPgpKey>,
    /// The instance's own key (secret), to decrypt reports encrypted to
    /// it on intake. Without it an encrypted report is refused. Its
    /// `Debug` shows the fingerprint only.
    pub instance_key: Option<Arc<psirt_mail::InstanceKey>>,
}

/// The instance's public OpenPGP key as the policy page and
/// `/openpgp-key.asc` show it.
#[derive(Clone, Debug)]
pub struct OpenPgpKey {
    pub fingerprint: String,
    pub armored_public: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            default_project: "default".into(),
            intake_per_minute: NonZeroU32::new(30).expect("non-zero"),
            secure_cookies: false,
            session_ttl: jiff::SignedDuration::from_hours(12),
            body_limit: 2 * 1024 * 1024,
            openpgp: None,
            instance_key: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    intake: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    sign_in: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> AppState {
        let intake = Quota::per_minute(settings.intake_per_minute);
        // Password guessing is slowed to ten tries a minute per address.
        let sign_in = Quota::per_minute(NonZeroU32::new(10).expect("non-zero"));
        AppState {
            store,
            settings: Arc::new(settings),
            intake: Arc::new(RateLimiter::keyed(intake)),
            sign_in: Arc::new(RateLimiter::keyed(sign_in)),
        }
    }

    fn limit(limiter: &DefaultKeyedRateLimiter<IpAddr>, caller: &Caller) -> Result<(), ApiError> {
        let Ok(ip) = caller.origin.parse::<IpAddr>() else {
            return Ok(());
        };
        limiter.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    pub(crate) fn limit_intake(&self, caller: &Caller) -> Result<(), ApiError> {
        AppState::limit(&self.intake, caller)
    }

    pub(crate) fn limit_sign_in(&self, caller: &Caller) -> Result<(), ApiError> {
        AppState::limit(&self.sign_in, caller)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_tokens_are_redacted_from_logged_paths() {
        assert_eq!(
            super::redact_path("/api/v1/status/psirt_abc"),
            "/api/v1/status/<redacted>"
        );
        assert_eq!(
            super::redact_path("/api/v1/status/psirt_abc/replies"),
            "/api/v1/status/<redacted>/replies"
        );
        assert_eq!(
            super::redact_path("/status/psirt_abc"),
            "/status/<redacted>"
        );
        assert_eq!(
            super::redact_path("/api/v1/cases/PSIRT-2026-0001"),
            "/api/v1/cases/PSIRT-2026-0001"
        );
    }
}

/// The clock, to the second.
pub fn now() -> jiff::Timestamp {
    let t = jiff::Timestamp::now();
    jiff::Timestamp::from_second(t.as_second()).unwrap_or(t)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "psirt", description = "An open-source project's security release process: reports, cases, the process engine's commands."),
    modifiers(&Security),
    tags(
        (name = "reports", description = "Anonymous intake and the reporter's private status link"),
        (name = "session", description = "Sign-in for people"),
        (name = "cases", description = "Cases and the commands of the process"),
        (name = "mail", description = "The mail psirt writes about a case, its drafts' review, inbound mail set aside, and OpenPGP keys"),
        (name = "distributors", description = "The private distributors list: applications, vouching, the embargo policy, the PST's decisions, and the portal of notified cases"),
        (name = "admin", description = "Accounts and projects"),
        (name = "meta", description = "Health"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// Error responses as the server sends them: every `Problem` body is
/// `application/problem+json`, and every operation documents the 400 that
/// a malformed request gets (and, with a body, the 413 of a too large one)
/// without each route repeating it.
fn problem_responses(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    const PROBLEM: &str = "application/problem+json";
    let problem = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    PROBLEM,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build(),
        )
    };
    let is_problem = |content: &RefOr<utoipa::openapi::Content>| match content {
        RefOr::T(c) => {
            matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"))
        }
        RefOr::Ref(_) => false,
    };
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if response
                    .content
                    .get("application/json")
                    .is_some_and(is_problem)
                    && let Some(content) = response.content.shift_remove("application/json")
                {
                    response.content.insert(PROBLEM.to_string(), content);
                }
            }
            let responses = &mut op.responses.responses;
            responses
                .entry("400".into())
                .or_insert_with(|| problem("Malformed request"));
            if op.request_body.is_some() {
                responses
                    .entry("413".into())
                    .or_insert_with(|| problem("Request body too large"));
            }
        }
    }
}

/// The router and its OpenAPI description, built from the same handlers.
pub fn app(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, mut api) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes())
        .merge(distributors::routes())
        .merge(projects::routes())
        .merge(attachments::routes())
        .split_for_parts();
    // The HTML pages are not part of the API's description.
    let router = router.merge(web::router());
    // After the merge: the routes' own operations are only there now.
    problem_responses(&mut api);
    let spec = Arc::new(serde_json::to_value(&api).unwrap_or_default());
    let limit = state.settings.body_limit;
    let router = router
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let spec = spec.clone();
                async move { axum::Json((*spec).clone()) }
            }),
        )
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(state);
    (router, api)
}

/// The request log: method, path (status-link tokens redacted), status,
/// duration. Never headers or bodies, which carry tokens and reports.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let path = redact_path(request.uri().path());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    tracing::info!(%method, %path, status, ms, "request");
    response
}

/// `/api/v1/status/<token>/…` (and the status page, `/status/<token>`)
/// with the token replaced: the link is a secret.
pub fn redact_path(path: &str) -> String {
    for prefix in ["/api/v1/status/", "/status/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest
                .split_once('/')
                .map_or(String::new(), |(_, t)| format!("/{t}"));
            return format!("{prefix}<redacted>{tail}");
        }
    }
    path.to_string()
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    store: Store,
    settings: Settings,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend().as_str(), "psirt listening");
    let (router, _) = app(AppState::new(store, settings));
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
