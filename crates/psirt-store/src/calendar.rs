//! Each person's private calendar link: a secret token in a URL that
//! calendar applications poll without signing in. It reads only what its
//! owner may see, as them, and like their other reads it is audited; the
//! feed it serves names references and due times, never a summary.

use jiff::Timestamp;
use psirt_core::UserId;

use crate::accounts::{User, token_hash};
use crate::{Store, StoreError};

impl Store {
    /// A new calendar link token for the user, replacing any earlier one
    /// (which stops working at once). Shown to its owner once.
    pub async fn new_calendar_link(
        &self,
        user: UserId,
        now: Timestamp,
    ) -> Result<crate::ApiToken, StoreError> {
        let token = crate::ApiToken::generate()?;
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM calendar_links WHERE user_id = $1")
            .bind(user.get())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO calendar_links (user_id, token_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user.get())
        .bind(token_hash(token.reveal()))
        .bind(now.as_second())
        .execute(&mut *tx)
        .await?;
        self.commit_audited(tx, "calendar.link", format!("user {}", user.get()))
            .await?;
        Ok(token)
    }

    /// The person whose calendar link this token is, if it is current.
    pub async fn calendar_owner(&self, token: &str) -> Result<Option<User>, StoreError> {
        self.user_by_token(
            "SELECT u.id, u.email, u.name, u.is_admin FROM calendar_links c JOIN users u ON u.id = c.user_id \
             WHERE c.token_hash = $1",
            token,
        )
        .await
    }
}
