//! What several of the binary's tests share: a fresh database on the real
//! PostgreSQL server (`PSIRT_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped afterwards.

#![allow(dead_code)] // Each test file uses its own part.

use std::process::Command;

/// A fresh database on the real PostgreSQL server, dropped afterwards.
pub struct PgDatabase {
    admin: String,
    name: String,
}

impl PgDatabase {
    pub fn create() -> PgDatabase {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = std::env::var("PSIRT_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let name = format!(
            "psirt_cli_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let ok = Command::new("psql")
            .args([
                admin.as_str(),
                "-q",
                "-c",
                &format!("CREATE DATABASE {name}"),
            ])
            .status()
            .expect("psql runs (PostgreSQL's client)");
        assert!(ok.success(), "PostgreSQL must be running at {admin}");
        PgDatabase { admin, name }
    }

    pub fn url(&self) -> String {
        let (base, _) = self.admin.rsplit_once('/').unwrap();
        format!("{base}/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                self.admin.as_str(),
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .status();
    }
}
