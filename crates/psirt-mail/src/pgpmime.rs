//! PGP/MIME (RFC 3156): the signed form (§5), the signed-then-encrypted form
//! (§4, §6.2) and the way back, decrypting and verifying what arrives.
//!
//! This module owns how OpenPGP and MIME meet: which bytes are signed (the
//! first part exactly as emitted, CRLF line ends), which headers stay
//! outside an encrypted message (never the real subject), and how an
//! armored block is found in a pasted report. It never encrypts one
//! ciphertext to several recipients (the caller encrypts once per
//! recipient), never returns plaintext that failed to decrypt, and never
//! logs what it handles.

use std::fmt;
use std::io::Read as _;

use pgp::composed::{
    ArmorOptions, Deserializable, DetachedSignature, Message as PgpMessage, MessageBuilder,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::Signature;
use pgp::types::{KeyDetails, Password, VerifyingKey};

use crate::Error;
use crate::key::{Fingerprint, InstanceKey, PublicKey};
use crate::mime::{Entity, Envelope, Message, canonical_crlf};

/// The outer Subject of every encrypted message. The real one travels in the
/// encrypted part as a protected header (`protected-headers="v1"`), so a
/// mail server sees neither the subject nor the body.
pub const ENCRYPTED_SUBJECT: &str = "Encrypted message";

const SIGNED_BOUNDARY: &str = "=_psirt-signed";
const ENCRYPTED_BOUNDARY: &str = "=_psirt-encrypted";
const ARMOR_BEGIN: &str = "-----BEGIN PGP MESSAGE-----";
const ARMOR_END: &str = "-----END PGP MESSAGE-----";

/// Signs `message` as `multipart/signed` (RFC 3156 §5) with the instance key.
pub fn sign(message: &Message, key: &InstanceKey) -> Result<Vec<u8>, Error> {
    let entity = message.entity()?;
    let signature = DetachedSignature::sign_binary_data(
        rand::thread_rng(),
        &key.secret.primary_key,
        &Password::empty(),
        HashAlgorithm::Sha256,
        &entity[..],
    )
    .map_err(|e| Error::OpenPgp(format!("cannot sign: {e}")))?;
    let armored = signature
        .to_armored_string(ArmorOptions::default())
        .map_err(|e| Error::OpenPgp(format!("cannot armor the signature: {e}")))?;

    let mut out = message.top_headers(&Envelope {
        subject: &message.subject,
    })?;
    out.extend_from_slice(
        format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/signed; boundary=\"{SIGNED_BOUNDARY}\";\r\n protocol=\"application/pgp-signature\"; micalg=pgp-sha256\r\n\r\nThis is an OpenPGP/MIME signed message (RFC 3156).\r\n--{SIGNED_BOUNDARY}\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(&entity);
    out.extend_from_slice(
        format!(
            "\r\n--{SIGNED_BOUNDARY}\r\nContent-Type: application/pgp-signature; name=\"signature.asc\"\r\nContent-Description: OpenPGP digital signature\r\nContent-Disposition: attachment; filename=\"signature.asc\"\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(&canonical_crlf(armored.trim_end().as_bytes()));
    out.extend_from_slice(format!("\r\n--{SIGNED_BOUNDARY}--\r\n").as_bytes());
    Ok(out)
}

/// Signs `message` with the instance key, then encrypts it to `recipient`
/// alone, as `multipart/encrypted` (RFC 3156 §4; one OpenPGP message that is
/// signed and encrypted, §6.2). The outer Subject is [`ENCRYPTED_SUBJECT`].
/// The recipient's key is checked again at `message.date`, so a key that
/// expired since it was put on file is refused.
pub fn sign_and_encrypt(
    message: &Message,
    key: &InstanceKey,
    recipient: &PublicKey,
) -> Result<Vec<u8>, Error> {
    let subkey = recipient.check_usable(message.date)?;
    let inner = message.protected_entity()?;
    let mut rng = rand::thread_rng();
    let mut builder =
        MessageBuilder::from_bytes("", inner).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    builder.sign(
        &key.secret.primary_key,
        Password::empty(),
        HashAlgorithm::Sha256,
    );
    builder.encrypt_to_key(&mut rng, subkey).map_err(|e| {
        Error::OpenPgp(format!(
            "cannot encrypt to {}: {e}",
            recipient.fingerprint()
        ))
    })?;
    let armored = builder
        .to_armored_string(&mut rng, ArmorOptions::default())
        .map_err(|e| Error::OpenPgp(format!("cannot encrypt: {e}")))?;

    let mut out = message.top_headers(&Envelope {
        subject: ENCRYPTED_SUBJECT,
    })?;
    out.extend_from_slice(
        format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/encrypted; boundary=\"{ENCRYPTED_BOUNDARY}\";\r\n protocol=\"application/pgp-encrypted\"\r\n\r\nThis is an OpenPGP/MIME encrypted message (RFC 3156).\r\n--{ENCRYPTED_BOUNDARY}\r\nContent-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n--{ENCRYPTED_BOUNDARY}\r\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\r\nContent-Description: OpenPGP encrypted message\r\nContent-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(&canonical_crlf(armored.trim_end().as_bytes()));
    out.extend_from_slice(format!("\r\n\r\n--{ENCRYPTED_BOUNDARY}--\r\n").as_bytes());
    Ok(out)
}

/// What came out of an encrypted report.
#[derive(Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The decrypted bytes: the report text for pasted armor, the inner MIME
    /// entity for a PGP/MIME mail.
    pub plaintext: Vec<u8>,
    /// The primary fingerprint of the sender key that verified the
    /// signature, or, when none of the known keys did, the issuer
    /// fingerprint the signature claims (unverified). `None` when unsigned
    /// or when the signature names no fingerprint.
    pub signer: Option<Fingerprint>,
    /// True only when the signature verified against one of the known
    /// sender keys.
    pub signature_valid: bool,
}

impl fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decrypted")
            .field(
                "plaintext",
                &format_args!("<{} bytes redacted>", self.plaintext.len()),
            )
            .field("signer", &self.signer)
            .field("signature_valid", &self.signature_valid)
            .finish()
    }
}

/// Decrypts an encrypted report with the instance key: (a) ASCII-armored
/// text as pasted into the web form, possibly with text around the block,
/// or (b) a PGP/MIME `multipart/encrypted` mail. A signature inside is
/// checked against `known_senders` (the keys on file for the sender, often
/// none).
pub fn decrypt(
    armored_or_mime: &[u8],
    key: &InstanceKey,
    known_senders: &[PublicKey],
) -> Result<Decrypted, Error> {
    decrypt_within(armored_or_mime, key, known_senders, MAX_PLAINTEXT)
}

/// The most a decrypted report may hold: above the largest message psirt
/// takes in (five 10 MiB attachments, encoded). A compressed message can
/// expand a thousandfold, so the plaintext is read through this limit
/// rather than trusted to be as small as the ciphertext.
pub const MAX_PLAINTEXT: usize = 80 * 1024 * 1024;

fn decrypt_within(
    armored_or_mime: &[u8],
    key: &InstanceKey,
    known_senders: &[PublicKey],
    max_plaintext: usize,
) -> Result<Decrypted, Error> {
    let armored = find_armored_message(armored_or_mime)?;
    let (message, _) = PgpMessage::from_armor(armored)
        .map_err(|e| Error::Decrypt(format!("not an OpenPGP message: {}", redacted(&e))))?;
    if !message.is_encrypted() {
        return Err(Error::Decrypt(
            "the OpenPGP message is not encrypted".into(),
        ));
    }
    let mut message = message
        .decrypt(&Password::empty(), &key.secret)
        .map_err(|e| {
            Error::Decrypt(format!(
                "not encrypted to the instance key {} or damaged: {}",
                key.fingerprint(),
                redacted(&e)
            ))
        })?;
    while message.is_compressed() {
        message = message
            .decompress()
            .map_err(|e| Error::Decrypt(format!("cannot decompress: {}", redacted(&e))))?;
    }
    let mut plaintext = Vec::new();
    std::io::Read::take(&mut message, max_plaintext as u64 + 1)
        .read_to_end(&mut plaintext)
        .map_err(|e| Error::Decrypt(format!("damaged or tampered ciphertext: {}", redacted(&e))))?;
    if plaintext.len() > max_plaintext {
        return Err(Error::Decrypt(format!(
            "the decrypted message is larger than {} bytes",
            max_plaintext
        )));
    }
    let (signer, signature_valid) = match &message {
        PgpMessage::Signed { reader, .. } => {
            let claimed = reader.signature(0).and_then(issuer);
            let verified = known_senders
                .iter()
                .find(|sender| verifying_keys(sender).any(|k| message.verify(k).is_ok()));
            match verified {
                Some(sender) => (Some(sender.fingerprint()), true),
                None => (claimed, false),
            }
        }
        _ => (None, false),
    };
    Ok(Decrypted {
        plaintext,
        signer,
        signature_valid,
    })
}

/// Verifies a PGP/MIME `multipart/signed` mail against the sender's key and
/// returns that key's fingerprint. Line ends of the signed part are made
/// CRLF first, as RFC 3156 signs them, so a mail stored with LF verifies.
pub fn verify(signed_mime: &[u8], sender: &PublicKey) -> Result<Fingerprint, Error> {
    let top = Entity::parse(signed_mime)?;
    let parts = top.parts("signed")?;
    let protocol = top.param("protocol").unwrap_or_default();
    if !protocol.eq_ignore_ascii_case("application/pgp-signature") {
        return Err(Error::Mime(format!(
            "multipart/signed with protocol {protocol:?}, expected \"application/pgp-signature\""
        )));
    }
    let [signed, signature_part] = parts[..] else {
        return Err(Error::Mime(format!(
            "multipart/signed has {} parts, expected 2",
            parts.len()
        )));
    };
    let armored = String::from_utf8_lossy(Entity::parse(signature_part)?.body).into_owned();
    let (signature, _) = DetachedSignature::from_string(&armored)
        .map_err(|e| Error::BadSignature(format!("not an armored OpenPGP signature: {e}")))?;
    let content = canonical_crlf(signed);
    let by_primary = signature.verify(&sender.key.primary_key, &content).is_ok();
    let by_subkey = || {
        sender
            .key
            .public_subkeys
            .iter()
            .filter(|s| s.key.algorithm().can_sign())
            .any(|s| signature.verify(&s.key, &content).is_ok())
    };
    if by_primary || by_subkey() {
        return Ok(sender.fingerprint());
    }
    let claimed = issuer(&signature.signature)
        .map_or_else(|| "no issuer".to_string(), |f| format!("issuer {f}"));
    Err(Error::BadSignature(format!(
        "the signature ({claimed}) does not verify with key {} over the signed part",
        sender.fingerprint()
    )))
}

/// The primary key and every subkey that may have made a signature.
fn verifying_keys(key: &PublicKey) -> impl Iterator<Item = &dyn VerifyingKey> {
    std::iter::once(&key.key.primary_key as &dyn VerifyingKey).chain(
        key.key
            .public_subkeys
            .iter()
            .filter(|s| s.key.algorithm().can_sign())
            .map(|s| &s.key as &dyn VerifyingKey),
    )
}

fn issuer(signature: &Signature) -> Option<Fingerprint> {
    signature
        .issuer_fingerprint()
        .first()
        .map(|fp| Fingerprint::of(fp))
}

/// The armored block to decrypt: the second part of a PGP/MIME mail, or the
/// first `BEGIN PGP MESSAGE` block in pasted text.
fn find_armored_message(input: &[u8]) -> Result<&[u8], Error> {
    let text = trim_start(input);
    let looks_like_mail = !text.starts_with(b"-----")
        && Entity::parse(text).is_ok_and(|e| e.content_type().0 == "multipart/encrypted");
    if looks_like_mail {
        let top = Entity::parse(text)?;
        let protocol = top.param("protocol").unwrap_or_default();
        if !protocol.eq_ignore_ascii_case("application/pgp-encrypted") {
            return Err(Error::Mime(format!(
                "multipart/encrypted with protocol {protocol:?}, expected \"application/pgp-encrypted\""
            )));
        }
        let parts = top.parts("encrypted")?;
        let Some(second) = parts.get(1) else {
            return Err(Error::Mime(
                "multipart/encrypted without the encrypted second part".into(),
            ));
        };
        return armor_block(Entity::parse(second)?.body);
    }
    armor_block(text)
}

fn armor_block(text: &[u8]) -> Result<&[u8], Error> {
    let start = find(text, ARMOR_BEGIN.as_bytes())
        .ok_or_else(|| Error::Decrypt(format!("no {ARMOR_BEGIN} block found")))?;
    let end = find(&text[start..], ARMOR_END.as_bytes())
        .map(|i| start + i + ARMOR_END.len())
        .ok_or_else(|| Error::Decrypt(format!("the armored block has no {ARMOR_END} line")))?;
    Ok(&text[start..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &bytes[skip..]
}

/// A library error fit for a message that may be logged: rPGP's parser
/// errors can carry the input bytes they stopped at (`input: [110, 111, …]`),
/// which are the report's own text, so the text ends before them, and it is
/// kept short.
pub(crate) fn redacted(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let cut = ["Error(", "Error {", "input: ["]
        .iter()
        .filter_map(|marker| text.find(marker))
        .min()
        .unwrap_or(text.len());
    let mut reason = text[..cut].trim_end().to_string();
    if reason.len() > 300 {
        let mut end = 300;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push('…');
    }
    reason
}

#[cfg(test)]
mod tests {
    use pgp::composed::MessageBuilder;
    use pgp::crypto::sym::SymmetricKeyAlgorithm;
    use pgp::types::CompressionAlgorithm;

    use super::*;

    /// A compressed message that expands past the limit is refused, not
    /// read into memory; the same one under the limit decrypts.
    #[test]
    fn a_compression_bomb_is_refused() {
        let key = InstanceKey::generate("psirt test").unwrap();
        let public = key.public_key();
        let subkey = public.check_usable(jiff::Timestamp::now()).unwrap();
        let mut rng = rand::thread_rng();
        let mut builder = MessageBuilder::from_bytes("", vec![0u8; 64 * 1024])
            .seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
        builder.compression(CompressionAlgorithm::ZLIB);
        builder.encrypt_to_key(&mut rng, subkey).unwrap();
        let armored = builder
            .to_armored_string(&mut rng, pgp::composed::ArmorOptions::default())
            .unwrap();
        assert!(
            armored.len() < 4 * 1024,
            "it compresses: {} bytes",
            armored.len()
        );
        let refused = decrypt_within(armored.as_bytes(), &key, &[], 16 * 1024).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "cannot decrypt: the decrypted message is larger than 16384 bytes"
        );
        let decrypted = decrypt_within(armored.as_bytes(), &key, &[], 64 * 1024).unwrap();
        assert_eq!(decrypted.plaintext.len(), 64 * 1024);
    }
}
