//! The instance's own OpenPGP key, stored once.
//!
//! The key is made by the binary (with `psirt-mail`) on first run; the
//! store only keeps it. When several replicas start at once, the first
//! insert wins and every replica reads that one back, so the instance has
//! exactly one key. The secret key is held in the database as it is
//! (protect the database as you would the key).

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
}
