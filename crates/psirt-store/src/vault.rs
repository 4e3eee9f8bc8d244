//! The vault: how secrets that psirt must use again (a project's GitHub
//! token, its CVE Services API key) are kept at rest.
//!
//! Each secret is sealed with AES-256-GCM under a key derived with Argon2id
//! from the instance's key-encryption key (the same KEK that locks the
//! instance's OpenPGP key; the binary reads it, see `psirt/src/kek.rs`) and
//! a random salt kept in the one-row `vault` table. The additional data
//! binds a sealed secret to its project and service, so a row copied to
//! another project or service does not open. The table also holds a sealed
//! probe, so a wrong KEK is refused when the vault is opened, naming the
//! problem, rather than at the first secret.
//!
//! The KEK is never stored, logged or kept past [`Store::open_vault`]; a
//! [`Vault`] holds only the derived key and `Debug`s as redacted.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use jiff::Timestamp;

use crate::{Store, StoreError, micros};

const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 12;
const PROBE: &[u8] = b"psirt vault probe";
const PROBE_AAD: &[u8] = b"psirt/vault/probe";

/// The key that seals and opens stored secrets. Made by
/// [`Store::open_vault`]; its `Debug` is redacted.
#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Vault(<redacted>)")
    }
}

/// A sealed secret that does not open: damaged, moved to another row, or
/// sealed under another KEK.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret does not open with this key-encryption key")]
pub struct Unsealable;

impl Vault {
    fn derive(kek: &[u8], salt: &[u8]) -> Result<Vault, StoreError> {
        let mut key = [0u8; 32];
        argon2::Argon2::default()
            .hash_password_into(kek, salt, &mut key)
            .map_err(|e| StoreError::Invalid {
                field: "key-encryption key",
                reason: e.to_string(),
            })?;
        let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(key));
        Ok(Vault { cipher })
    }

    /// Seals `secret` for the place named by `aad`: a fresh random nonce,
    /// then the ciphertext with its tag.
    pub(crate) fn seal(&self, aad: &[u8], secret: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), Payload { msg: secret, aad })
            .expect("AES-GCM sealing of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens what [`Vault::seal`] sealed for the same `aad`.
    pub(crate) fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
        if sealed.len() < NONCE_LEN {
            return Err(Unsealable);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Unsealable)?;
        self.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: body, aad })
            .map_err(|_| Unsealable)
    }
}

impl Store {
    /// Opens the vault with the instance's key-encryption key: the first
    /// call on a database makes its salt and probe (several replicas may
    /// race; the first insert wins and all read it back), every later one
    /// checks that `kek` is the key that made them.
    pub async fn open_vault(&self, kek: &[u8], now: Timestamp) -> Result<Vault, StoreError> {
        if let Some(vault) = self.existing_vault(kek).await? {
            return Ok(vault);
        }
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).expect("the operating system's random source");
        let vault = Vault::derive(kek, &salt)?;
        let probe = vault.seal(PROBE_AAD, PROBE);
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO vault (id, salt, probe, created_at) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(hex::encode(salt))
        .bind(hex::encode(probe))
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.existing_vault(kek)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the vault row vanished".into()))
    }

    async fn existing_vault(&self, kek: &[u8]) -> Result<Option<Vault>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT salt, probe FROM vault WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?;
        let Some((salt, probe)) = row else {
            return Ok(None);
        };
        let salt =
            hex::decode(salt).map_err(|e| StoreError::Corrupt(format!("vault salt: {e}")))?;
        let probe =
            hex::decode(probe).map_err(|e| StoreError::Corrupt(format!("vault probe: {e}")))?;
        let vault = Vault::derive(kek, &salt)?;
        match vault.open(PROBE_AAD, &probe) {
            Ok(text) if text == PROBE => Ok(Some(vault)),
            _ => Err(StoreError::Invalid {
                field: "key-encryption key",
                reason: "it is not the key that sealed this database's service credentials; restore the key file (or passphrase) from your backup".into(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_for_its_place_and_key() {
        let vault = Vault::derive(b"0123456789abcdef0123", b"salt-salt-salt-1").unwrap();
        let sealed = vault.seal(b"project a/github", b"ghp_token");
        assert_eq!(
            vault.open(b"project a/github", &sealed).unwrap(),
            b"ghp_token"
        );
        assert!(vault.open(b"project b/github", &sealed).is_err());
        let other = Vault::derive(b"another key-encryption key", b"salt-salt-salt-1").unwrap();
        assert!(other.open(b"project a/github", &sealed).is_err());
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(vault.open(b"project a/github", &flipped).is_err());
        assert!(vault.open(b"project a/github", &sealed[..5]).is_err());
        // Two seals of one secret differ (a fresh nonce each time).
        assert_ne!(sealed, vault.seal(b"project a/github", b"ghp_token"));
        assert_eq!(format!("{vault:?}"), "Vault(<redacted>)");
    }
}
