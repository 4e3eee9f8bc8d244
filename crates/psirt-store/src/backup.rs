//! The database's side of `psirt backup` and `psirt restore`.
//!
//! A backup is a copy of every report in clear, so making one is a read of
//! embargoed content and goes in the audit log (`instance.backup`, naming
//! the file) before the copy is taken: the copy holds its own entry.
//! SQLite copies itself consistently while psirt runs (`VACUUM INTO`, one
//! read transaction); PostgreSQL's copy is `pg_dump`'s, which the binary
//! runs. A restore goes only into an empty database, so it can never mix
//! two histories or overwrite one; [`database_is_empty`] says which is
//! which before anything is opened, migrated or written.

use std::path::Path;
use std::str::FromStr;

use sqlx::{ConnectOptions, Connection};

use crate::{Backend, Store, StoreError};

impl Store {
    /// Writes `instance.backup` (or `instance.restore`) to the audit log
    /// with `detail` (the file, never its contents).
    pub async fn record_backup(&self, restored: bool, detail: String) -> Result<(), StoreError> {
        let tx = self.write().await?;
        let action = if restored {
            "instance.restore"
        } else {
            "instance.backup"
        };
        self.commit_audited(tx, action, detail).await
    }

    /// SQLite only: a consistent copy of the whole database into `path`,
    /// which must be an empty file the caller made private (0600).
    pub async fn backup_sqlite_into(&self, path: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid {
                field: "database_url",
                reason:
                    "VACUUM INTO copies SQLite databases only; PostgreSQL is backed up with pg_dump"
                        .into(),
            });
        }
        let path = path.to_str().ok_or_else(|| StoreError::Invalid {
            field: "file",
            reason: "must be a UTF-8 path".into(),
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Whether the database `url` names holds no tables at all (a SQLite file
/// that does not exist yet counts as empty). Opens nothing for writing
/// and migrates nothing.
pub async fn database_is_empty(url: &str) -> Result<bool, StoreError> {
    sqlx::any::install_default_drivers();
    if url.starts_with("sqlite:") {
        let file = crate::sqlite_path(url)?;
        match std::fs::metadata(&file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
            Err(e) => {
                return Err(StoreError::Invalid {
                    field: "database_url",
                    reason: format!("{}: {e}", file.display()),
                });
            }
            Ok(meta) if meta.len() == 0 => return Ok(true),
            Ok(_) => {}
        }
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .read_only(true);
        let mut conn = options.connect().await?;
        let tables: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'")
                .fetch_one(&mut conn)
                .await?;
        conn.close().await?;
        return Ok(tables == 0);
    }
    let options =
        sqlx::postgres::PgConnectOptions::from_str(url).map_err(|e| StoreError::Invalid {
            field: "database_url",
            reason: e.to_string(),
        })?;
    let mut conn = options.connect().await?;
    let tables: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(tables == 0)
}
