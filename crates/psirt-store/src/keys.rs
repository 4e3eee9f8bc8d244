//! Recipients' OpenPGP keys on file: mail to an address with a key is
//! encrypted to it. Keys change only here, each change with its `key.put`
//! audit entry: by the address's own account, an account manager or the
//! local administrator (`Operation::PutKey`, decided by `authorize_about`),
//! or in the store's own transactions that `put_key_in` serves (a person
//! confirming the key their organisation named for them, a founding
//! member's key). A key crosses the store's boundary as a [`CheckedKey`].

use jiff::Timestamp;
use psirt_core::{EmailAddress, Operation};
use sqlx::AnyConnection;

use crate::audit::{self, AuditEntry};
use crate::standing::audit_actor;
use crate::{Caller, Store, StoreError, micros};

/// A recipient's public key as the store keeps it, checked once at the
/// boundary: the edge checks that the key can be encrypted to
/// (`psirt_mail::PublicKey::from_armored`) and hands over its fingerprint
/// and armored text, which [`CheckedKey::new`] checks for form (a v4 or v5
/// fingerprint in hexadecimal, kept as given, since the key listings and the
/// keys organisations name compare it as text; one armored public key block
/// of bounded size, kept trimmed). The store takes this type, never two
/// strings.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedKey {
    fingerprint: String,
    armored: String,
}

/// At most this many bytes of armored key.
const MAX_ARMORED: usize = 1_000_000;

impl CheckedKey {
    pub fn new(fingerprint: &str, armored: &str) -> Result<CheckedKey, StoreError> {
        let invalid = |reason: &str| StoreError::Invalid {
            field: "key",
            reason: reason.into(),
        };
        let fingerprint = fingerprint.to_string();
        if !matches!(fingerprint.len(), 40 | 64)
            || !fingerprint.chars().all(|c| c.is_ascii_hexdigit())
        {
            return Err(invalid(
                "the fingerprint must be 40 or 64 hexadecimal digits",
            ));
        }
        let armored = armored.trim();
        if armored.len() > MAX_ARMORED {
            return Err(invalid("the key must be at most 1,000,000 bytes"));
        }
        if !armored.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----")
            || !armored.ends_with("-----END PGP PUBLIC KEY BLOCK-----")
        {
            return Err(invalid(
                "the key must be one ASCII-armored public key block",
            ));
        }
        Ok(CheckedKey {
            fingerprint,
            armored: armored.to_string(),
        })
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn armored(&self) -> &str {
        &self.armored
    }
}

impl std::fmt::Debug for CheckedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Puts `key` on file for `email` (replacing any): by the address's
    /// own account, an account manager, or psirt itself (the local
    /// administrator's `psirt key add`), as `authorize_about` decides
    /// (`Operation::PutKey`). The only way a key on file changes from
    /// outside the store; it writes `key.put` to the audit log.
    pub async fn put_key(
        &self,
        caller: &Caller,
        email: &EmailAddress,
        key: &CheckedKey,
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
        let mut tx = self.write().await?;
        let actor = audit_actor(&caller.principal);
        put_key_in(
            &mut tx,
            self.backend,
            (&actor, &caller.origin),
            email,
            key,
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
    key: &CheckedKey,
    now: Timestamp,
) -> Result<(), StoreError> {
    let (fingerprint, armored) = (key.fingerprint(), key.armored());
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
