//! Recipients' OpenPGP keys on file: mail to an address with a key is
//! encrypted to it. Keys change only here, each change with its `key.put`
//! audit entry: by the address's own account or an account manager
//! (`Operation::PutKey`, decided by `authorize_about`), by the local
//! administrator, or in the store's own transactions that `put_key_in`
//! serves (a person confirming the key their organisation named for them, a
//! founding member's key).

use jiff::Timestamp;
use psirt_core::{EmailAddress, Operation};
use sqlx::AnyConnection;

use crate::audit::{self, AuditEntry};
use crate::standing::audit_actor;
use crate::{Caller, Store, StoreError, micros};

impl Store {
    /// Puts `armored` on file as the key for `email` (replacing any): by
    /// the address's own account or an account manager, as
    /// `authorize_about` decides (`Operation::PutKey`). The caller has
    /// checked the key (psirt-mail's `PublicKey::from_armored`) and passes
    /// its fingerprint. This and [`Store::keep_key`] are the only ways a key
    /// on file changes from outside the store; both write `key.put` to the
    /// audit log.
    pub async fn put_key(
        &self,
        caller: &Caller,
        email: &EmailAddress,
        fingerprint: &str,
        armored: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let about = psirt_core::About {
            own_address: caller
                .user()
                .is_some_and(|u| u.email.as_str().eq_ignore_ascii_case(email.as_str())),
            ..psirt_core::About::default()
        };
        let actor = self.instance_actor(caller).await?;
        psirt_core::authorize_about(&actor, Operation::PutKey, about)
            .map_err(psirt_core::Refusal::from)?;
        self.keep_key(caller, email, fingerprint, armored, now)
            .await
    }

    /// [`Store::put_key`] for the local administrator on the command line,
    /// who is outside access control like account creation
    /// ([`Store::add_user`]): whoever runs the binary holds the database
    /// anyway. The change is in the audit log as `caller`'s.
    pub async fn keep_key(
        &self,
        caller: &Caller,
        email: &EmailAddress,
        fingerprint: &str,
        armored: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        let actor = audit_actor(&caller.principal);
        put_key_in(
            &mut tx,
            self.backend,
            (&actor, &caller.origin),
            email,
            fingerprint,
            armored,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The public key on file for `email`, ASCII-armored.
    pub async fn key_for(&self, email: &EmailAddress) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT armored FROM openpgp_keys WHERE email = $1")
                .bind(email.as_str())
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Replaces the key on file for `email`, in `tx`, with a `key.put` entry in
/// the audit log naming `actor` (from `origin`). Callers have decided that
/// they may:
/// [`Store::put_key`], and a person confirming, signed in, the key their
/// distributor organisation named for them.
pub(crate) async fn put_key_in(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    (actor, origin): (&str, &str),
    email: &EmailAddress,
    fingerprint: &str,
    armored: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM openpgp_keys WHERE email = $1")
        .bind(email.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO openpgp_keys (email, fingerprint, armored, added_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(email.as_str())
    .bind(fingerprint)
    .bind(armored)
    .bind(micros(now))
    .execute(&mut *tx)
    .await?;
    audit::append(
        tx,
        backend,
        &AuditEntry {
            actor: actor.to_string(),
            action: "key.put".into(),
            case: None,
            origin: origin.to_string(),
            detail: format!("{email} {fingerprint}"),
        },
    )
    .await
}
