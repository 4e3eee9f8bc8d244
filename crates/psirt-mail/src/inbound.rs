//! Inbound mail: one RFC 5322 message as it arrived (from `psirt ingest` or
//! the IMAP poller) read into an [`Inbound`]: who sent it and to whom, how it
//! threads, its text and attachments, whether it was sent by a machine
//! ([`Automatic`]), and whether it was encrypted to the instance key and
//! signed by a sender on file ([`Encryption`]).
//!
//! This module owns the reading of a message and nothing else: it never
//! decides what happens to the mail (a case, a comment, a person's
//! attention), never stores, answers or forwards it, and never logs or
//! `Debug`s its subject, text or attachments. It never panics on any input:
//! everything it cannot read is [`Malformed`] with a reason, and the caller
//! keeps such a message for a person.
//!
//! MIME is parsed by Stalwart's `mail-parser` 0.11 (the last line that builds
//! on Rust 1.95), which is fuzzed upstream and decodes the charsets, encoded
//! words and transfer encodings found in the wild. OpenPGP goes through
//! [`crate::decrypt`], the same code the web form's pasted reports use.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::html::html_to_text;
use mail_parser::decoders::quoted_printable::quoted_printable_decode;
use mail_parser::{
    Encoding, HeaderName, HeaderValue, Message as Parsed, MessageParser, MessagePart, MimeHeaders,
    PartType,
};
use psirt_core::EmailAddress;

use crate::key::{Fingerprint, InstanceKey, PublicKey};
use crate::mime::{Attachment, Entity, Mailbox};
use crate::pgpmime::decrypt;

const ARMOR_BEGIN: &str = "-----BEGIN PGP MESSAGE-----";

/// One inbound message, read. `Debug` shows the envelope-like fields and
/// redacts the subject, the text and the attachments' bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To` ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// `References` ids, oldest first, without angle brackets.
    pub references: Vec<String>,
    /// The first address of `From`, with its display name.
    pub from: Mailbox,
    /// Every valid address in `To`, `Cc`, `Delivered-To` and
    /// `X-Original-To`, once each, in that order: which of the instance's
    /// addresses the mail was meant for.
    pub to: Vec<EmailAddress>,
    /// The subject, decoded; for an encrypted mail, the protected subject
    /// from inside when there is one.
    pub subject: String,
    /// `Date`, when it is there and valid.
    pub date: Option<Timestamp>,
    /// The plain text, LF line ends. An HTML-only message gives its text with
    /// the tags stripped; an encrypted one its decrypted text.
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// Why the message looks machine-made, if it does: psirt must not answer
    /// it automatically.
    pub automatic: Option<Automatic>,
    pub encryption: Encryption,
    /// The key among the known senders' that verified a signature over
    /// the message (PGP/MIME signed, or signed inside the encryption).
    pub signed_by: Option<Fingerprint>,
    /// Every `Authentication-Results` value, top first, as they read:
    /// [`crate::sender::mail_server_verified`] believes only the ones
    /// the operator's own mail server wrote.
    pub authentication_results: Vec<String>,
}

impl fmt::Debug for Inbound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbound")
            .field("message_id", &self.message_id)
            .field("in_reply_to", &self.in_reply_to)
            .field("references", &self.references)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("subject", &"<redacted>")
            .field("date", &self.date)
            .field(
                "text",
                &format_args!("<{} bytes redacted>", self.text.len()),
            )
            .field("attachments", &self.attachments)
            .field("automatic", &self.automatic)
            .field("encryption", &self.encryption)
            .finish()
    }
}

/// Why a message is taken to be sent by a machine, not a person. Answering
/// such mail automatically risks a mail loop, a reply to a list (which may
/// be public, and so break an embargo), or mail to an address nobody reads
/// (RFC 3834 §2 and §3.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Automatic {
    /// A delivery status notification or another report
    /// (`multipart/report; report-type=…`, `message/delivery-status`): a
    /// bounce, a delay warning, a read receipt. Holds the report type.
    Report(String),
    /// `Return-Path: <>`: the null reverse path, which RFC 5321 §4.5.5
    /// reserves for notifications.
    NullReturnPath,
    /// `From` is `MAILER-DAEMON@…` or `postmaster@…`. Holds the local part.
    SystemSender(String),
    /// `Auto-Submitted` other than `no` (RFC 3834 §5). Holds its value.
    AutoSubmitted(String),
    /// `Precedence: bulk`, `junk`, `list` or `auto_reply`. Holds the value.
    Precedence(String),
    /// A vendor's auto-reply marker: `X-Autoreply`, `X-Autorespond` or
    /// `X-Autogenerated`. Holds the header's name.
    AutoReplyHeader(String),
    /// `X-Auto-Response-Suppress` with `All`, `OOF` or `AutoReply`: Exchange
    /// puts it on its own automatic replies, and any sender who sets it
    /// asks not to be answered by machines. Holds the value.
    ResponseSuppressed(String),
    /// `List-Id` or `List-Unsubscribe`: mail from a mailing list or a bulk
    /// sender. An acknowledgment would go to the list (RFC 3834 §3.1.8;
    /// RFC 2369, RFC 2919). Holds the list id or the header's name.
    MailingList(String),
}

/// Whether the message was encrypted, and if so, who signed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// Not encrypted (a signed-only `multipart/signed` mail is plain here).
    Plain,
    /// Encrypted to the instance key, as PGP/MIME or as an armored block in
    /// the text, and decrypted. `signer` and `signature_valid` as in
    /// [`crate::Decrypted`].
    Decrypted {
        signer: Option<Fingerprint>,
        signature_valid: bool,
    },
}

/// A message that cannot be read, and why. The reason names what was wrong
/// (a header, the encryption) and never quotes the message's text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed message: {reason}")]
pub struct Malformed {
    pub reason: String,
}

fn malformed(reason: impl Into<String>) -> Malformed {
    Malformed {
        reason: reason.into(),
    }
}

/// Reads one inbound message. `key` decrypts what was encrypted to the
/// instance; `known_senders` are the keys on file that may have signed it
/// (often none).
pub fn parse(
    raw: &[u8],
    key: &InstanceKey,
    known_senders: &[PublicKey],
) -> Result<Inbound, Malformed> {
    // The parsers are fuzzed, but a panic here would take down the poller
    // over one hostile mail; it becomes a Malformed like any other failure.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        parse_unguarded(raw, key, known_senders)
    }))
    .unwrap_or_else(|_| Err(malformed("the message could not be parsed (parser panic)")))
}

fn parse_unguarded(
    raw: &[u8],
    key: &InstanceKey,
    known_senders: &[PublicKey],
) -> Result<Inbound, Malformed> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed("the message is empty"));
    }
    let parser = MessageParser::default();
    let outer = parser
        .parse(raw)
        .filter(|m| !m.parts.is_empty() && !m.headers().is_empty())
        .ok_or_else(|| malformed("no header fields: this is not an RFC 5322 message"))?;

    let from = from_mailbox(&outer)?;
    let automatic = automatic(&outer, &from);
    let mut inbound = Inbound {
        message_id: outer.message_id().map(clean_id).filter(|id| !id.is_empty()),
        in_reply_to: ids(outer.in_reply_to()),
        references: ids(outer.references()),
        to: recipients(&outer),
        subject: outer.subject().unwrap_or_default().trim().to_string(),
        date: outer
            .date()
            .filter(|d| d.is_valid())
            .and_then(|d| Timestamp::from_second(d.to_timestamp()).ok()),
        from,
        text: String::new(),
        attachments: Vec::new(),
        automatic,
        encryption: Encryption::Plain,
        signed_by: None,
        authentication_results: raw_headers(&outer, "Authentication-Results"),
    };

    if outer.root_part().is_content_type("multipart", "encrypted") {
        let decrypted = decrypt(raw, key, known_senders).map_err(|e| {
            malformed(format!(
                "PGP/MIME message: {}",
                crate::pgpmime::redacted(&e)
            ))
        })?;
        if decrypted.signature_valid {
            inbound.signed_by = decrypted.signer.clone();
        }
        inbound.encryption = Encryption::Decrypted {
            signer: decrypted.signer,
            signature_valid: decrypted.signature_valid,
        };
        read_decrypted_entity(&parser, &decrypted.plaintext, &mut inbound);
        return Ok(inbound);
    }
    if outer.root_part().is_content_type("multipart", "signed") {
        // A bad or unknown signature is no evidence, and no reason to
        // refuse the message either.
        inbound.signed_by = known_senders
            .iter()
            .find_map(|sender| crate::pgpmime::verify(raw, sender).ok());
    }

    let body = read_body(&outer);
    inbound.attachments = body.attachments;
    inbound.text = body.text;
    if body.plain_has_armor {
        let decrypted = decrypt(inbound.text.as_bytes(), key, known_senders).map_err(|e| {
            malformed(format!(
                "armored OpenPGP block in the text: {}",
                crate::pgpmime::redacted(&e)
            ))
        })?;
        inbound.text = lf(&String::from_utf8_lossy(&decrypted.plaintext));
        if decrypted.signature_valid {
            inbound.signed_by = decrypted.signer.clone();
        }
        inbound.encryption = Encryption::Decrypted {
            signer: decrypted.signer,
            signature_valid: decrypted.signature_valid,
        };
    }
    Ok(inbound)
}

/// The decrypted inner entity of a PGP/MIME mail: a MIME entity with its own
/// content headers (and maybe a protected Subject), or, from clients that
/// encrypt bare text, just text.
fn read_decrypted_entity(parser: &MessageParser, plaintext: &[u8], inbound: &mut Inbound) {
    let is_entity = Entity::parse(plaintext).is_ok_and(|e| e.header("Content-Type").is_some());
    let inner = is_entity.then(|| parser.parse(plaintext)).flatten();
    let Some(inner) = inner.filter(|m| !m.parts.is_empty()) else {
        inbound.text = lf(&String::from_utf8_lossy(plaintext));
        return;
    };
    if let Some(subject) = inner.subject() {
        inbound.subject = subject.trim().to_string();
    }
    let body = read_body(&inner);
    inbound.text = body.text;
    inbound.attachments = body.attachments;
}

/// The `From:` address of a raw message, if it has a valid one: what to
/// look up the sender's key on file by before [`parse`].
pub fn sender(raw: &[u8]) -> Option<EmailAddress> {
    std::panic::catch_unwind(|| {
        let parsed = MessageParser::default().parse_headers(raw)?;
        from_mailbox(&parsed).ok().map(|m| m.address)
    })
    .ok()
    .flatten()
}

fn from_mailbox(message: &Parsed<'_>) -> Result<Mailbox, Malformed> {
    let Some(value) = message.header(HeaderName::From) else {
        return Err(malformed("no From header"));
    };
    let first = value.as_address().and_then(|a| a.first());
    let Some(address) = first.and_then(|a| a.address.as_deref()) else {
        return Err(malformed("the From header holds no address"));
    };
    let address: EmailAddress = address
        .trim()
        .parse()
        .map_err(|e| malformed(format!("the From header's address is invalid: {e}")))?;
    let name = first
        .and_then(|a| a.name.as_deref())
        .map(str::trim)
        .filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

fn recipients(message: &Parsed<'_>) -> Vec<EmailAddress> {
    let mut out: Vec<EmailAddress> = Vec::new();
    let mut push = |candidate: &str| {
        let candidate = candidate
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        let Ok(address) = candidate.parse::<EmailAddress>() else {
            return;
        };
        if !out
            .iter()
            .any(|a| a.as_str().eq_ignore_ascii_case(address.as_str()))
        {
            out.push(address);
        }
    };
    for name in [HeaderName::To, HeaderName::Cc] {
        for value in message.header_values(name) {
            let Some(list) = value.as_address() else {
                continue;
            };
            list.iter()
                .filter_map(|a| a.address.as_deref())
                .for_each(&mut push);
        }
    }
    for name in ["Delivered-To", "X-Original-To"] {
        raw_headers(message, name).iter().for_each(|v| push(v));
    }
    out
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(ids) => ids.iter().map(Cow::as_ref).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .map(clean_id)
        .filter(|id| !id.is_empty())
        .collect()
}

/// The unparsed values of every header called `name`, unfolded and trimmed.
fn raw_headers(message: &Parsed<'_>, name: &str) -> Vec<String> {
    message
        .headers()
        .iter()
        .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(|h| {
            message
                .raw_message
                .get(h.offset_start as usize..h.offset_end as usize)
        })
        .map(|bytes| {
            String::from_utf8_lossy(bytes)
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The first token of a header value: what comes before any `;` parameter
/// or comment, lower case.
fn token(value: &str) -> String {
    value
        .split([';', '(', ' ', '\t'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The first reason, in the order of certainty, why the message looks
/// machine-made.
fn automatic(message: &Parsed<'_>, from: &Mailbox) -> Option<Automatic> {
    let root = message.root_part();
    if let Some(ct) = root.content_type() {
        let subtype = ct.subtype().unwrap_or_default().to_ascii_lowercase();
        match (ct.ctype().to_ascii_lowercase().as_str(), subtype.as_str()) {
            ("multipart", "report") => {
                let kind = ct.attribute("report-type").unwrap_or("unknown");
                return Some(Automatic::Report(kind.to_ascii_lowercase()));
            }
            ("message", "delivery-status") => {
                return Some(Automatic::Report("delivery-status".into()));
            }
            _ => {}
        }
    }
    let header = |name: &str| raw_headers(message, name);
    if header("Return-Path")
        .iter()
        .any(|v| v.replace(' ', "") == "<>")
    {
        return Some(Automatic::NullReturnPath);
    }
    let local = from
        .address
        .as_str()
        .rsplit_once('@')
        .map(|(local, _)| local.to_ascii_lowercase())
        .unwrap_or_default();
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(Automatic::SystemSender(local));
    }
    if let Some(value) = header("Auto-Submitted")
        .iter()
        .map(|v| token(v))
        .find(|v| !v.is_empty() && v != "no")
    {
        return Some(Automatic::AutoSubmitted(value));
    }
    if let Some(value) = header("Precedence")
        .iter()
        .map(|v| token(v))
        .find(|v| ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()))
    {
        return Some(Automatic::Precedence(value));
    }
    for name in ["X-Autoreply", "X-Autorespond", "X-Autogenerated"] {
        let values = header(name);
        if values.iter().any(|v| !v.eq_ignore_ascii_case("no")) {
            return Some(Automatic::AutoReplyHeader(name.to_string()));
        }
    }
    if let Some(value) = header("X-Auto-Response-Suppress").into_iter().find(|v| {
        v.split(',').any(|flag| {
            ["all", "oof", "autoreply"].contains(&flag.trim().to_ascii_lowercase().as_str())
        })
    }) {
        return Some(Automatic::ResponseSuppressed(value));
    }
    if let Some(id) = header("List-Id").first() {
        return Some(Automatic::MailingList(id.clone()));
    }
    if !header("List-Unsubscribe").is_empty() {
        return Some(Automatic::MailingList("List-Unsubscribe".into()));
    }
    None
}

struct Body {
    text: String,
    attachments: Vec<Attachment>,
    /// A `text/plain` part has a line that opens an armored OpenPGP message
    /// (not a quoted one, `> -----BEGIN…`).
    plain_has_armor: bool,
}

fn read_body(message: &Parsed<'_>) -> Body {
    let mut texts = Vec::new();
    let mut plain_has_armor = false;
    for &id in &message.text_body {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(text) => {
                plain_has_armor |= text
                    .lines()
                    .any(|line| line.trim_start().starts_with(ARMOR_BEGIN));
                texts.push(lf(text));
            }
            PartType::Html(html) => texts.push(lf(&html_to_text(html))),
            _ => {}
        }
    }
    // A message with only an HTML alternative lists it in html_body alone.
    if texts.is_empty() {
        for &id in &message.html_body {
            if let Some(PartType::Html(html)) = message.parts.get(id as usize).map(|p| &p.body) {
                texts.push(lf(&html_to_text(html)));
            }
        }
    }
    let attachments = message
        .attachments
        .iter()
        .filter_map(|&id| message.parts.get(id as usize))
        .filter(|part| {
            !message
                .text_body
                .iter()
                .any(|&t| message.parts.get(t as usize) == Some(*part))
        })
        .enumerate()
        .map(|(i, part)| attachment(message, part, i + 1))
        .collect();
    Body {
        text: texts.join("\n"),
        attachments,
        plain_has_armor,
    }
}

fn attachment(message: &Parsed<'_>, part: &MessagePart<'_>, n: usize) -> Attachment {
    let content_type = part
        .content_type()
        .map(|ct| match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_string(),
        })
        .map(|ct| ct.to_ascii_lowercase())
        .filter(|ct| ct.contains('/'))
        .unwrap_or_else(|| match part.body {
            PartType::Message(_) => "message/rfc822".to_string(),
            PartType::Text(_) => "text/plain".to_string(),
            _ => "application/octet-stream".to_string(),
        });
    let name = part
        .attachment_name()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| match part.body {
            PartType::Message(_) => format!("message-{n}.eml"),
            _ => format!("attachment-{n}"),
        });
    let bytes = match &part.body {
        // Text attachments (a patch, a log) keep their own bytes: what the
        // transfer encoding held, not text re-encoded from its charset.
        PartType::Text(_) | PartType::Html(_) => {
            raw_content(message, part).unwrap_or_else(|| part.contents().to_vec())
        }
        _ => part.contents().to_vec(),
    };
    Attachment {
        name,
        content_type,
        bytes,
    }
}

fn raw_content(message: &Parsed<'_>, part: &MessagePart<'_>) -> Option<Vec<u8>> {
    let raw = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)?;
    match part.encoding {
        Encoding::Base64 => base64_decode(raw),
        Encoding::QuotedPrintable => quoted_printable_decode(raw),
        Encoding::None => Some(raw.to_vec()),
    }
}

/// LF line ends: what arrives with CRLF or LF reads the same.
fn lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}
