//! Bounds on what a client can make the server hold, decided from a
//! request's head before its body is read.
//!
//! - The body budget ([`bound_bodies`], on every route): the bytes of
//!   request bodies in flight, all requests together, are bounded by
//!   `Settings::body_memory`. A request reserves its declared length (or,
//!   without one, its route's body limit) for as long as it is handled; one
//!   that does not fit is answered 503 with `Retry-After`, unread.
//! - Body timeouts (the same layer): a body that pauses longer than
//!   `body_idle_timeout`, or takes longer than `body_timeout` in all, is cut
//!   off and answered 408. Headers have their own timeout in the
//!   connection loop (`crate::conn`).
//! - The intake's rate limit ([`IntakeQuota`]), an extractor that runs before
//!   the body extractor of the anonymous intake routes, so an over-quota
//!   client is answered 429 before its upload is read.
//!
//! A request refused here takes no token of any rate limit: the limits
//! count requests that were let in to be read.
//!
//! This module never reads, keeps or logs a body: it counts bytes and time.

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use crate::AppState;
use crate::error::ApiError;

/// What a client is told to wait when the body budget is spent: uploads
/// in flight take seconds, not minutes, to be read and stored.
const BUSY_RETRY_SECS: u64 = 10;

/// The bytes of request bodies the server may hold at once.
#[derive(Debug)]
pub(crate) struct BodyBudget {
    bytes: Arc<Semaphore>,
    total: usize,
}

impl BodyBudget {
    pub(crate) fn new(total: usize) -> BodyBudget {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        BodyBudget {
            bytes: Arc::new(Semaphore::new(total)),
            total,
        }
    }
}

/// The largest body a route reads: a report's (the form's, or the API's
/// multipart), which carries files, or the global limit.
fn route_body_limit(state: &AppState, method: &Method, path: &str) -> usize {
    if method == Method::POST && (path == "/report" || path == "/api/v1/reports") {
        crate::attachments::REPORT_BODY_LIMIT
    } else {
        state.settings.body_limit
    }
}

/// Reserves the request's body in the budget before anything reads it,
/// and puts its timeouts on it (see the module's documentation).
pub(crate) async fn bound_bodies(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let limit = route_body_limit(&state, request.method(), request.uri().path());
    let hint = http_body::Body::size_hint(request.body());
    // hyper ends a body at its Content-Length, and the route's limit ends
    // one without: the reservation is a bound, not an estimate.
    let declared = hint.exact().map_or(limit, |n| n.min(limit as u64) as usize);
    if declared == 0 {
        return next.run(request).await;
    }
    let budget = &state.limits.bodies;
    let want = u32::try_from(declared.min(budget.total)).unwrap_or(u32::MAX);
    let Ok(permit) = budget.bytes.clone().try_acquire_many_owned(want) else {
        tracing::warn!(
            path = %crate::redact_path(request.uri().path()),
            declared,
            "request body refused: the in-flight body budget is spent"
        );
        let busy = ApiError::Busy {
            retry_after_secs: BUSY_RETRY_SECS,
        };
        return refusal(request.uri().path(), busy);
    };
    let timed_out = Arc::new(AtomicBool::new(false));
    let settings = &state.settings;
    let request = request.map(|body| {
        Body::new(TimedBody::new(
            body,
            settings.body_idle_timeout,
            settings.body_timeout,
            timed_out.clone(),
        ))
    });
    let response = next.run(request).await;
    drop(permit);
    if timed_out.load(Ordering::Relaxed) {
        let mut response = refusal("", ApiError::TimedOut);
        // The rest of the body is not read: the connection cannot carry
        // another request.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    response
}

/// A refusal as the caller reads it: a problem document for the API (and
/// for a client that stalled, which reads nothing), a page for a form.
fn refusal(path: &str, error: ApiError) -> Response {
    if path.is_empty() || path.starts_with("/api/") {
        error.into_response()
    } else {
        crate::web::WebError::from(error).into_response()
    }
}

/// Why a body was cut off; the extractor reading it fails, and
/// [`bound_bodies`] answers 408.
#[derive(Debug)]
struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A request body with an idle timeout (reset by every frame) and a
/// deadline for the whole.
struct TimedBody {
    inner: Body,
    idle_timeout: Duration,
    idle: Pin<Box<Sleep>>,
    deadline: Pin<Box<Sleep>>,
    timed_out: Arc<AtomicBool>,
}

impl TimedBody {
    fn new(
        inner: Body,
        idle_timeout: Duration,
        whole: Duration,
        timed_out: Arc<AtomicBool>,
    ) -> TimedBody {
        TimedBody {
            inner,
            idle_timeout,
            idle: Box::pin(tokio::time::sleep(idle_timeout)),
            deadline: Box::pin(tokio::time::sleep(whole)),
            timed_out,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            let next = Instant::now() + this.idle_timeout;
            this.idle.as_mut().reset(next);
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.idle.as_mut().poll(cx).is_ready() || this.deadline.as_mut().poll(cx).is_ready() {
            this.timed_out.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(BodyTimedOut))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A report on its way to the store's group commit
/// ([`psirt_store::Arrival`]): a batch about to start waits for it,
/// briefly. Put it after [`IntakeQuota`] (a request refused there never
/// arrives) and before the body extractor of a route that opens a report.
pub(crate) struct Arriving(pub psirt_store::Arrival);

impl FromRequestParts<AppState> for Arriving {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Arriving(state.store.arrival()))
    }
}

/// The intake's rate limit (`Settings::intake_per_minute` per client
/// address), taken from the request's head. Put it before the body
/// extractor of an anonymous intake route; `E` is the route's error type
/// (a problem document for the API, a page for a form).
pub(crate) struct IntakeQuota<E = ApiError>(PhantomData<fn() -> E>);

impl<E> FromRequestParts<AppState> for IntakeQuota<E>
where
    E: From<ApiError> + IntoResponse,
{
    type Rejection = E;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, E> {
        let ip = crate::auth::client_ip(parts);
        state.limit_intake(ip)?;
        Ok(IntakeQuota(PhantomData))
    }
}
