//! OpenPGP cleartext signatures (RFC 9580 §7): a statement anyone can read
//! as is and check with the instance's public key, such as the audit log's
//! checkpoints. GnuPG verifies them (`gpg --verify`).
//!
//! This module signs text the caller wrote and gives back the text a
//! signature covers only once the signature verifies; it never returns
//! unverified text, and never reads the clock (rPGP stamps the signature).

use pgp::composed::{ArmorOptions, CleartextSignedMessage};
use pgp::types::Password;

use crate::Error;
use crate::key::{InstanceKey, PublicKey};

const BEGIN: &str = "-----BEGIN PGP SIGNED MESSAGE-----";
const END: &str = "-----END PGP SIGNATURE-----";

/// Signs `text` with the instance key, as a cleartext-signed message.
pub fn sign_cleartext(text: &str, key: &InstanceKey) -> Result<String, Error> {
    let signed = CleartextSignedMessage::sign(
        rand::thread_rng(),
        text,
        &key.secret.primary_key,
        &Password::empty(),
    )
    .map_err(|e| Error::OpenPgp(format!("cannot sign: {e}")))?;
    signed
        .to_armored_string(ArmorOptions::default())
        .map_err(|e| Error::OpenPgp(format!("cannot armor the signed text: {e}")))
}

/// Finds the first cleartext-signed block in `input` (which may be a whole
/// saved mail around it), checks its signature with `key`, and returns the
/// signed text (lines ending in `\n`).
pub fn verify_cleartext(input: &str, key: &PublicKey) -> Result<String, Error> {
    let start = input.find(BEGIN).ok_or_else(|| {
        Error::BadSignature("no cleartext-signed text (BEGIN PGP SIGNED MESSAGE) found".into())
    })?;
    let end = input[start..]
        .find(END)
        .map(|i| start + i + END.len())
        .ok_or_else(|| {
            Error::BadSignature("the signed text has no END PGP SIGNATURE line".into())
        })?;
    // Mail may have turned the line ends into CRLF; the armor wants LF.
    let block = input[start..end].replace("\r\n", "\n");
    let (message, _) = CleartextSignedMessage::from_string(&block)
        .map_err(|e| Error::BadSignature(format!("not a cleartext-signed message: {e}")))?;
    let by_primary = message.verify(&key.key.primary_key).is_ok();
    let by_subkey = || {
        key.key
            .public_subkeys
            .iter()
            .any(|s| message.verify(&s.key).is_ok())
    };
    if !(by_primary || by_subkey()) {
        return Err(Error::BadSignature(format!(
            "the signature does not verify with key {}",
            key.fingerprint()
        )));
    }
    Ok(message.signed_text().replace("\r\n", "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_text_verifies_only_unchanged_and_with_its_key() {
        let key = InstanceKey::generate("psirt <security@example.org>").unwrap();
        let other = InstanceKey::generate("someone else").unwrap();
        let text = "psirt audit checkpoint v1\nsequence: 7\n- a dash line\n";
        let signed = sign_cleartext(text, &key).unwrap();
        assert!(signed.starts_with(BEGIN), "{signed}");
        let mail = format!(
            "Keep this.\r\n\r\n{}\r\nBye\r\n",
            signed.replace('\n', "\r\n")
        );
        assert_eq!(verify_cleartext(&mail, &key.public_key()).unwrap(), text);
        let err = verify_cleartext(&signed, &other.public_key()).unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
        let forged = signed.replace("sequence: 7", "sequence: 9");
        let err = verify_cleartext(&forged, &key.public_key()).unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");
        let err = verify_cleartext("hello", &key.public_key()).unwrap_err();
        assert!(
            err.to_string().contains("no cleartext-signed text"),
            "{err}"
        );
    }
}
