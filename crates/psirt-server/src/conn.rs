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
//! This module never reads requests itself: it hands each one, with the
//! client's address, to the router.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tower_service::Service;

/// How long a shutdown waits for the requests in flight.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` resolves; then stops
/// accepting, closes idle connections, and waits up to [`DRAIN`] for the
/// requests in flight.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
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
            .header_read_timeout(header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Timeouts and clients that go away end here; they are not the
            // server's errors.
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended");
            }
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
