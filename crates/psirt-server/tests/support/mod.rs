//! What the HTTP tests share: a fresh database of either kind (a SQLite
//! file, or a new database on the real PostgreSQL server,
//! `PSIRT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the test
//! is done, and the app served on 127.0.0.1.

#![allow(dead_code)]

use std::net::SocketAddr;

use psirt_store::Store;
use sqlx::Connection;

pub fn admin_url() -> String {
    std::env::var("PSIRT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh store: a SQLite file in a temporary directory, or a new
/// PostgreSQL database named `{prefix}_` and random hex (its name is
/// returned, for [`close`]).
pub async fn open(
    postgres: bool,
    prefix: &str,
) -> (Store, Option<String>, Option<tempfile::TempDir>) {
    if !postgres {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite://{}/psirt.db", dir.path().display()))
            .await
            .unwrap();
        return (store, None, Some(dir));
    }
    sqlx::any::install_default_drivers();
    let admin = admin_url();
    let mut conn = sqlx::AnyConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must be running for the HTTP tests ({admin}): {e}"));
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).unwrap();
    let name = format!("{prefix}_{}", hex::encode(suffix));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    (
        Store::open(&format!("{base}/{name}")).await.unwrap(),
        Some(name),
        None,
    )
}

/// Closes the store and drops its PostgreSQL database, if it has one.
pub async fn close(store: &Store, pg: Option<String>) {
    store.close().await;
    if let Some(name) = pg {
        let mut conn = sqlx::AnyConnection::connect(&admin_url()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .unwrap();
    }
}

/// Serves `router` (with the client's address, as `psirt serve` does) on
/// a free port of 127.0.0.1; its base URL, `http://127.0.0.1:PORT`.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}
