//! Durable storage for psirt, and the service layer that runs one command
//! as one transaction.
//!
//! This crate owns the schema (one design, migrations for SQLite and for
//! PostgreSQL under `migrations/`), the translation between rows and core
//! types, and the sequence every state change follows: lock the case, load
//! it, ask `psirt_core::decide`, append the resulting events, bump the
//! version, commit. The CLI and the server both call [`Store`]; neither
//! re-implements a rule, and this crate decides nothing itself: every
//! "may they?" and "is it due?" question goes to `psirt-core`.
//!
//! It must never log report bodies or tokens. Every state change and every
//! read of embargoed content is appended to the audit log (`audit.rs`) in
//! the same transaction as the change.

mod access;
mod accounts;
mod attachments;
mod audit;
mod backup;
mod calendar;
mod cases;
mod distributors;
mod error;
mod figures;
mod folds;
mod group;
mod held;
mod inbound;
mod instance_key;
mod intake;
mod integrations;
mod invitations;
mod keys;
mod migrations;
mod outbox;
pub mod private;
mod publication;
pub mod services;
mod sessions;
mod similar;
mod standing;
mod summaries;
mod triage;
mod vault;
mod witness;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

pub use accounts::{ApiToken, Project, PstMember, User};
pub use attachments::{
    Attachment, AttachmentInfo, CONTENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS,
    MAX_NAME_CHARS, NewAttachment, check_attachments, clean_content_type, clean_name,
};
pub use audit::{
    AuditBreak, AuditHead, AuditRecord, AuditReport, BreakKind, Checkpoint, Witnessed,
};
pub use backup::database_is_empty;
pub use cases::CaseRecord;
pub use distributors::{
    Application, CRITERIA, Delivery, DistributorOrg, DistributorPerson, Feedback, FeedbackKind,
    HelpRequest, HelpTopic, LeakCount, NewLeak, NewPerson, NotificationStatus, NotifiedCase,
    OrgDecision, OrgEvent, OrgState, Outcome, PreNotificationText,
};
pub use error::StoreError;
pub use figures::Figures;
pub use group::{Arrival, MAX_BATCH, MAX_BATCH_TIME, MAX_GATHER};
pub use inbound::{InboundMessage, InboundRecord, Ingested};
pub use intake::Intake;
pub use integrations::{Step, StepState, StepStatus, backoff};
pub use invitations::{Invitation, Invited};
pub use keys::CheckedKey;
pub use outbox::{DraftDecision, MailRecord, MailState, Outgoing, Retry};
pub use services::{Service, ServiceConfig, ServiceEntry, ServiceSecret, ServiceSettings};
pub use sessions::{MIN_PASSWORD, NewSession, Revoked, Session};
pub use similar::Suggestion;
pub use standing::{Caller, Principal};
pub use summaries::{DEFAULT_PAGE, ListQuery, MAX_PAGE, Page, PageSize, StateFilter};
pub use triage::{ReplyTemplate, TEMPLATE_MAX};
pub use vault::{Unsealable, Vault};

/// The Message-ID domain until one is configured.
pub const DEFAULT_MAIL_DOMAIN: &str = "psirt.localhost";

/// The address links in mail point to until [`Store::with_public_url`].
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// How long a pooled connection may sit idle before it is tested again
/// when taken (it was tested when it was put back).
const RETEST_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// How many connections the group commit's batches have of their own:
/// they run one at a time, and the one after takes its connection while
/// the one before gives its back.
const BATCH_CONNECTIONS: u32 = 2;

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The database, migrated and ready.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// The group commit's own connections; see `group.rs`.
    batch_pool: AnyPool,
    backend: Backend,
    /// Who the audit log names for account and project changes made
    /// through this handle: `(actor, origin)`; `None` is the local
    /// administrator on the command line. See [`Store::by`].
    by: Option<std::sync::Arc<(String, String)>>,
    /// The queue of this process's SQLite writers; see [`Store::write`].
    sqlite_writer: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The queue of intake and audited reads that share a transaction;
    /// see `group.rs`.
    group: std::sync::Arc<group::Group>,
    /// Cases folded by earlier reads; see `folds.rs`.
    folds: std::sync::Arc<folds::Folds>,
    /// The right-hand side of the Message-IDs the outbox makes; see
    /// [`Store::with_mail_domain`].
    mail_domain: std::sync::Arc<str>,
    /// Where people reach psirt, for the links in mail; see
    /// [`Store::with_public_url`].
    public_url: std::sync::Arc<str>,
}

/// A write transaction, holding this process's SQLite writer turn until it
/// commits or is dropped. It derefs to the connection, so statements run
/// on `&mut *tx` as on a plain transaction.
pub(crate) struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

impl Store {
    /// Connects to `sqlite://PATH` or `postgres://…`, creates the SQLite file
    /// (and its directory) on first use, and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::Invalid {
                field: "database_url",
                reason: format!("{url:?} is neither sqlite://PATH nor postgres://…"),
            });
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_string(),
        };
        let sqlite_path = (backend == Backend::Sqlite).then(|| sqlite_file(&url));
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Invalid {
                field: "database_url",
                reason: e.to_string(),
            })?
            .disable_statement_logging();
        let pool_of = |size: u32| {
            AnyPoolOptions::new()
                .max_connections(size)
                // sqlx tests every connection as it goes back to the pool; by
                // default it tests it again as it is taken, a second round
                // trip for every query (on SQLite, a hop to the connection's
                // thread and back; on PostgreSQL, to the server). Only a
                // connection that sat idle long enough to have been dropped
                // (a server restart, a firewall) is tested again.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= RETEST_AFTER_IDLE {
                            use sqlx::Connection;
                            conn.ping().await?;
                        }
                        Ok(true)
                    })
                })
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            use sqlx::Executor;
                            // WAL: readers never block the writer; busy_timeout:
                            // a second writer waits instead of failing at once.
                            conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                                .await?;
                        }
                        Ok(())
                    })
                })
        };
        // SQLite has one writer; extra connections only help readers.
        let pool = pool_of(if backend == Backend::Sqlite { 4 } else { 10 })
            .connect_with(options.clone())
            .await?;
        // The group commit's batches run one at a time, each on a
        // connection of their own, so that a batch (which every request in
        // it waits for) never queues behind the requests' own reads for one
        // of the pool's.
        let batch_pool = pool_of(BATCH_CONNECTIONS).connect_with(options).await?;
        let store = Store {
            pool,
            batch_pool,
            backend,
            by: None,
            sqlite_writer: Default::default(),
            group: Default::default(),
            folds: Default::default(),
            mail_domain: DEFAULT_MAIL_DOMAIN.into(),
            public_url: DEFAULT_PUBLIC_URL.into(),
        };
        migrations::run(&store).await?;
        store.fill_missing_summaries().await?;
        if let Some(path) = sqlite_path {
            // SQLite made -wal and -shm with the database's mode; files an
            // older psirt left readable are tightened here.
            private::tighten_sqlite_files(&path);
        }
        Ok(store)
    }

    /// The same store, with account and project changes recorded in the
    /// audit log as done by `caller` (the server passes each request's).
    pub fn by(&self, caller: &Caller) -> Store {
        let who = (
            standing::audit_actor(&caller.principal),
            caller.origin.clone(),
        );
        Store {
            by: Some(std::sync::Arc::new(who)),
            ..self.clone()
        }
    }

    /// The same store, making Message-IDs in `domain` (the domain of the
    /// instance's From address) instead of [`DEFAULT_MAIL_DOMAIN`].
    pub fn with_mail_domain(&self, domain: &str) -> Store {
        Store {
            mail_domain: domain.into(),
            ..self.clone()
        }
    }

    /// The same store, writing links in mail (invitations) under `url`
    /// (the `public_url` setting) instead of [`DEFAULT_PUBLIC_URL`].
    pub fn with_public_url(&self, url: &str) -> Store {
        Store {
            public_url: url.trim_end_matches('/').into(),
            ..self.clone()
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Succeeds when the database answers and is migrated.
    pub async fn ping(&self) -> Result<(), StoreError> {
        migrations::check(self).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue instead of deadlocking on a
    /// lock upgrade; on PostgreSQL rows are locked as they are read.
    ///
    /// SQLite has one writer at a time anyway; writers of this process also
    /// queue on an in-process lock first, in arrival order, instead of
    /// sleeping in SQLite's busy handler (whose growing back-off made the
    /// slowest writes wait up to a second under load). Other processes
    /// (a `psirt` command next to the server) still meet `busy_timeout`.
    async fn write(&self) -> Result<WriteTx, StoreError> {
        self.write_on(&self.pool).await
    }

    /// [`Store::write`] on a connection of `pool`.
    async fn write_on(&self, pool: &AnyPool) -> Result<WriteTx, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => {
                let guard = self.sqlite_writer.clone().lock_owned().await;
                let tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                WriteTx {
                    tx,
                    _writer: Some(guard),
                }
            }
            Backend::Postgres => WriteTx {
                tx: pool.begin().await?,
                _writer: None,
            },
        })
    }
}

/// `sqlite://PATH` with the directory created and `mode=rwc` so the file is
/// created on first run.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Invalid {
            field: "database_url",
            reason: "psirt needs a SQLite file (sqlite://PATH), not an in-memory database".into(),
        });
    }
    private::prepare_sqlite_file(std::path::Path::new(path))?;
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// The database file a `sqlite:` database URL names.
pub fn sqlite_path(url: &str) -> Result<std::path::PathBuf, StoreError> {
    Ok(sqlite_file(&sqlite_url(url)?))
}

/// The file of a `sqlite://PATH?…` URL as [`sqlite_url`] wrote it.
fn sqlite_file(url: &str) -> std::path::PathBuf {
    let rest = url.trim_start_matches("sqlite://");
    std::path::PathBuf::from(rest.split_once('?').map_or(rest, |(p, _)| p))
}

/// Unix microseconds, the schema's representation of an instant.
fn micros(t: jiff::Timestamp) -> i64 {
    t.as_microsecond()
}

/// The `VALUES` of a multi-row INSERT: `rows` tuples of `columns`
/// placeholders, numbered from `$1`: `($1, $2), ($3, $4)`. One row of
/// `n` is the list of an `IN`: `($1, $2, $3)`.
pub(crate) fn values_list(rows: usize, columns: usize) -> String {
    values_list_cast(rows, columns, |_| None)
}

/// [`values_list`] with the placeholder of each column for which `cast`
/// names a type cast to it: `($1, CAST($2 AS tsvector))`.
pub(crate) fn values_list_cast(
    rows: usize,
    columns: usize,
    cast: impl Fn(usize) -> Option<&'static str>,
) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            let n = row * columns + column + 1;
            // Writing to a String cannot fail.
            let _ = match cast(column) {
                Some(ty) => write!(out, "CAST(${n} AS {ty})"),
                None => write!(out, "${n}"),
            };
        }
        out.push(')');
    }
    out
}

/// Hooks for this crate's own integration tests, which must look at the
/// rows themselves (to prove nothing was half-written, or that a token is
/// stored only hashed). Not part of the API: enabled by the `testing`
/// feature, which only the crate's dev-dependency on itself turns on.
#[cfg(feature = "testing")]
#[doc(hidden)]
impl Store {
    /// Every audit entry as `(actor, action, origin)`, in order.
    pub async fn audit_all_for_tests(&self) -> (Vec<(String, String, String)>, u64) {
        use sqlx::Row;
        let rows = sqlx::query("SELECT actor, action, origin FROM audit_log ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .expect("audit rows");
        let all: Vec<(String, String, String)> = rows
            .iter()
            .map(|r| (r.get("actor"), r.get("action"), r.get("origin")))
            .collect();
        let n = all.len() as u64;
        (all, n)
    }

    pub async fn raw_count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.pool)
            .await
            .expect("count query")
    }

    /// The one text column of each row of `sql`, in its order.
    pub async fn raw_strings(&self, sql: &'static str) -> Vec<String> {
        sqlx::query_scalar(sql)
            .fetch_all(&self.pool)
            .await
            .expect("text query")
    }

    /// Runs one statement as is: how the audit tests tamper with the log.
    pub async fn raw_execute(&self, sql: &'static str) -> u64 {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .expect("raw statement")
            .rows_affected()
    }

    /// Every `project_services` row as `(project, service, settings, sealed)`.
    pub async fn service_rows_for_tests(&self) -> Vec<(String, String, String, String)> {
        sqlx::query_as("SELECT project, service, settings, sealed FROM project_services ORDER BY project, service")
            .fetch_all(&self.pool)
            .await
            .expect("service rows")
    }

    pub async fn migrate_again(&self) -> Result<(), StoreError> {
        migrations::run(self).await
    }

    pub async fn stored_token_count_equal_to(&self, token: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1")
            .bind(token)
            .fetch_one(&self.pool)
            .await
            .expect("count query")
    }
}

#[cfg(test)]
mod tests {
    use super::{values_list, values_list_cast};

    #[test]
    fn values_lists_number_their_placeholders_row_by_row() {
        assert_eq!(values_list(2, 2), "($1, $2), ($3, $4)");
        assert_eq!(values_list(1, 3), "($1, $2, $3)");
        assert_eq!(
            values_list_cast(2, 2, |column| (column == 1).then_some("tsvector")),
            "($1, CAST($2 AS tsvector)), ($3, CAST($4 AS tsvector))"
        );
    }
}
