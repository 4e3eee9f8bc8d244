//! Passwords, browser sessions and reporters' status links.
//!
//! Passwords are stored as Argon2id PHC strings (memory-hard). Session
//! cookies and status-link tokens carry 256 bits of randomness and are
//! stored only as SHA-256 hashes; a leaked database does not let anyone in.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jiff::Timestamp;
use psirt_core::{CaseRef, EmailAddress, UserId};
use sqlx::Row;

use crate::accounts::{ApiToken, User, token_hash, user_from_row};
use crate::{Store, StoreError, micros};

/// A new browser session: the cookie value (shown once) and its CSRF token.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    pub cookie: ApiToken,
    pub csrf: String,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSession(<redacted>)")
    }
}

/// A live session, looked up by its cookie.
#[derive(Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    pub expires_at: Timestamp,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user.id)
            .finish_non_exhaustive()
    }
}

/// The shortest password accepted.
pub const MIN_PASSWORD: usize = 12;

impl Store {
    /// Sets (or replaces) a user's password, and ends every browser
    /// session of the account: whoever knew the old one is signed out.
    pub async fn set_password(&self, user: UserId, password: &str) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.get())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("{user}")));
        }
        let ended = end_sessions_of(&mut tx, user).await?;
        self.commit_audited(
            tx,
            "password.set",
            format!("user {}, {ended} session(s) ended", user.get()),
        )
        .await?;
        Ok(())
    }

    /// The user whose e-mail and password these are, if they are.
    pub async fn check_password(
        &self,
        email: &EmailAddress,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, email, name, is_admin, password_hash FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        // An unknown user still costs one hash, so timing does not tell
        // which e-mail addresses have accounts.
        const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$yqDLKwHyY8jWVYUuCF7kVbvcPRXdDOyRz4l4Nk8cHsQ";
        let (user, stored) = match &row {
            Some(row) => {
                let stored: Option<String> = row.try_get("password_hash")?;
                (
                    Some(user_from_row(row)?),
                    stored.unwrap_or_else(|| DUMMY.to_string()),
                )
            }
            None => (None, DUMMY.to_string()),
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(user.filter(|_| ok && stored != DUMMY))
    }

    /// Opens a browser session for `user`, valid for `ttl`.
    pub async fn create_session(
        &self,
        user: &User,
        now: Timestamp,
        ttl: jiff::SignedDuration,
    ) -> Result<NewSession, StoreError> {
        let cookie = ApiToken::generate()?;
        let csrf = ApiToken::generate()?
            .reveal()
            .trim_start_matches("psirt_")
            .to_string();
        let expires_at = now
            .saturating_add(ttl)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash(cookie.reveal()))
        .bind(user.id.get())
        .bind(&csrf)
        .bind(micros(now))
        .bind(micros(expires_at))
        .execute(&mut *tx)
        .await?;
        self.commit_audited(
            tx,
            "session.create",
            format!("user {}, until {expires_at}", user.id.get()),
        )
        .await?;
        Ok(NewSession {
            cookie,
            csrf,
            expires_at,
        })
    }

    /// The live session behind a cookie; expired sessions are not returned.
    pub async fn session(
        &self,
        cookie: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.is_admin, s.csrf, s.expires_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash(cookie))
        .bind(micros(now))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires: i64 = row.try_get("expires_at")?;
        Ok(Some(Session {
            user: user_from_row(&row)?,
            csrf: row.try_get("csrf")?,
            expires_at: Timestamp::from_microsecond(expires)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        }))
    }

    /// Ends a session (logout). Ending an unknown session is not an error.
    pub async fn end_session(&self, cookie: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let user: Option<i64> =
            sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING user_id")
                .bind(token_hash(cookie))
                .fetch_optional(&mut *tx)
                .await?;
        // Nothing ended, nothing to record.
        let Some(user) = user else { return Ok(()) };
        self.commit_audited(tx, "session.end", format!("user {user}"))
            .await?;
        Ok(())
    }

    /// Signs the account out everywhere: ends every browser session of
    /// `user` (API tokens stay; [`Store::revoke_tokens`] ends those too).
    /// Returns how many were live.
    pub async fn end_sessions(&self, user: UserId) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let ended = end_sessions_of(&mut tx, user).await?;
        self.commit_audited(
            tx,
            "session.end_all",
            format!("user {}, {ended} session(s)", user.get()),
        )
        .await?;
        Ok(ended)
    }

    /// The case a reporter's status-link token opens, if any.
    pub async fn status_case(&self, token: &str) -> Result<Option<CaseRef>, StoreError> {
        let reference: Option<String> = sqlx::query_scalar(
            "SELECT c.reference FROM status_tokens t JOIN cases c ON c.id = t.case_id WHERE t.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&self.pool)
        .await?;
        reference
            .map(|r| {
                r.parse()
                    .map_err(|e: psirt_core::IdError| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }
}

/// Ends every browser session of `user`, in `tx`; returns how many.
pub(crate) async fn end_sessions_of(
    tx: &mut sqlx::AnyConnection,
    user: UserId,
) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.get())
        .execute(&mut *tx)
        .await?
        .rows_affected())
}

/// Ends every way `user` is signed in, in `tx`: their browser sessions and
/// their API tokens. What revoking an account and removing a person from a
/// distributor organisation do.
pub(crate) async fn end_access_of(
    tx: &mut sqlx::AnyConnection,
    user: UserId,
    now: Timestamp,
) -> Result<Revoked, StoreError> {
    let tokens = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    )
    .bind(micros(now))
    .bind(user.get())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let sessions = end_sessions_of(tx, user).await?;
    Ok(Revoked { tokens, sessions })
}

/// What ending an account's access ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Revoked {
    /// API tokens that were live.
    pub tokens: u64,
    /// Browser sessions that were open.
    pub sessions: u64,
}

/// The Argon2id PHC string of `password`, once it is long enough.
pub(crate) fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid {
            field: "password",
            reason: format!("must be at least {MIN_PASSWORD} characters"),
        });
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .to_string())
}
