//! Files attached to a report: screenshots, packet captures, logs.
//!
//! This module owns the limits (how many, how large), the cleaning of the
//! names and content types a client sends, and the rows. Attachments are
//! written in the report's own transaction (`Store::report_with_attachments`)
//! and read back only through `Store::attachment`, which asks
//! `psirt_core::authorize` for `Operation::ViewCase` and records the read
//! (or the refusal) in the audit log, like `Store::case`. The bytes and the
//! names are embargoed report content: this module never logs them, and
//! the audit log records only an attachment's id.

use std::fmt;

use jiff::Timestamp;
use psirt_core::{CaseRef, Operation, authorize};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::cases::CaseRecord;
use crate::standing::actor;
use crate::{Caller, Store, StoreError, micros};

/// The most files one report may carry.
pub const MAX_ATTACHMENTS: usize = 5;
/// The largest file a report may carry, in bytes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// The longest file name kept, in characters; longer names are cut.
pub const MAX_NAME_CHARS: usize = 200;

/// Content types kept as sent; anything else is stored as
/// `application/octet-stream`.
pub const CONTENT_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "application/pdf",
    "application/json",
    "application/zip",
    "application/gzip",
    "application/vnd.tcpdump.pcap",
];

/// A file to attach, as a client sent it. Its `Debug` shows the size only:
/// the name and the bytes are report content.
#[derive(Clone)]
pub struct NewAttachment {
    pub name: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

impl fmt::Debug for NewAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAttachment")
            .field("name", &"<redacted>")
            .field("size", &self.data.len())
            .finish()
    }
}

/// What a case page lists: everything but the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    pub created_at: Timestamp,
}

impl fmt::Debug for AttachmentInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttachmentInfo")
            .field("id", &self.id)
            .field("name", &"<redacted>")
            .field("size", &self.size)
            .finish()
    }
}

/// An attachment with its bytes, read by someone allowed to see the case.
#[derive(Clone)]
pub struct Attachment {
    pub info: AttachmentInfo,
    pub data: Vec<u8>,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// The name as stored: only the final path component (a browser on
/// Windows may send `C:\Users\…\capture.pcap`), without control
/// characters, at most [`MAX_NAME_CHARS`] characters; `attachment` when
/// nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".into()
    } else {
        cleaned.to_string()
    }
}

/// The content type as stored: the media type of [`CONTENT_TYPES`] the
/// client named (parameters dropped), or `application/octet-stream`.
pub fn clean_content_type(raw: &str) -> String {
    let essence = raw
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    CONTENT_TYPES
        .iter()
        .find(|t| **t == essence)
        .map_or("application/octet-stream", |t| t)
        .to_string()
}

/// Checks the limits: at most [`MAX_ATTACHMENTS`] files, none empty, none
/// larger than [`MAX_ATTACHMENT_BYTES`]. The reason names the file, for the
/// person who sent it (never for a log).
pub fn check_attachments(files: &[NewAttachment]) -> Result<(), StoreError> {
    let invalid = |reason: String| StoreError::Invalid {
        field: "attachments",
        reason,
    };
    if files.len() > MAX_ATTACHMENTS {
        return Err(invalid(format!(
            "at most {MAX_ATTACHMENTS} files per report; {} were sent",
            files.len()
        )));
    }
    for file in files {
        let name = clean_name(&file.name);
        if file.data.is_empty() {
            return Err(invalid(format!("{name:?} is empty")));
        }
        if file.data.len() > MAX_ATTACHMENT_BYTES {
            return Err(invalid(format!(
                "{name:?} is larger than {} MiB",
                MAX_ATTACHMENT_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

/// Writes the (checked) files of a new case inside the report's transaction.
pub(crate) async fn insert(
    tx: &mut AnyConnection,
    case_id: i64,
    files: &[NewAttachment],
    now: Timestamp,
) -> Result<(), StoreError> {
    for file in files {
        let sha256 = hex::encode(Sha256::digest(&file.data));
        sqlx::query(
            "INSERT INTO attachments (case_id, name, content_type, size, sha256, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(case_id)
        .bind(clean_name(&file.name))
        .bind(clean_content_type(&file.content_type))
        .bind(file.data.len() as i64)
        .bind(sha256)
        .bind(file.data.as_slice())
        .bind(micros(now))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn info(row: &sqlx::any::AnyRow) -> Result<AttachmentInfo, StoreError> {
    let id: i64 = row.try_get("id")?;
    let size: i64 = row.try_get("size")?;
    let at: i64 = row.try_get("created_at")?;
    Ok(AttachmentInfo {
        id,
        name: row.try_get("name")?,
        content_type: row.try_get("content_type")?,
        size: size as u64,
        sha256: row.try_get("sha256")?,
        created_at: Timestamp::from_microsecond(at)
            .map_err(|e| StoreError::Corrupt(format!("attachment {id}: {e}")))?,
    })
}

impl Store {
    /// The attachments of a case the caller has already read: pass the
    /// record `Store::case` returned (which authorized and audited the
    /// read). The list carries names, sizes and hashes, never the bytes.
    pub async fn attachments(
        &self,
        record: &CaseRecord,
    ) -> Result<Vec<AttachmentInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.id, a.name, a.content_type, a.size, a.sha256, a.created_at \
             FROM attachments a JOIN cases c ON c.id = a.case_id \
             WHERE c.reference = $1 ORDER BY a.id",
        )
        .bind(record.case.reference.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(info).collect()
    }

    /// One attachment with its bytes, if the caller may see the case
    /// (`Operation::ViewCase`). The read, or the refused attempt, is
    /// written to the audit log first (`case.attachment.view` or
    /// `case.attachment.view.denied`, with the attachment's id only).
    pub async fn attachment(
        &self,
        caller: &Caller,
        reference: CaseRef,
        id: i64,
    ) -> Result<Attachment, StoreError> {
        let principal = &caller.principal;
        let (case_id, record) = self.load(reference).await?;
        let actor = actor(&mut *self.pool.acquire().await?, principal, &record.case).await?;
        let decision = authorize(&actor, Operation::ViewCase, &record.case);
        let subject = format!("attachment {id}");
        let denied_prefix = format!("{subject}: ");
        self.audit_read(
            caller,
            reference,
            decision,
            "case.attachment.view",
            subject,
            &denied_prefix,
        )
        .await?;
        let row = sqlx::query(
            "SELECT id, name, content_type, size, sha256, created_at, data \
             FROM attachments WHERE case_id = $1 AND id = $2",
        )
        .bind(case_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("attachment {id} of case {reference}")))?;
        Ok(Attachment {
            info: info(&row)?,
            data: row.try_get("data")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_only_the_final_component_without_control_characters() {
        for (raw, expected) in [
            ("capture.pcap", "capture.pcap"),
            ("../../etc/passwd", "passwd"),
            ("C:\\Users\\rita\\shot.png", "shot.png"),
            ("a\u{0}b\nc\u{7f}.txt", "abc.txt"),
            ("dir/", "attachment"),
            ("..", "attachment"),
            ("  spaced.txt  ", "spaced.txt"),
            ("", "attachment"),
        ] {
            assert_eq!(clean_name(raw), expected, "{raw:?}");
        }
        assert_eq!(clean_name(&"é".repeat(300)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn content_types_outside_the_allow_list_become_octet_stream() {
        for (raw, expected) in [
            ("image/png", "image/png"),
            ("Text/Plain; charset=utf-8", "text/plain"),
            ("text/html", "application/octet-stream"),
            ("image/svg+xml", "application/octet-stream"),
            ("", "application/octet-stream"),
        ] {
            assert_eq!(clean_content_type(raw), expected, "{raw:?}");
        }
    }
}
