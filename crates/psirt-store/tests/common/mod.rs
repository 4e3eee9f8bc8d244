//! The harness the store tests share: a database per test on each backend
//! (a SQLite file in a temporary directory, and a fresh database on the
//! real PostgreSQL server at `PSIRT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), and the `both!` macro
//! that runs a test once per backend.

use psirt_core::{NewReport, Reporter, Secret};
use psirt_store::{Backend, Store};
use sqlx::Connection;

/// A database for one test; dropped (PostgreSQL) or deleted (SQLite) after.
pub struct TestDb {
    pub store: Store,
    /// Where the database is: for a second `Store` on it (a replica).
    #[allow(dead_code)] // Only the replicas' tests open a second one.
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

fn admin_url() -> String {
    std::env::var("PSIRT_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

impl TestDb {
    /// Another database on the same backend as a test's own.
    #[allow(dead_code)] // Not every test file needs a second database.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => TestDb::sqlite().await,
            Backend::Postgres => TestDb::postgres().await,
        }
    }

    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/psirt.db", dir.path().display());
        TestDb {
            store: Store::open(&url).await.unwrap(),
            url,
            _dir: Some(dir),
            pg_name: None,
        }
    }

    pub async fn postgres() -> TestDb {
        sqlx::any::install_default_drivers();
        let admin = admin_url();
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL must be running for the store tests ({admin}): {e}")
            });
        let mut suffix = [0u8; 6];
        getrandom::fill(&mut suffix).unwrap();
        let name = format!("psirt_test_{}", hex::encode(suffix));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let url = format!("{base}/{name}");
        let store = Store::open(&url).await.unwrap();
        TestDb {
            store,
            url,
            _dir: None,
            pg_name: Some(name),
        }
    }

    /// A database made from an SQL dump (an earlier release's, see
    /// `scripts/upgrade-fixture`), then opened: the migrations it lacks
    /// run on it as they would on an upgrade.
    #[allow(dead_code)] // Only the upgrade test starts from a dump.
    pub async fn from_dump(backend: Backend, dump: &str) -> TestDb {
        sqlx::any::install_default_drivers();
        let (url, dir, pg_name) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/psirt.db?mode=rwc", dir.path().display());
                (url, Some(dir), None)
            }
            Backend::Postgres => {
                let admin = admin_url();
                let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
                let mut suffix = [0u8; 6];
                getrandom::fill(&mut suffix).unwrap();
                let name = format!("psirt_test_{}", hex::encode(suffix));
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let (base, _) = admin.rsplit_once('/').unwrap();
                (format!("{base}/{name}"), None, Some(name))
            }
        };
        // Its own connection: a PostgreSQL dump empties the search path
        // for the session that loads it.
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(dump.to_owned()))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        TestDb {
            store: Store::open(&url).await.unwrap(),
            url,
            _dir: dir,
            pg_name,
        }
    }

    pub async fn drop_db(self) {
        self.store.close().await;
        if let Some(name) = self.pg_name {
            let mut conn = sqlx::AnyConnection::connect(&admin_url()).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .unwrap();
        }
    }
}

/// Defines one test per backend.
macro_rules! both {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite().await;
                ($body)(db.store.clone()).await;
                db.drop_db().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::common::TestDb::postgres().await;
                ($body)(db.store.clone()).await;
                db.drop_db().await;
            }
        }
    };
}

/// A report to `project` from Rita, who gives her name and address: what
/// most tests file; a test that needs another reporter or body changes
/// the fields it cares about (`NewReport { reporter: None, ..report(..) }`).
#[allow(dead_code)] // Not every test file files reports.
pub fn report(project: &str, summary: &str) -> NewReport {
    NewReport {
        project: project.into(),
        summary: summary.into(),
        details: Secret::new("Send a crafted DNS packet to port 53.".into()),
        reporter: Some(Reporter {
            name: Some("Rita".into()),
            email: Some("rita@example.net".parse().unwrap()),
        }),
        public_link: None,
        already_public: false,
        ai_assisted: false,
    }
}
