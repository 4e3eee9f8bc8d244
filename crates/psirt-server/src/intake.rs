//! Encrypted reports on intake: a report whose text holds an ASCII-armored
//! OpenPGP message (`-----BEGIN PGP MESSAGE-----`) is decrypted with the
//! instance key before anything is stored, so the case holds the text the
//! team reads, and a report that cannot be decrypted is refused with the
//! reason rather than stored as ciphertext nobody can read.
//!
//! Both front doors use it: `POST /api/v1/reports` and the web report form.
//! It never logs or returns the plaintext anywhere but to its caller, and
//! it decides nothing about the report itself (the engine does, after).

use std::sync::Arc;

use psirt_mail::InstanceKey;

/// The armor lines of an OpenPGP message (RFC 9580 §6.2).
const BEGIN: &str = "-----BEGIN PGP MESSAGE-----";
const END: &str = "-----END PGP MESSAGE-----";

/// Whether `text` holds an armored OpenPGP message.
pub(crate) fn is_encrypted(text: &str) -> bool {
    text.contains(BEGIN)
}

/// `text` with every armored OpenPGP message in it replaced by its
/// decrypted text, in place; the text around the blocks is kept. Text
/// without a block comes back unchanged. `Err` is the reason, for the
/// field the text came from.
pub(crate) fn decrypt_text(text: &str, key: Option<&InstanceKey>) -> Result<String, String> {
    if !is_encrypted(text) {
        return Ok(text.to_string());
    }
    let Some(key) = key else {
        return Err(
            "is an encrypted OpenPGP message, but this psirt has no key to decrypt it; send the report unencrypted (this form is private)"
                .into(),
        );
    };
    let mut parts: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let Some(len) = rest[start..].find(END) else {
            return Err(format!(
                "the encrypted message has no {END} line; paste the whole block"
            ));
        };
        let end = start + len + END.len();
        parts.push(rest[..start].trim().to_string());
        let decrypted =
            psirt_mail::decrypt(&rest.as_bytes()[start..end], key, &[]).map_err(|e| {
                format!(
                    "{e}; encrypt the report to this psirt's key, published at /openpgp-key.asc"
                )
            })?;
        let plaintext = String::from_utf8(decrypted.plaintext)
            .map_err(|_| "the decrypted report is not UTF-8 text".to_string())?;
        parts.push(plaintext.trim().to_string());
        rest = &rest[end..];
    }
    parts.push(rest.trim().to_string());
    parts.retain(|p| !p.is_empty());
    Ok(parts.join("\n\n"))
}

/// [`decrypt_text`] on a blocking thread: decryption (and decompression)
/// is CPU work that must not hold up the server's other requests.
pub(crate) async fn decrypt_off_thread(
    text: String,
    key: Option<Arc<InstanceKey>>,
) -> Result<String, String> {
    if !is_encrypted(&text) {
        return Ok(text);
    }
    tokio::task::spawn_blocking(move || decrypt_text(&text, key.as_deref()))
        .await
        .map_err(|e| format!("could not be decrypted: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::decrypt_text;

    #[test]
    fn plain_text_passes_unchanged_and_needs_no_key() {
        assert_eq!(
            decrypt_text("  Crafted packet. ", None).unwrap(),
            "  Crafted packet. "
        );
    }

    #[test]
    fn encrypted_text_without_a_key_is_refused() {
        let text = "-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----\n";
        let reason = decrypt_text(text, None).unwrap_err();
        assert!(reason.contains("no key to decrypt it"), "{reason}");
    }

    #[test]
    fn a_block_without_its_end_line_or_damaged_is_refused() {
        let key = psirt_mail::InstanceKey::generate("psirt <security@example.org>").unwrap();
        let reason = decrypt_text("-----BEGIN PGP MESSAGE-----\n\nhQ==\n", Some(&key)).unwrap_err();
        assert!(
            reason.contains("no -----END PGP MESSAGE----- line"),
            "{reason}"
        );
        let reason = decrypt_text(
            "-----BEGIN PGP MESSAGE-----\n\nhQ==\n-----END PGP MESSAGE-----",
            Some(&key),
        )
        .unwrap_err();
        assert!(reason.contains("/openpgp-key.asc"), "{reason}");
    }
}
