//! Internet messages: building RFC 5322 / MIME bytes from a [`Message`], and
//! the little MIME parsing that inbound PGP/MIME needs (top-level headers,
//! `multipart/*` parts cut out byte for byte).
//!
//! This module owns the wire form of a message: CRLF line ends, RFC 2047
//! encoded words for non-ASCII header text, quoted-printable text bodies and
//! base64 attachments, so every entity is 7-bit as RFC 3156 requires of
//! signed content. It never reads the clock or picks a Message-ID (both are
//! the caller's), never sends anything, and never logs a body.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use jiff::Timestamp;
use psirt_core::EmailAddress;

use crate::Error;

/// Boundaries start with `=_`, which can occur neither in quoted-printable
/// text (`=` is always escaped there) nor in base64 or ASCII armor, so a
/// fixed boundary per nesting level can never collide with the content.
pub(crate) const MIXED_BOUNDARY: &str = "=_psirt-mixed";

/// A mailbox: an optional display name and an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: EmailAddress,
}

impl Mailbox {
    pub fn new(name: Option<&str>, address: EmailAddress) -> Mailbox {
        Mailbox {
            name: name.map(str::to_string),
            address,
        }
    }

    fn header_value(&self) -> String {
        match &self.name {
            None => self.address.to_string(),
            Some(name) => format!("{} <{}>", encode_phrase(name), self.address),
        }
    }
}

/// A Message-ID without its angle brackets: `left@right`, printable ASCII,
/// no spaces, brackets or quotes. The caller makes it fresh.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    pub fn new(id: &str) -> Result<MessageId, Error> {
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        let bad = |why: &str| Error::Header {
            field: "Message-ID",
            reason: format!("{id:?} {why}"),
        };
        let (left, right) = id.split_once('@').ok_or_else(|| bad("has no @"))?;
        if left.is_empty() || right.is_empty() {
            return Err(bad("needs text on both sides of the @"));
        }
        let allowed = |b: u8| b.is_ascii_graphic() && !b"<>\"\\()[],;:@".contains(&b);
        if !left.bytes().chain(right.bytes()).all(allowed) || id.len() > 900 {
            return Err(bad("contains characters not allowed in a Message-ID"));
        }
        Ok(MessageId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// A file attached to a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// A MIME type such as `text/x-diff`; checked when the message is built.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field(
                "bytes",
                &format_args!("<{} bytes redacted>", self.bytes.len()),
            )
            .finish()
    }
}

/// An outgoing message before it is signed or encrypted.
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub subject: String,
    /// The `Date:` header; the caller's `now`.
    pub date: Timestamp,
    pub message_id: MessageId,
    pub in_reply_to: Option<MessageId>,
    pub body_text: String,
    pub attachments: Vec<Attachment>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Subjects of embargoed cases name the vulnerability; they are
        // redacted with the body.
        f.debug_struct("Message")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("subject", &"<redacted>")
            .field("date", &self.date)
            .field("message_id", &self.message_id)
            .field("in_reply_to", &self.in_reply_to)
            .field(
                "body_text",
                &format_args!("<{} bytes redacted>", self.body_text.len()),
            )
            .field("attachments", &self.attachments)
            .finish()
    }
}

/// Which headers a top-level message carries and which go inside the
/// protected entity.
pub(crate) struct Envelope<'a> {
    pub subject: &'a str,
}

impl Message {
    /// The plain, unsigned message as RFC 5322 bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let entity = self.entity()?;
        let mut out = self.top_headers(&Envelope {
            subject: &self.subject,
        })?;
        out.extend_from_slice(b"MIME-Version: 1.0\r\n");
        out.extend_from_slice(&entity);
        out.extend_from_slice(b"\r\n");
        Ok(out)
    }

    /// The headers every top-level message carries, up to and excluding
    /// `MIME-Version` and the content headers.
    pub(crate) fn top_headers(&self, envelope: &Envelope<'_>) -> Result<Vec<u8>, Error> {
        if self.to.is_empty() {
            return Err(Error::Header {
                field: "To",
                reason: "a message needs at least one recipient".into(),
            });
        }
        let mut h = Headers::default();
        h.push("From", &self.from.header_value());
        let to: Vec<String> = self.to.iter().map(Mailbox::header_value).collect();
        h.push("To", &to.join(",\r\n "));
        h.push("Subject", &encode_unstructured(envelope.subject));
        h.push("Date", &rfc2822_date(self.date));
        h.push("Message-ID", &self.message_id.to_string());
        if let Some(parent) = &self.in_reply_to {
            h.push("In-Reply-To", &parent.to_string());
            h.push("References", &parent.to_string());
        }
        Ok(h.0)
    }

    /// The MIME entity (content headers, blank line, body) without a final
    /// CRLF: the bytes that are signed, exactly as they are then emitted.
    pub(crate) fn entity(&self) -> Result<Vec<u8>, Error> {
        self.entity_with(&[], "")
    }

    /// The entity with protected headers (the real Subject, From, To) inside,
    /// marked `protected-headers="v1"`, for the encrypted form.
    pub(crate) fn protected_entity(&self) -> Result<Vec<u8>, Error> {
        let to: Vec<String> = self.to.iter().map(Mailbox::header_value).collect();
        let headers = [
            ("Subject", encode_unstructured(&self.subject)),
            ("From", self.from.header_value()),
            ("To", to.join(",\r\n ")),
            ("Date", rfc2822_date(self.date)),
            ("Message-ID", self.message_id.to_string()),
        ];
        self.entity_with(&headers, "; protected-headers=\"v1\"")
    }

    fn entity_with(&self, extra: &[(&str, String)], ct_suffix: &str) -> Result<Vec<u8>, Error> {
        let mut h = Headers::default();
        let text_type = "text/plain; charset=utf-8";
        if self.attachments.is_empty() {
            h.push("Content-Type", &format!("{text_type}{ct_suffix}"));
            h.push("Content-Transfer-Encoding", "quoted-printable");
            for (name, value) in extra {
                h.push(name, value);
            }
            let mut out = h.0;
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(quoted_printable(&self.body_text).as_bytes());
            return Ok(out);
        }
        h.push(
            "Content-Type",
            &format!("multipart/mixed; boundary=\"{MIXED_BOUNDARY}\"{ct_suffix}"),
        );
        for (name, value) in extra {
            h.push(name, value);
        }
        let mut out = h.0;
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(format!("--{MIXED_BOUNDARY}\r\n").as_bytes());
        out.extend_from_slice(
            format!(
                "Content-Type: {text_type}\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(quoted_printable(&self.body_text).as_bytes());
        for a in &self.attachments {
            check_content_type(&a.content_type)?;
            out.extend_from_slice(format!("\r\n--{MIXED_BOUNDARY}\r\n").as_bytes());
            let name = encode_filename(&a.name);
            out.extend_from_slice(
                format!(
                    "Content-Type: {}\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; {name}\r\n\r\n",
                    a.content_type.to_ascii_lowercase()
                )
                .as_bytes(),
            );
            out.extend_from_slice(base64_lines(&a.bytes).as_bytes());
        }
        out.extend_from_slice(format!("\r\n--{MIXED_BOUNDARY}--").as_bytes());
        Ok(out)
    }
}

#[derive(Default)]
pub(crate) struct Headers(pub(crate) Vec<u8>);

impl Headers {
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b": ");
        self.0.extend_from_slice(value.as_bytes());
        self.0.extend_from_slice(b"\r\n");
    }
}

fn check_content_type(ct: &str) -> Result<(), Error> {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    match ct.split_once('/') {
        Some((t, s)) if token(t) && token(s) => Ok(()),
        _ => Err(Error::Header {
            field: "Content-Type",
            reason: format!("{ct:?} is not a MIME type such as text/x-diff"),
        }),
    }
}

fn rfc2822_date(t: Timestamp) -> String {
    // RFC 5322 §3.3, always in UTC so that the header does not depend on the
    // machine's time zone.
    t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Unstructured header text (Subject): kept as is when it is short printable
/// ASCII, otherwise RFC 2047 encoded words, folded.
pub(crate) fn encode_unstructured(text: &str) -> String {
    let plain = text.len() <= 900
        && text.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
        && !text.contains("=?");
    if plain {
        return text.to_string();
    }
    encoded_words(text)
}

/// A display name: a quoted string when ASCII, encoded words otherwise.
fn encode_phrase(name: &str) -> String {
    if name.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) && !name.contains("=?") {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("\"{escaped}\"");
    }
    encoded_words(name)
}

/// `=?utf-8?B?…?=` words of at most 45 input bytes each (60 base64
/// characters, 72 with the delimiters), never splitting a character, joined
/// by folding whitespace.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let mut end = (start + 45).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        words.push(format!("=?utf-8?B?{}?=", B64.encode(&text[start..end])));
        start = end;
    }
    words.join("\r\n ")
}

/// `filename=` as a quoted string when plain ASCII, RFC 2231 otherwise.
fn encode_filename(name: &str) -> String {
    let plain = name
        .bytes()
        .all(|b| b == b' ' || (b.is_ascii_graphic() && b != b'"' && b != b'\\'));
    if plain && !name.is_empty() {
        return format!("filename=\"{name}\"");
    }
    let mut out = String::from("filename*=utf-8''");
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Base64 in lines of 76 characters, CRLF between lines, none after the last.
pub(crate) fn base64_lines(bytes: &[u8]) -> String {
    let encoded = B64.encode(bytes);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    lines.join("\r\n")
}

/// Quoted-printable (RFC 2045 §6.7) with CRLF line ends. Besides what the
/// RFC requires, `From ` and `.` at the start of a line and `-` as the first
/// character are escaped, so that no transport rewrites signed text
/// (RFC 3156 §3).
pub(crate) fn quoted_printable(text: &str) -> String {
    let normalized = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(normalized.len() + normalized.len() / 8);
    for (i, line) in normalized.split('\n').enumerate() {
        if i > 0 {
            out.push_str("\r\n");
        }
        let bytes = line.as_bytes();
        let mut col = 0;
        for (j, &b) in bytes.iter().enumerate() {
            let last = j + 1 == bytes.len();
            let at_start = j == 0;
            let escape = match b {
                b'=' => true,
                b' ' | b'\t' => last,
                b'F' if at_start => line.starts_with("From "),
                b'.' | b'-' if at_start => true,
                33..=126 => false,
                _ => true,
            };
            let piece_len = if escape { 3 } else { 1 };
            // Keep every line within 76 characters, the soft break's `=`
            // included.
            if col + piece_len > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            if escape {
                out.push_str(&format!("={b:02X}"));
            } else {
                out.push(b as char);
            }
            col += piece_len;
        }
    }
    out
}

/// A parsed entity: its header block and its body, both borrowed.
pub(crate) struct Entity<'a> {
    headers: &'a [u8],
    pub(crate) body: &'a [u8],
}

impl<'a> Entity<'a> {
    /// Splits at the first empty line (CRLF or LF line ends).
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Entity<'a>, Error> {
        if bytes.starts_with(b"\r\n") || bytes.starts_with(b"\n") {
            let skip = if bytes.starts_with(b"\r\n") { 2 } else { 1 };
            return Ok(Entity {
                headers: &[],
                body: &bytes[skip..],
            });
        }
        for i in 0..bytes.len() {
            let rest = &bytes[i..];
            if rest.starts_with(b"\r\n\r\n") {
                return Ok(Entity {
                    headers: &bytes[..i + 2],
                    body: &bytes[i + 4..],
                });
            }
            if rest.starts_with(b"\n\n") {
                return Ok(Entity {
                    headers: &bytes[..i + 1],
                    body: &bytes[i + 2..],
                });
            }
        }
        Err(Error::Mime("no empty line ends the header block".into()))
    }

    /// The unfolded value of the first header called `name`.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(self.headers);
        let mut value: Option<String> = None;
        for line in text.split('\n') {
            let line = line.trim_end_matches('\r');
            if line.starts_with([' ', '\t']) {
                if let Some(v) = value.as_mut() {
                    v.push(' ');
                    v.push_str(line.trim());
                }
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.trim().eq_ignore_ascii_case(name)
            {
                value = Some(v.trim().to_string());
            }
        }
        value
    }

    /// The content type (lower case) and its parameters (names lower case).
    pub(crate) fn content_type(&self) -> (String, Vec<(String, String)>) {
        let Some(value) = self.header("Content-Type") else {
            return ("text/plain".into(), Vec::new());
        };
        let mut pieces = split_params(&value).into_iter();
        let kind = pieces
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let params = pieces
            .filter_map(|p| {
                let (n, v) = p.split_once('=')?;
                let v = v.trim();
                let v = v
                    .strip_prefix('"')
                    .and_then(|v| v.strip_suffix('"'))
                    .unwrap_or(v);
                Some((n.trim().to_ascii_lowercase(), v.replace("\\\"", "\"")))
            })
            .collect();
        (kind, params)
    }

    /// The parts of a `multipart/*` entity of the given subtype, each exactly
    /// as it appears between its delimiter line and the line break that
    /// precedes the next delimiter (RFC 2046 §5.1.1).
    pub(crate) fn parts(&self, subtype: &str) -> Result<Vec<&'a [u8]>, Error> {
        let (kind, params) = self.content_type();
        if kind != format!("multipart/{subtype}") {
            return Err(Error::Mime(format!(
                "expected a multipart/{subtype} message, found {kind}"
            )));
        }
        let boundary = params
            .iter()
            .find(|(n, _)| n == "boundary")
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::Mime(format!("multipart/{subtype} without a boundary")))?;
        split_parts(self.body, &boundary)
    }

    pub(crate) fn param(&self, name: &str) -> Option<String> {
        let (_, params) = self.content_type();
        params.into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// Splits at `;` outside quoted strings.
fn split_params(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(String::new());
                continue;
            }
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

fn split_parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<&'a [u8]>, Error> {
    let delimiter = format!("--{boundary}");
    // Offsets of each delimiter line: (start of the line break before it, or
    // the line's start for the first line; end of the line; is it the close).
    let mut marks = Vec::new();
    let mut pos = 0;
    while pos <= body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |i| pos + i);
        let line = &body[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(rest) = line.strip_prefix(delimiter.as_bytes()) {
            let close = rest.starts_with(b"--");
            let trailing = if close { &rest[2..] } else { rest };
            if trailing.iter().all(|b| *b == b' ' || *b == b'\t') {
                let before = if pos >= 2 && &body[pos - 2..pos] == b"\r\n" {
                    pos - 2
                } else {
                    pos.saturating_sub(1)
                };
                marks.push((before, (end + 1).min(body.len()), close));
                if close {
                    break;
                }
            }
        }
        pos = end + 1;
    }
    let mut parts = Vec::new();
    for pair in marks.windows(2) {
        let (_, start, close) = pair[0];
        if close {
            break;
        }
        parts.push(&body[start..pair[1].0.max(start)]);
    }
    if !marks.last().is_some_and(|m| m.2) {
        return Err(Error::Mime(format!(
            "the multipart body has no closing --{boundary}-- line"
        )));
    }
    Ok(parts)
}

/// Line ends as RFC 3156 signs them: every bare LF becomes CRLF (a mail that
/// an MTA delivered with LF line ends is verified as it was sent).
pub(crate) fn canonical_crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut prev = 0u8;
    for &b in bytes {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_qp(input: &str, expected: &str) {
        assert_eq!(quoted_printable(input), expected, "input {input:?}");
    }

    #[test]
    fn quoted_printable_cases() {
        check_qp("hello", "hello");
        check_qp("a=b", "a=3Db");
        check_qp("trailing space \nnext", "trailing space=20\r\nnext");
        check_qp(
            "From me\n.dot\n-- \nsig",
            "=46rom me\r\n=2Edot\r\n=2D-=20\r\nsig",
        );
        check_qp("café", "caf=C3=A9");
        check_qp(
            &"x".repeat(80),
            &format!("{}=\r\n{}", "x".repeat(75), "x".repeat(5)),
        );
    }

    fn check_header(input: &str, expected: &str) {
        assert_eq!(encode_unstructured(input), expected, "input {input:?}");
    }

    #[test]
    fn subjects() {
        check_header("Embargo ends Tuesday", "Embargo ends Tuesday");
        check_header("Überlauf", "=?utf-8?B?w5xiZXJsYXVm?=");
        check_header(
            "line\r\nBcc: x@example.org",
            "=?utf-8?B?bGluZQ0KQmNjOiB4QGV4YW1wbGUub3Jn?=",
        );
        let long = "é".repeat(30);
        let encoded = encode_unstructured(&long);
        assert!(encoded.split("\r\n ").all(|w| w.len() <= 75), "{encoded}");
    }

    #[test]
    fn filenames() {
        assert_eq!(encode_filename("fix.patch"), "filename=\"fix.patch\"");
        assert_eq!(encode_filename("ü.txt"), "filename*=utf-8''%C3%BC.txt");
    }

    #[test]
    fn message_ids() {
        assert_eq!(
            MessageId::new("<a.1@example.org>").unwrap().as_str(),
            "a.1@example.org"
        );
        assert!(MessageId::new("no-at-sign").is_err());
        assert!(MessageId::new("a b@example.org").is_err());
    }

    #[test]
    fn parts_are_cut_byte_for_byte() {
        let body = b"preamble\r\n--b\r\nA\r\n\r\nx\r\n--b\r\nB\n--b--\r\nepilogue";
        let parts = split_parts(body, "b").unwrap();
        assert_eq!(parts, vec![&b"A\r\n\r\nx"[..], &b"B"[..]]);
        assert!(split_parts(b"--b\r\nA", "b").is_err());
    }
}
