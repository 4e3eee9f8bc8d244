//! `GET /metrics`: the instance's operational figures in the OpenMetrics
//! text format Prometheus scrapes.
//!
//! Two kinds of figure. This replica's own: requests answered by route
//! template, method and status, and their latency (a histogram), counted
//! by [`record`] around every request; and the rounds of each background
//! job in this process and how many failed, when the jobs run here
//! (`Settings::job_runs`, read at scrape time). The database's, the same from
//! every replica: the outbox's work in progress and the age of its oldest
//! queued message, steps in other systems waiting or failed, and the audit
//! log's length (`psirt_store::Figures`, read at scrape time from index
//! ranges of rows in play, never the history).
//!
//! Labels are route *templates* (`/api/v1/cases/{reference}`), never the
//! path asked, so a case reference, a status-link token or a scanner's
//! random paths never become a label: the number of series is bounded by
//! the route table. Reading the figures is `Operation::ReadMetrics`
//! (instance administrators), or the bearer of the configured scrape
//! token, which opens this route only (see `api::routes::Door::Scrape`).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::{ApiError, Problem};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: String,
}

/// One job's rounds in this process and how many of them failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobRunsFigure {
    pub job: &'static str,
    pub runs: u64,
    pub failures: u64,
}

/// Where the jobs' counts come from (psirt-jobs' process-wide counters,
/// wired in by the binary that runs both).
#[derive(Clone)]
pub struct JobRunsSource(pub Arc<dyn Fn() -> Vec<JobRunsFigure> + Send + Sync>);

impl std::fmt::Debug for JobRunsSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobRunsSource")
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: String,
    state: String,
}

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The registry and the figures in it; one per process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    outbox: Family<StateLabels, Gauge>,
    oldest_queued: Gauge,
    steps: Family<StepLabels, Gauge>,
    audit_entries: Gauge,
    job_runs: Family<JobLabels, Counter>,
    job_failures: Family<JobLabels, Counter>,
    /// Scrapes answer one at a time: the database's figures are written
    /// into the gauges, then the registry is encoded.
    scrape: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("psirt");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered by this replica, by route template, method and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request on this replica, by route template and method",
            latency.clone(),
        );
        let outbox = Family::<StateLabels, Gauge>::default();
        registry.register(
            "outbox_messages",
            "Messages in the outbox not yet sent, by state (draft, queued, sending, failed)",
            outbox.clone(),
        );
        let oldest_queued = Gauge::default();
        registry.register(
            "outbox_oldest_queued_age_seconds",
            "Age of the oldest message waiting to be sent (0 when none waits)",
            oldest_queued.clone(),
        );
        let steps = Family::<StepLabels, Gauge>::default();
        registry.register(
            "integration_steps",
            "Steps in other systems (git, CVE Services, GitHub) waiting or failed, by step and state",
            steps.clone(),
        );
        let audit_entries = Gauge::default();
        registry.register(
            "audit_entries",
            "Entries in the audit log (its head's sequence number)",
            audit_entries.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Rounds of each background job in this process",
            job_runs.clone(),
        );
        let job_failures = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_failures",
            "Rounds of each background job in this process that failed",
            job_failures.clone(),
        );
        Metrics {
            registry,
            job_runs,
            job_failures,
            requests,
            latency,
            outbox,
            oldest_queued,
            steps,
            audit_entries,
            scrape: tokio::sync::Mutex::new(()),
        }
    }
}

/// The configured scrape token, kept only as its SHA-256.
#[derive(Clone)]
pub struct ScrapeToken([u8; 32]);

impl std::fmt::Debug for ScrapeToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScrapeToken(<redacted>)")
    }
}

impl ScrapeToken {
    pub fn new(token: &str) -> ScrapeToken {
        ScrapeToken(Sha256::digest(token.as_bytes()).into())
    }

    /// Whether the request's `Authorization: Bearer` is this token. The
    /// digests are compared, so the comparison's time says nothing about
    /// the token.
    pub(crate) fn admits(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(bearer) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
        else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(bearer.trim().as_bytes()).into();
        digest
            .iter()
            .zip(self.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// The route template of an answer the router could not name: a
/// project's page, which `web::projects` hands to the pages' own router
/// (`/p/{project}/cases/{reference}`).
#[derive(Clone)]
pub(crate) struct RouteTemplate(pub String);

/// Counts every request: its route template, method, status and time.
pub(crate) async fn record(
    State(metrics): State<Arc<Metrics>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or(route, |t| t.0.clone());
    let status = response.status().as_u16();
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status,
        })
        .inc();
    response
}

/// The figures, for Prometheus.
#[utoipa::path(get, path = "/metrics", tag = "admin",
    responses(
        (status = 200, description = "The figures in the OpenMetrics text format", body = String, content_type = "application/openmetrics-text"),
        (status = 401, body = Problem),
        (status = 403, body = Problem),
    ))]
pub(crate) async fn get_metrics(
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let metrics = &state.metrics;
    let _one = metrics.scrape.lock().await;
    let figures = state.store.figures().await?;
    metrics.outbox.clear();
    for (s, n) in &figures.outbox {
        metrics
            .outbox
            .get_or_create(&StateLabels {
                state: (*s).to_owned(),
            })
            .set(*n);
    }
    let now = state.settings.clock.now();
    let age = figures
        .oldest_queued
        .map_or(0, |t| now.duration_since(t).as_secs().max(0));
    metrics.oldest_queued.set(age);
    metrics.steps.clear();
    for (step, s, n) in &figures.steps {
        metrics
            .steps
            .get_or_create(&StepLabels {
                step: step.clone(),
                state: (*s).to_owned(),
            })
            .set(*n);
    }
    metrics.audit_entries.set(figures.audit_entries);
    if let Some(source) = &state.settings.job_runs {
        // The jobs' counters only grow: each scrape adds what they grew by.
        for figure in (source.0)() {
            let labels = JobLabels {
                job: figure.job.to_owned(),
            };
            for (family, now) in [
                (&metrics.job_runs, figure.runs),
                (&metrics.job_failures, figure.failures),
            ] {
                let counter = family.get_or_create(&labels);
                counter.inc_by(now.saturating_sub(counter.get()));
            }
        }
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry)
        .map_err(|e| ApiError::Internal(format!("encoding the metrics: {e}")))?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    ))
}
