//! The store's one error type.

use psirt_core::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule or the access decision refused the command; nothing was written.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The thing asked for does not exist (or the actor may not know it does).
    #[error("{0} not found")]
    NotFound(String),
    /// The case changed since the caller last read it.
    #[error(
        "case {reference} changed meanwhile (now at version {actual}, you expected {expected}); reload it and try again"
    )]
    Conflict {
        reference: String,
        expected: u64,
        actual: u64,
    },
    /// The thing acted on is not in a state that allows this (an
    /// organisation already decided on, say): the request is well formed,
    /// the thing has moved on. Says where it is and what the step needs.
    #[error("{0}")]
    WrongState(String),
    /// Input that cannot be stored as given.
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// Was there, and is no more: a used or expired one-time link. Says
    /// what to do instead.
    #[error("{0}")]
    Gone(String),
    /// Already exists (a user with that e-mail, a project with that slug).
    #[error("{0} already exists")]
    Duplicate(String),
    /// A quota counted in the database (reports a day per reporter
    /// address) is used up: `what` names the field and the limit.
    #[error("{what}")]
    QuotaExceeded { what: String, retry_after_secs: u64 },
    /// A stored row that does not read back as what was written.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// A unique-constraint violation becomes `Duplicate(what)`.
    pub(crate) fn duplicate(e: sqlx::Error, what: impl Into<String>) -> StoreError {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(what.into())
            }
            _ => StoreError::Database(e),
        }
    }
}
