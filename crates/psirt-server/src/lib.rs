//! psirt's HTTP edge.
//!
//! This crate owns the routes and the JSON shapes psirt shows the world
//! ([`views`]); it converts core types explicitly, so a change to a core
//! type never silently changes the wire format. It decides nothing: access
//! and rules are asked of `psirt-core` through `psirt-store`.

pub mod views;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use psirt_store::Store;

/// The router, with the store as its state.
pub fn router(store: Store) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(store)
}

/// 200 once the database answers and is migrated, 503 otherwise.
async fn healthz(State(store): State<Store>) -> (StatusCode, &'static str) {
    match store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    store: Store,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, backend = store.backend().as_str(), "psirt listening");
    axum::serve(listener, router(store))
        .with_graceful_shutdown(shutdown)
        .await
}
