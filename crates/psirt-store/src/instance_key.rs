//! The instance's own OpenPGP key, stored once.
//!
//! The key is made by the binary (with `psirt-mail`) on first run; the
//! store only keeps it. When several replicas start at once, the first
//! insert wins and every replica reads that one back, so the instance has
//! exactly one key. The binary stores the secret key locked with a
//! passphrase (the key-encryption key, which lives outside the database);
//! this module keeps whatever armored text it is given and never sees the
//! passphrase. [`Store::protect_instance_key`] replaces a clear key an
//! older psirt stored with its locked form, once.

use jiff::Timestamp;

use crate::{Store, StoreError, micros};

impl Store {
    /// The stored secret key, ASCII-armored, if there is one yet.
    pub async fn instance_key(&self) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT armored_secret FROM instance_key WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Keeps `armored_secret` as the instance key unless one is already
    /// stored, and returns the one that is (this one, or an earlier one).
    pub async fn keep_instance_key(
        &self,
        armored_secret: &str,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<String, StoreError> {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO instance_key (id, armored_secret, fingerprint, created_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(armored_secret)
        .bind(fingerprint)
        .bind(micros(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            self.commit_audited(
                tx,
                "instance_key.create",
                format!("fingerprint {fingerprint}"),
            )
            .await?;
        } else {
            tx.commit().await?;
        }
        self.instance_key()
            .await?
            .ok_or_else(|| StoreError::Corrupt("the instance key vanished".into()))
    }

    /// Replaces the stored key `clear` with `protected` (the same key,
    /// locked), audited as `instance_key.protect`. `false` when the stored
    /// key is no longer `clear`: another replica protected it first.
    pub async fn protect_instance_key(
        &self,
        clear: &str,
        protected: &str,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        // The condition makes the swap atomic on both databases: of two
        // replicas upgrading at once, one changes the row.
        let changed = sqlx::query(
            "UPDATE instance_key SET armored_secret = $1 WHERE id = 1 AND armored_secret = $2",
        )
        .bind(protected)
        .bind(clear)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            tx.commit().await?;
            return Ok(false);
        }
        let fingerprint: String =
            sqlx::query_scalar("SELECT fingerprint FROM instance_key WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        self.commit_audited(
            tx,
            "instance_key.protect",
            format!("fingerprint {fingerprint}: the secret key is now locked with the key-encryption key"),
        )
        .await?;
        Ok(true)
    }
}
