//! The connection loop: accepts TCP connections and serves HTTP/1.1 on
//! each with hyper, with a timer, so that a header read timeout holds.
//!
//! `axum::serve` gives hyper no timer, and then hyper has no header
//! timeout: a client that opens connections and never finishes its headers
//! holds each of them for ever. Here a client has `header_timeout` to send
//! a request's headers, counted from the connection's start or from the end
//! of the previous response (so it is also the idle timeout of a kept-alive
//! connection); bodies have their own timeouts (`crate::limits`).
//!
//! What connections hold is bounded too: at most `max_connections` are
//! served at once (further ones wait in the kernel's accept queue, which
//! costs the server nothing), and each buffers at most [`MAX_BUF`] of a
//! request's head (larger headers are answered 431), so headers in flight
//! take at most `max_connections` x 16 KiB.
//!
//! This module never reads requests itself: it hands each one, with the
//! client's address, to the router.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tower_service::Service;

/// How long a shutdown waits for the requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// The most a connection buffers of what it reads (hyper's minimum is
/// 8 KiB; its default, about 400 KiB, would let 1,000 slow clients hold
/// 400 MiB of headers).
const MAX_BUF: usize = 16 * 1024;

/// The connection loop's settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_timeout: Duration,
    pub max_connections: usize,
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops
/// accepting, closes idle connections, and waits up to [`DRAIN`] for the
/// requests in flight.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A connection is accepted only when it can be served.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // A connection that failed before it was accepted is the
                    // client's problem; anything else (out of file
                    // descriptors) is waited out rather than spun on.
                    if !is_connection_error(&e) {
                        tracing::error!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            let mut router = router.clone();
            async move { router.call(request).await }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(MAX_BUF)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Timeouts and clients that go away end here; they are not the
            // server's errors.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = DRAIN.as_secs(),
            "requests still in flight at shutdown were cut off"
        );
    }
    Ok(())
}

fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}
