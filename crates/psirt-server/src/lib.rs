//! psirt's HTTP edge.
//!
//! This crate owns the routes, authentication, the problem documents and
//! the JSON shapes psirt shows the world ([`views`], [`commands`]); it
//! converts core types explicitly, so a change to a core type never
//! silently changes the wire format. It decides nothing: access and rules
//! are asked of `psirt-core`, through `psirt-store`. It never logs request
//! bodies, tokens or status links.

pub mod advisories;
pub mod api;
pub mod attachments;
mod auth;
pub mod bulk;
pub mod commands;
mod conn;
pub mod distributors;
pub mod error;
pub mod fix_repo;
mod intake;
mod limits;
pub mod metrics;
pub mod projects;
pub mod record;
pub mod triage;
pub mod views;
pub mod web;

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

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
    /// Reports accepted per day (UTC) from one reporter e-mail address,
    /// counted in the database so that it holds across replicas.
    pub reports_per_email_per_day: NonZeroU32,
    /// Mark the session cookie `Secure` (psirt is reached over HTTPS).
    pub secure_cookies: bool,
    pub session_ttl: jiff::SignedDuration,
    /// The largest request body accepted (the report form, which carries
    /// files, has its own larger limit).
    pub body_limit: usize,
    /// The bytes of request bodies held at once, all requests together: a
    /// request whose body does not fit is answered 503 before it is read.
    pub body_memory: usize,
    /// How long a client has to send a request's headers, and how long a
    /// kept-alive connection may wait for its next request.
    pub header_timeout: Duration,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// The longest pause while a request body arrives.
    pub body_idle_timeout: Duration,
    /// The longest a whole request body may take to arrive.
    pub body_timeout: Duration,
    /// Writes through a status link (replies, credit choices) per hour,
    /// counted per case and per client address.
    pub status_writes_per_hour: NonZeroU32,
    /// The instance's public OpenPGP key, once it has one.
    pub openpgp: Option<OpenPgpKey>,
    /// The instance's own key (secret), to decrypt reports encrypted to
    /// it on intake. Without it an encrypted report is refused. Its
    /// `Debug` shows the fingerprint only.
    pub instance_key: Option<Arc<psirt_mail::InstanceKey>>,
    /// Who publishes the advisories.
    pub publication: advisories::Publication,
    /// The clock commands and publication follow (the system's, or a
    /// test's).
    pub clock: advisories::Clock,
    /// The token Prometheus may scrape `/metrics` with besides an
    /// administrator's (`metrics_token_file`); it opens that route only.
    pub metrics_token: Option<metrics::ScrapeToken>,
    /// This process's job rounds and failures, when the jobs run in the
    /// same process (`psirt serve`); `/metrics` shows them.
    pub job_runs: Option<metrics::JobRunsSource>,
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
            reports_per_email_per_day: NonZeroU32::new(10).expect("non-zero"),
            secure_cookies: false,
            session_ttl: jiff::SignedDuration::from_hours(12),
            body_limit: 2 * 1024 * 1024,
            body_memory: 64 * 1024 * 1024,
            header_timeout: Duration::from_secs(15),
            max_connections: 1024,
            body_idle_timeout: Duration::from_secs(20),
            body_timeout: Duration::from_secs(300),
            status_writes_per_hour: NonZeroU32::new(20).expect("non-zero"),
            openpgp: None,
            instance_key: None,
            publication: advisories::Publication::default(),
            clock: advisories::Clock::default(),
            metrics_token: None,
            job_runs: None,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    limits: Arc<Limits>,
    pub(crate) metrics: Arc<metrics::Metrics>,
}

/// The server's own bounds on clients: rate limits and the body budget.
struct Limits {
    intake: DefaultKeyedRateLimiter<IpAddr>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    status_by_case: DefaultKeyedRateLimiter<psirt_core::CaseRef>,
    status_by_address: DefaultKeyedRateLimiter<IpAddr>,
    bodies: limits::BodyBudget,
    /// Checks since the limiters' idle keys were last dropped.
    checks: std::sync::atomic::AtomicU32,
}

/// How many rate-limit checks pass between two sweeps of the limiters'
/// keys: a key whose quota is whole again is dropped, so the keyed maps
/// stay as small as the set of recent clients.
const SWEEP_EVERY: u32 = 4096;

/// The key a client address is limited under: an IPv4 address (also when
/// it comes IPv4-mapped), or an IPv6 address's /64, which one subscriber
/// usually holds whole (keying by /128 would give them 2^64 quotas).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                v6.to_bits() & !((1u128 << 64) - 1),
            )),
        },
    }
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> AppState {
        let intake = Quota::per_minute(settings.intake_per_minute);
        // Password guessing is slowed to ten tries a minute per address.
        let sign_in = Quota::per_minute(NonZeroU32::new(10).expect("non-zero"));
        let status = Quota::per_hour(settings.status_writes_per_hour);
        let limits = Limits {
            intake: RateLimiter::keyed(intake),
            sign_in: RateLimiter::keyed(sign_in),
            status_by_case: RateLimiter::keyed(status),
            status_by_address: RateLimiter::keyed(status),
            bodies: limits::BodyBudget::new(settings.body_memory),
            checks: std::sync::atomic::AtomicU32::new(0),
        };
        AppState {
            store,
            settings: Arc::new(settings),
            limits: Arc::new(limits),
            metrics: Arc::default(),
        }
    }

    fn limit<K: std::hash::Hash + Eq + Clone>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<(), ApiError> {
        let checks = &self.limits.checks;
        if checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= SWEEP_EVERY {
            checks.store(0, std::sync::atomic::Ordering::Relaxed);
            self.sweep();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ));
            ApiError::TooManyRequests {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    fn sweep(&self) {
        let limits = &self.limits;
        limits.intake.retain_recent();
        limits.sign_in.retain_recent();
        limits.status_by_case.retain_recent();
        limits.status_by_address.retain_recent();
        limits.intake.shrink_to_fit();
        limits.sign_in.shrink_to_fit();
        limits.status_by_case.shrink_to_fit();
        limits.status_by_address.shrink_to_fit();
    }

    /// Takes one report (or distributor application) from the client's
    /// address; see `limits::IntakeQuota`, which asks it before the body
    /// is read.
    pub(crate) fn limit_intake(&self, ip: Option<IpAddr>) -> Result<(), ApiError> {
        ip.map_or(Ok(()), |ip| {
            self.limit(&self.limits.intake, &address_key(ip))
        })
    }

    pub(crate) fn limit_sign_in(&self, caller: &Caller) -> Result<(), ApiError> {
        match caller.origin.parse::<IpAddr>() {
            Ok(ip) => self.limit(&self.limits.sign_in, &address_key(ip)),
            Err(_) => Ok(()),
        }
    }

    /// Takes one write through a status link from the client's address;
    /// asked before the link is looked up, so guessing links is slowed too.
    pub(crate) fn limit_status_address(&self, origin: &str) -> Result<(), ApiError> {
        match origin.parse::<IpAddr>() {
            Ok(ip) => self.limit(&self.limits.status_by_address, &address_key(ip)),
            Err(_) => Ok(()),
        }
    }

    /// Takes one write through a status link of `case` (from any address).
    pub(crate) fn limit_status_case(&self, case: psirt_core::CaseRef) -> Result<(), ApiError> {
        self.limit(&self.limits.status_by_case, &case)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn clients_are_limited_by_ipv4_address_or_ipv6_slash_64() {
        let key = |text: &str| super::address_key(text.parse().unwrap()).to_string();
        assert_eq!(key("192.0.2.7"), "192.0.2.7");
        assert_eq!(key("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::");
        assert_eq!(key("2001:db8:1:3::1"), "2001:db8:1:3::");
        assert_eq!(key("::1"), "::");
    }

    #[test]
    fn status_tokens_are_redacted_from_logged_paths() {
        for (path, logged) in [
            ("/api/v1/status/psirt_abc", "/api/v1/status/<redacted>"),
            (
                "/api/v1/status/psirt_abc/replies",
                "/api/v1/status/<redacted>/replies",
            ),
            ("/status/psirt_abc", "/status/<redacted>"),
            ("/p/beta/status/psirt_abc", "/p/beta/status/<redacted>"),
            ("/p/beta/cases", "/p/beta/cases"),
            (
                "/api/v1/cases/PSIRT-2026-0001",
                "/api/v1/cases/PSIRT-2026-0001",
            ),
        ] {
            assert_eq!(super::redact_path(path), logged, "{path}");
        }
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
/// `application/problem+json`; every operation documents the 400 that a
/// malformed request gets and, with a body, the 413 of a too large one, the
/// 408 of one that stalls and the 503 of one the server has no room for
/// (`limits`), without each route repeating it; and every 429 and 503
/// problem documents its `Retry-After`.
fn problem_responses(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};
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
                responses
                    .entry("408".into())
                    .or_insert_with(|| problem("The request body did not arrive in time"));
                responses.entry("503".into()).or_insert_with(|| {
                    problem("The server holds as many request bodies as it may; nothing was read")
                });
            }
            for (status, response) in responses.iter_mut() {
                let RefOr::T(response) = response else {
                    continue;
                };
                if !matches!(status.as_str(), "429" | "503")
                    || !response.content.get(PROBLEM).is_some_and(is_problem)
                {
                    continue;
                }
                let seconds = ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1));
                response
                    .headers
                    .entry("Retry-After".into())
                    .or_insert_with(|| {
                        RefOr::T(
                            HeaderBuilder::new()
                                .schema(Some(seconds))
                                .description(Some("Seconds to wait before trying again"))
                                .build(),
                        )
                    });
            }
        }
    }
}

/// The router and its OpenAPI description, built from the same handlers.
pub fn app(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, mut api) = utoipa_axum::router::OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(api::routes::router(&state))
        .split_for_parts();
    // The HTML pages are not part of the API's description.
    let router = router.merge(web::router(&state));
    // After the merge: the routes' own operations are only there now.
    problem_responses(&mut api);
    let spec = Arc::new(serde_json::to_value(&api).unwrap_or_default());
    let limit = state.settings.body_limit;
    let description = api::routes::DESCRIPTION;
    let router = router
        .route(
            description.path,
            api::routes::guarded(
                &state,
                description.door,
                axum::routing::get(move || {
                    let spec = spec.clone();
                    async move { axum::Json((*spec).clone()) }
                }),
            ),
        )
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limits::bound_bodies,
        ))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::record,
        ))
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

/// `/api/v1/status/<token>/…` (and the status page, `/status/<token>`,
/// also under a project's `/p/{project}/`) with the token replaced: the
/// link is a secret.
pub fn redact_path(path: &str) -> String {
    if let Some(in_project) = path.strip_prefix("/p/")
        && let Some((project, rest)) = in_project.split_once('/')
    {
        return format!("/p/{project}{}", redact_path(&format!("/{rest}")));
    }
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

/// Serves until `shutdown` resolves, then lets the requests in flight
/// finish (see `conn`).
pub async fn serve(
    store: Store,
    settings: Settings,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend().as_str(), "psirt listening");
    let limits = conn::Limits {
        header_timeout: settings.header_timeout,
        max_connections: settings.max_connections,
    };
    let (router, _) = app(AppState::new(store, settings));
    conn::serve(listener, router, limits, shutdown).await
}
