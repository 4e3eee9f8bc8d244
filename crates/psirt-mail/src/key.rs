//! OpenPGP keys: the instance's own key ([`InstanceKey`], secret) and
//! recipients' keys on file ([`PublicKey`]), with the validity checks that
//! decide whether a key may be used (not expired, not revoked, able to
//! encrypt) and the [`Fingerprint`] that names them.
//!
//! This module owns key material and nothing else: it never writes a key
//! anywhere (the caller stores the armored secret), never prints secret
//! material in `Debug`, and never reads the clock (`now` is an argument).

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use pgp::composed::{
    Deserializable, EncryptionCaps, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SignedPublicSubKey, SignedSecretKey, SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{Signature, SignatureType};
use pgp::types::{KeyDetails, Password};

use crate::Error;

/// An OpenPGP v4 fingerprint: 40 upper-case hexadecimal digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn of(fp: &pgp::types::Fingerprint) -> Fingerprint {
        Fingerprint(format!("{fp:X}"))
    }
}

impl FromStr for Fingerprint {
    type Err = Error;

    /// Accepts the forms people paste: spaces between groups, lower case, an
    /// `0x` prefix.
    fn from_str(s: &str) -> Result<Fingerprint, Error> {
        let hex: String = s
            .trim()
            .trim_start_matches("0x")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Fingerprint(format!(
                "{s:?} is not an OpenPGP v4 fingerprint (40 hexadecimal digits)"
            )));
        }
        Ok(Fingerprint(hex.to_ascii_uppercase()))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.0)
    }
}

/// The instance's own key: an ed25519 primary key that certifies and signs,
/// and a cv25519 subkey for encryption. Unprotected in memory; the caller
/// keeps the armored form wherever it keeps secrets.
#[derive(Clone)]
pub struct InstanceKey {
    pub(crate) secret: SignedSecretKey,
    pub(crate) public: SignedPublicKey,
}

impl fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstanceKey")
            .field("fingerprint", &self.fingerprint())
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl InstanceKey {
    /// Makes a new key for `user_id` (e.g. `psirt <security@example.org>`),
    /// with no expiry, from the operating system's random source.
    pub fn generate(user_id: &str) -> Result<InstanceKey, Error> {
        if user_id.trim().is_empty() || user_id.contains(['\r', '\n']) {
            return Err(Error::Key(format!(
                "{user_id:?} is not a user id such as \"psirt <security@example.org>\""
            )));
        }
        let bad = |e: &dyn fmt::Display| Error::Key(format!("cannot make the key: {e}"));
        let subkey = SubkeyParamsBuilder::default()
            .key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
            .can_sign(false)
            .can_encrypt(EncryptionCaps::All)
            .build()
            .map_err(|e| bad(&e))?;
        let params = SecretKeyParamsBuilder::default()
            .key_type(KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .can_encrypt(EncryptionCaps::None)
            .primary_user_id(user_id.to_string())
            .preferred_symmetric_algorithms(
                [SymmetricKeyAlgorithm::AES256, SymmetricKeyAlgorithm::AES128]
                    .into_iter()
                    .collect(),
            )
            .preferred_hash_algorithms(
                [HashAlgorithm::Sha256, HashAlgorithm::Sha512]
                    .into_iter()
                    .collect(),
            )
            .preferred_compression_algorithms(Default::default())
            .subkeys(vec![subkey])
            .build()
            .map_err(|e| bad(&e))?;
        let secret = params.generate(rand::thread_rng()).map_err(|e| bad(&e))?;
        Ok(InstanceKey::from_secret(secret))
    }

    fn from_secret(secret: SignedSecretKey) -> InstanceKey {
        let public = secret.to_public_key();
        InstanceKey { secret, public }
    }

    /// The secret key, ASCII-armored and unprotected: store it as a secret.
    pub fn to_armored_secret(&self) -> Result<String, Error> {
        self.secret
            .to_armored_string(Default::default())
            .map_err(|e| Error::Key(format!("cannot armor the secret key: {e}")))
    }

    /// The secret key, ASCII-armored, with every secret key packet (the
    /// primary key and each subkey) locked with `passphrase` the way
    /// OpenPGP does it (RFC 4880 §5.5.3: AES-256 in CFB mode, the key
    /// derived with the iterated and salted S2K, a SHA-1 integrity check).
    /// GnuPG reads it with the same passphrase.
    pub fn to_armored_protected(&self, passphrase: &[u8]) -> Result<String, Error> {
        if passphrase.is_empty() {
            return Err(Error::Key("the passphrase is empty".into()));
        }
        let bad = |e: &dyn fmt::Display| Error::Key(format!("cannot protect the secret key: {e}"));
        let password = Password::from(passphrase);
        let mut locked = self.secret.clone();
        locked
            .primary_key
            .set_password(rand::thread_rng(), &password)
            .map_err(|e| bad(&e))?;
        for sub in &mut locked.secret_subkeys {
            sub.key
                .set_password(rand::thread_rng(), &password)
                .map_err(|e| bad(&e))?;
        }
        locked
            .to_armored_string(Default::default())
            .map_err(|e| Error::Key(format!("cannot armor the secret key: {e}")))
    }

    /// Whether an armored secret key has any secret key packet locked with
    /// a passphrase (then [`InstanceKey::from_armored_protected`] reads it).
    pub fn is_protected(armored: &str) -> Result<bool, Error> {
        let secret = parse_secret(armored)?;
        Ok(secret.primary_key.secret_params().is_encrypted()
            || secret
                .secret_subkeys
                .iter()
                .any(|s| s.key.secret_params().is_encrypted()))
    }

    /// Reads an unprotected armored secret key. A locked one is refused:
    /// use [`InstanceKey::from_armored_protected`].
    pub fn from_armored_secret(armored: &str) -> Result<InstanceKey, Error> {
        if InstanceKey::is_protected(armored)? {
            return Err(Error::Key(
                "the secret key is protected with a passphrase".into(),
            ));
        }
        InstanceKey::checked(parse_secret(armored)?)
    }

    /// Reads an armored secret key locked with `passphrase` and unlocks it
    /// in memory. [`Error::Passphrase`] when the passphrase does not
    /// unlock every packet; a key with no protection at all is refused too,
    /// so a stored key that lost its protection is noticed.
    pub fn from_armored_protected(armored: &str, passphrase: &[u8]) -> Result<InstanceKey, Error> {
        let mut secret = parse_secret(armored)?;
        let locked = |p: &pgp::types::SecretParams| p.is_encrypted();
        if !locked(secret.primary_key.secret_params())
            || secret
                .secret_subkeys
                .iter()
                .any(|s| !locked(s.key.secret_params()))
        {
            return Err(Error::Key(
                "the secret key is not (entirely) protected with a passphrase".into(),
            ));
        }
        let password = Password::from(passphrase);
        let wrong = |_| Error::Passphrase;
        secret
            .primary_key
            .remove_password(&password)
            .map_err(wrong)?;
        for sub in &mut secret.secret_subkeys {
            sub.key.remove_password(&password).map_err(wrong)?;
        }
        InstanceKey::checked(secret)
    }

    /// The public half of a stored secret key, locked or not: what a
    /// signature by the instance is checked against, with no passphrase.
    pub fn public_of_armored_secret(armored: &str) -> Result<PublicKey, Error> {
        let secret = parse_secret(armored)?;
        secret.verify_bindings().map_err(|e| {
            Error::Key(format!("the secret key's self-signatures are invalid: {e}"))
        })?;
        Ok(PublicKey {
            key: secret.to_public_key(),
        })
    }

    fn checked(secret: SignedSecretKey) -> Result<InstanceKey, Error> {
        secret.verify_bindings().map_err(|e| {
            Error::Key(format!("the secret key's self-signatures are invalid: {e}"))
        })?;
        if !secret.primary_key.algorithm().can_sign() {
            return Err(Error::Key(
                "the secret key's primary key cannot sign".into(),
            ));
        }
        if !secret
            .secret_subkeys
            .iter()
            .any(|k| k.key.algorithm().can_encrypt())
        {
            return Err(Error::Key("the secret key has no encryption subkey".into()));
        }
        Ok(InstanceKey::from_secret(secret))
    }

    /// The public key, armored, for the security policy page.
    pub fn public_key_armored(&self) -> Result<String, Error> {
        self.public
            .to_armored_string(Default::default())
            .map_err(|e| Error::Key(format!("cannot armor the public key: {e}")))
    }

    /// The instance's key as a recipient would see it.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: self.public.clone(),
        }
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.secret.fingerprint())
    }
}

/// A recipient's public key on file, checked when read: its self-signatures
/// verify, it is neither revoked nor expired, and it has a valid subkey that
/// may encrypt.
#[derive(Clone)]
pub struct PublicKey {
    pub(crate) key: SignedPublicKey,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl PublicKey {
    /// Reads one armored public key and checks that it may be used at `now`.
    pub fn from_armored(armored: &str, now: Timestamp) -> Result<PublicKey, Error> {
        let (key, _) = SignedPublicKey::from_string(armored)
            .map_err(|e| Error::Key(format!("not an armored OpenPGP public key: {e}")))?;
        let key = PublicKey { key };
        key.check_usable(now)?;
        Ok(key)
    }

    pub fn fingerprint(&self) -> Fingerprint {
        Fingerprint::of(&self.key.fingerprint())
    }

    /// The key, ASCII-armored.
    pub fn to_armored(&self) -> Result<String, Error> {
        self.key
            .to_armored_string(Default::default())
            .map_err(|e| Error::Key(format!("cannot armor the public key: {e}")))
    }

    /// The user ids, as UTF-8 (lossy), in the key's order.
    pub fn user_ids(&self) -> Vec<String> {
        self.key
            .details
            .users
            .iter()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .collect()
    }

    /// Checks the key as a whole and returns the subkey to encrypt to.
    pub(crate) fn check_usable(&self, now: Timestamp) -> Result<&SignedPublicSubKey, Error> {
        let fp = self.fingerprint();
        let primary = &self.key.primary_key;
        self.key
            .verify_bindings()
            .map_err(|e| Error::Key(format!("key {fp}: its self-signatures are invalid: {e}")))?;
        let revoked = self.key.details.revocation_signatures.iter().any(|sig| {
            sig.typ() == Some(SignatureType::KeyRevocation) && sig.verify_key(primary).is_ok()
        });
        if revoked {
            return Err(Error::Key(format!("key {fp} is revoked")));
        }
        let now_secs = now.as_second();
        let created = i64::from(primary.created_at().as_secs());
        // The newest self-signature on a user id (or directly on the key)
        // carries the primary key's expiry.
        let newest = self
            .key
            .details
            .users
            .iter()
            .flat_map(|u| u.signatures.iter())
            .chain(self.key.details.direct_signatures.iter())
            .filter(|s| s.verify_certification_any(primary))
            .max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0));
        if let Some(expires) = newest.and_then(expiry_secs)
            && created + expires <= now_secs
        {
            return Err(Error::Key(format!(
                "key {fp} expired at {}",
                show(created + expires)
            )));
        }
        let mut reasons = Vec::new();
        for sub in &self.key.public_subkeys {
            let sub_fp = Fingerprint::of(&sub.key.fingerprint());
            if !sub.key.algorithm().can_encrypt() {
                continue;
            }
            let binding = sub
                .signatures
                .iter()
                .filter(|s| s.typ() == Some(SignatureType::SubkeyBinding))
                .filter(|s| s.verify_subkey_binding(primary, &sub.key).is_ok())
                .max_by_key(|s| s.created().map(|t| t.as_secs()).unwrap_or(0));
            let Some(binding) = binding else {
                reasons.push(format!("subkey {sub_fp} has no valid binding"));
                continue;
            };
            let flags = binding.key_flags();
            if !(flags.encrypt_comms() || flags.encrypt_storage()) {
                continue;
            }
            let sub_revoked = sub.signatures.iter().any(|s| {
                s.typ() == Some(SignatureType::SubkeyRevocation)
                    && s.verify_subkey_binding(primary, &sub.key).is_ok()
            });
            if sub_revoked {
                reasons.push(format!("encryption subkey {sub_fp} is revoked"));
                continue;
            }
            let sub_created = i64::from(sub.key.created_at().as_secs());
            if let Some(expires) = expiry_secs(binding)
                && sub_created + expires <= now_secs
            {
                reasons.push(format!(
                    "encryption subkey {sub_fp} expired at {}",
                    show(sub_created + expires)
                ));
                continue;
            }
            return Ok(sub);
        }
        let why = if reasons.is_empty() {
            "it has no subkey that may encrypt".to_string()
        } else {
            reasons.join("; ")
        };
        Err(Error::Key(format!(
            "key {fp} cannot be encrypted to: {why}"
        )))
    }
}

trait CertificationCheck {
    fn verify_certification_any(&self, primary: &pgp::packet::PublicKey) -> bool;
}

impl CertificationCheck for Signature {
    /// Only the key's own certifications count; a third party's signature
    /// on a user id says nothing about expiry.
    fn verify_certification_any(&self, primary: &pgp::packet::PublicKey) -> bool {
        let own = self
            .issuer_fingerprint()
            .iter()
            .any(|f| **f == primary.fingerprint())
            || self
                .issuer_key_id()
                .iter()
                .any(|id| **id == primary.legacy_key_id());
        own && matches!(
            self.typ(),
            Some(
                SignatureType::CertGeneric
                    | SignatureType::CertPersona
                    | SignatureType::CertCasual
                    | SignatureType::CertPositive
                    | SignatureType::Key
            )
        )
    }
}

fn parse_secret(armored: &str) -> Result<SignedSecretKey, Error> {
    let (secret, _) = SignedSecretKey::from_string(armored)
        .map_err(|e| Error::Key(format!("not an armored OpenPGP secret key: {e}")))?;
    Ok(secret)
}

fn expiry_secs(sig: &Signature) -> Option<i64> {
    let secs = sig.key_expiration_time()?.as_secs();
    (secs != 0).then_some(i64::from(secs))
}

fn show(secs: i64) -> String {
    Timestamp::from_second(secs).map_or_else(|_| secs.to_string(), |t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        let got = match input.parse::<Fingerprint>() {
            Ok(fp) => format!("ok {fp}"),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(got, expected);
    }

    #[test]
    fn fingerprints() {
        check(
            "0123 4567 89ab cdef 0123  4567 89AB CDEF 0123 4567",
            "ok 0123456789ABCDEF0123456789ABCDEF01234567",
        );
        check(
            "0x0123456789abcdef0123456789abcdef01234567",
            "ok 0123456789ABCDEF0123456789ABCDEF01234567",
        );
        check(
            "ABCD",
            "error fingerprint: \"ABCD\" is not an OpenPGP v4 fingerprint (40 hexadecimal digits)",
        );
    }

    #[test]
    fn instance_key_round_trips_and_redacts() {
        let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
        let armored = key.to_armored_secret().unwrap();
        let again = InstanceKey::from_armored_secret(&armored).unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        let debug = format!("{key:?}");
        assert!(
            debug.contains("<redacted>") && !debug.contains("PRIVATE"),
            "{debug}"
        );
        let public =
            PublicKey::from_armored(&key.public_key_armored().unwrap(), Timestamp::now()).unwrap();
        assert_eq!(public.fingerprint(), key.fingerprint());
        assert_eq!(
            public.user_ids(),
            vec!["psirt <security@example.org>".to_string()]
        );
    }

    #[test]
    fn a_protected_key_needs_its_passphrase() {
        let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
        let clear = key.to_armored_secret().unwrap();
        assert!(!InstanceKey::is_protected(&clear).unwrap());
        let locked = key
            .to_armored_protected(b"correct horse battery staple")
            .unwrap();
        assert!(InstanceKey::is_protected(&locked).unwrap());
        let again =
            InstanceKey::from_armored_protected(&locked, b"correct horse battery staple").unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        assert!(matches!(
            InstanceKey::from_armored_protected(&locked, b"wrong"),
            Err(Error::Passphrase)
        ));
        let err = |r: Result<InstanceKey, Error>| r.unwrap_err().to_string();
        assert_eq!(
            err(InstanceKey::from_armored_secret(&locked)),
            "key: the secret key is protected with a passphrase"
        );
        assert_eq!(
            err(InstanceKey::from_armored_protected(&clear, b"x")),
            "key: the secret key is not (entirely) protected with a passphrase"
        );
        assert!(key.to_armored_protected(b"").is_err());
        assert_eq!(
            InstanceKey::public_of_armored_secret(&locked)
                .unwrap()
                .fingerprint(),
            key.fingerprint()
        );
    }
}
