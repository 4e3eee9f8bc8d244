//! The audit log: an append-only, hash-chained record of every state change
//! and every read of embargoed content — who, what, when, from where.
//!
//! This module owns the entries' canonical encoding, appending (serialized,
//! so the chain never forks, even with several replicas on one PostgreSQL
//! database) and verification. Callers append inside the transaction of the
//! change they record, so a change and its entry commit or roll back
//! together. It must never record report bodies, tokens or passwords:
//! entries carry names, references, ids and counts, and every `detail` is
//! built in this crate from values that are not secret.
//!
//! # Canonical encoding (version 1)
//!
//! Entry `n`'s hash is `SHA-256(prev || canonical(n))`, stored as lower-case
//! hex. `prev` is the 32 raw bytes of entry `n-1`'s hash (32 zero bytes for
//! entry 1). `canonical(n)` is the concatenation of:
//!
//! 1. `str("psirt-audit-v1")`, a tag naming this encoding;
//! 2. `seq`, as a big-endian `u64` (8 bytes);
//! 3. `at`, Unix microseconds as a big-endian `i64` (8 bytes);
//! 4. `str(actor)`;
//! 5. `str(action)`;
//! 6. the case: the byte `0x00` when there is none, otherwise `0x01`
//!    followed by `str(reference)`;
//! 7. `str(origin)`;
//! 8. `str(detail)`;
//!
//! where `str(s)` is the length of `s`'s UTF-8 bytes as a big-endian `u64`
//! followed by those bytes. Length prefixes make the encoding injective: no
//! two different entries have the same bytes, whatever their text contains.
//! Because the hash covers `seq` and the previous hash, an entry cannot be
//! altered, removed or moved without breaking the chain at that point.
//!
//! The chain alone detects tampering with some entries by someone who
//! cannot also rewrite every later entry and the head. Removing the last
//! entries and moving the head back, or recomputing the whole chain after
//! changing an old entry, leaves a chain that is consistent with itself;
//! what catches those is a **witness**: an earlier head, `SEQ:HASH`, kept
//! somewhere the database's owner cannot reach ([`Store::audit_verify_against`]
//! fails when the chain no longer holds that entry at that place), for
//! example a [`Checkpoint`] signed with the instance key and mailed to the
//! PST every day.
//!
//! # Checkpoint statement (version 1)
//!
//! The text the instance signs (OpenPGP cleartext signature) is five lines:
//!
//! ```text
//! psirt audit checkpoint v1
//! instance: <the instance key's fingerprint, 40 hex digits>
//! sequence: <the head entry's seq>
//! hash: <its hash, 64 lower-case hex digits>
//! time: <RFC 3339, UTC, when the head was read>
//! ```

use std::fmt;

use jiff::Timestamp;
use psirt_core::CaseRef;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::{Backend, Store, StoreError, micros};

const TAG: &str = "psirt-audit-v1";
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Rows read per query while verifying: the log may hold millions.
const PAGE: usize = 1000;

const HEAD_SQLITE: &str = "SELECT seq, hash FROM audit_head WHERE id = 1";
// The row lock queues appenders on every replica until the holder commits.
// It is always the last lock a transaction takes (appends come right before
// the commit), so it cannot take part in a deadlock.
const HEAD_POSTGRES: &str = "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE";

/// What to record; the sequence number and the time are the log's.
#[derive(Clone, Debug)]
pub(crate) struct AuditEntry {
    /// `user:ID EMAIL`, `reporter`, `psirt`, `anonymous` or `local`.
    pub actor: String,
    pub action: String,
    pub case: Option<CaseRef>,
    pub origin: String,
    /// Short and never secret: an event range, references, a user id.
    pub detail: String,
}

impl AuditEntry {
    /// What `caller` did or read, with the caller's actor and origin.
    pub(crate) fn by(
        caller: &crate::Caller,
        action: impl Into<String>,
        case: Option<CaseRef>,
        detail: String,
    ) -> AuditEntry {
        AuditEntry {
            actor: crate::standing::audit_actor(&caller.principal),
            action: action.into(),
            case,
            origin: caller.origin.clone(),
            detail,
        }
    }
}

/// Actor and origin of the account operations the command line performs
/// as the local administrator. They take no caller yet; when the server
/// exposes them, it will pass its own.
pub(crate) const LOCAL: &str = "local";
pub(crate) const CLI: &str = "cli";

impl crate::Store {
    /// An account, project or session change, by whoever this handle acts
    /// for ([`crate::Store::by`]), or the local administrator.
    pub(crate) fn account_entry(&self, action: &str, detail: String) -> AuditEntry {
        let (actor, origin) = match &self.by {
            Some(who) => (who.0.clone(), who.1.clone()),
            None => (LOCAL.to_string(), CLI.to_string()),
        };
        AuditEntry {
            actor,
            action: action.into(),
            case: None,
            origin,
            detail,
        }
    }

    /// Records an account, project or session change in the audit log and
    /// commits, so the change and its record land together or not at all.
    pub(crate) async fn commit_audited(
        &self,
        mut tx: crate::WriteTx,
        action: &str,
        detail: String,
    ) -> Result<(), StoreError> {
        append(&mut tx, self.backend, &self.account_entry(action, detail)).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One entry of the log, as `psirt audit show` lists it. It holds nothing
/// secret by construction (see [`AuditEntry`]), so its `Debug` is derived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub seq: u64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub case: Option<CaseRef>,
    pub origin: String,
    pub detail: String,
}

/// The outcome of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditReport {
    /// Every entry is where it was written, as it was written.
    Intact { entries: u64, head: String },
    /// The first entry at which the chain breaks.
    Broken(AuditBreak),
}

/// Where and how the chain breaks first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditBreak {
    pub seq: u64,
    pub kind: BreakKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry's content or hash is not what was written.
    Altered,
    /// The entry was removed.
    Missing,
    /// The entry holds another position's entry.
    OutOfOrder,
    /// The entry lies beyond the head psirt recorded: it was not appended
    /// by psirt.
    Added,
    /// The log ends before the entry a witness saw: its tail was removed
    /// (and the head moved back).
    Truncated,
    /// The entry at the witnessed place is not the one the witness saw:
    /// the chain was recomputed from an earlier entry on.
    Rewritten,
    /// No entry has the hash the witness kept (a hash without its place).
    Unwitnessed,
}

impl fmt::Display for AuditBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match self.kind {
            BreakKind::Altered => write!(f, "entry {seq} was altered"),
            BreakKind::Missing => write!(f, "entry {seq} is missing"),
            BreakKind::OutOfOrder => write!(f, "entries out of order at {seq}"),
            BreakKind::Added => write!(f, "entry {seq} was added outside psirt"),
            BreakKind::Truncated => write!(
                f,
                "the log ends before entry {seq}, which the witness saw: its last entries were removed"
            ),
            BreakKind::Rewritten => write!(
                f,
                "entry {seq} is not the one the witness saw: the log was rewritten"
            ),
            BreakKind::Unwitnessed => write!(
                f,
                "no entry has the witnessed hash: the log was truncated or rewritten"
            ),
        }
    }
}

/// A place in the chain: entry `seq` with its `hash`. `0:` + 64 zeros is
/// the empty log. Written and read as `SEQ:HASH` (what `psirt audit head`
/// prints).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: u64,
    pub hash: String,
}

impl fmt::Display for AuditHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// What a witness kept: a whole head, or only a hash (its place is looked
/// up in the chain).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Witnessed {
    Head(AuditHead),
    Hash(String),
}

impl std::str::FromStr for Witnessed {
    type Err = StoreError;

    /// `SEQ:HASH` or `HASH`; the hash is 64 hexadecimal digits, in any case.
    fn from_str(text: &str) -> Result<Witnessed, StoreError> {
        let bad = |reason: String| StoreError::Invalid {
            field: "expected head",
            reason,
        };
        let text = text.trim();
        let (seq, hash) = match text.split_once(':') {
            Some((seq, hash)) => (
                Some(
                    seq.parse::<u64>()
                        .map_err(|_| bad(format!("{seq:?} is not a sequence number (SEQ:HASH)")))?,
                ),
                hash,
            ),
            None => (None, text),
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "{hash:?} is not an audit hash (64 hexadecimal digits, as `psirt audit head` prints SEQ:HASH)"
            )));
        }
        let hash = hash.to_ascii_lowercase();
        Ok(match seq {
            Some(seq) => Witnessed::Head(AuditHead { seq, hash }),
            None => Witnessed::Hash(hash),
        })
    }
}

/// The head as the instance states it in a signed checkpoint; see the
/// module documentation for the statement's exact text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The instance key's fingerprint (who signs).
    pub instance: String,
    pub head: AuditHead,
    pub at: Timestamp,
}

const CHECKPOINT_TAG: &str = "psirt audit checkpoint v1";

impl Checkpoint {
    /// The statement to sign, lines ending in `\n`.
    pub fn statement(&self) -> String {
        format!(
            "{CHECKPOINT_TAG}\ninstance: {}\nsequence: {}\nhash: {}\ntime: {}\n",
            self.instance,
            self.head.seq,
            self.head.hash,
            self.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    }

    /// Reads a statement (the signed text, already verified by the caller).
    pub fn parse(text: &str) -> Result<Checkpoint, StoreError> {
        let bad = |reason: &str| StoreError::Invalid {
            field: "checkpoint",
            reason: reason.into(),
        };
        let mut lines = text.lines().map(str::trim_end);
        if lines.next() != Some(CHECKPOINT_TAG) {
            return Err(bad(&format!("does not start with {CHECKPOINT_TAG:?}")));
        }
        let mut field = |name: &str| -> Result<String, StoreError> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(": "))
                .map(str::to_string)
                .ok_or_else(|| bad(&format!("the line {name:?} is missing or out of place")))
        };
        let instance = field("instance")?;
        let seq = field("sequence")?;
        let hash = field("hash")?;
        let at = field("time")?;
        let Witnessed::Head(head) = format!("{seq}:{hash}").parse::<Witnessed>()? else {
            unreachable!("SEQ:HASH always parses as a head")
        };
        let at = at
            .parse::<Timestamp>()
            .map_err(|e| bad(&format!("time {at:?}: {e}")))?;
        Ok(Checkpoint { instance, head, at })
    }
}

/// The fields the hash covers, borrowed from a [`LogRow`] (one to append or
/// one read back).
struct Canonical<'a> {
    seq: u64,
    at: i64,
    actor: &'a str,
    action: &'a str,
    case: Option<&'a str>,
    origin: &'a str,
    detail: &'a str,
}

impl Canonical<'_> {
    /// The canonical bytes, as the module documentation defines them.
    fn bytes(&self) -> Vec<u8> {
        fn str(out: &mut Vec<u8>, s: &str) {
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        let mut out = Vec::with_capacity(128 + self.detail.len());
        str(&mut out, TAG);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.at.to_be_bytes());
        str(&mut out, self.actor);
        str(&mut out, self.action);
        match self.case {
            None => out.push(0),
            Some(reference) => {
                out.push(1);
                str(&mut out, reference);
            }
        }
        str(&mut out, self.origin);
        str(&mut out, self.detail);
        out
    }

    /// The entry's hash after `prev` (hex), or `None` when `prev` is not a
    /// hash at all (a damaged row).
    fn hash(&self, prev: &str) -> Option<String> {
        let mut raw = [0u8; 32];
        hex::decode_to_slice(prev, &mut raw).ok()?;
        let mut h = Sha256::new();
        h.update(raw);
        h.update(self.bytes());
        Some(hex::encode(h.finalize()))
    }
}

/// Locks the audit head until the transaction ends, before any other row
/// the transaction will lock (PostgreSQL; SQLite has one writer anyway):
/// a batch of grouped requests (`group.rs`) and intake take it first, so
/// that they and the year's case counter are always locked in one order.
pub(crate) async fn lock_head(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query(HEAD_POSTGRES).fetch_one(&mut *conn).await?;
    }
    Ok(())
}

/// The chain's head as a transaction that holds it sees it: the last
/// entry's `seq` and hash (0 and [`GENESIS`] for an empty log).
#[derive(Clone, Debug)]
pub(crate) struct Head {
    seq: u64,
    hash: String,
}

/// Reads the head, locking it until the transaction ends on PostgreSQL
/// (see [`lock_head`]); SQLite's write transaction holds it already. A
/// batch (`group.rs`) that holds the head and knows what it appended
/// need not read it again.
pub(crate) async fn read_head(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Head, StoreError> {
    let head = sqlx::query(match backend {
        Backend::Sqlite => HEAD_SQLITE,
        Backend::Postgres => HEAD_POSTGRES,
    })
    .fetch_one(&mut *conn)
    .await?;
    Ok(Head {
        seq: head.try_get::<i64, _>("seq")? as u64,
        hash: head.try_get("hash")?,
    })
}

/// Appends `entry` after the chain's head, inside the caller's transaction.
/// The head row is locked (PostgreSQL) or already covered by the write lock
/// (SQLite, `BEGIN IMMEDIATE`), so concurrent appenders queue.
///
/// `at` is the clock, not the instant the caller records a command as:
/// `--now` may backdate an import, but not the audit log.
pub(crate) async fn append(
    conn: &mut AnyConnection,
    backend: Backend,
    entry: &AuditEntry,
) -> Result<(), StoreError> {
    append_all(conn, backend, std::slice::from_ref(entry)).await
}

/// The most entries one INSERT writes: nine values each, well under
/// SQLite's 999 bound variables.
const ROWS_PER_INSERT: usize = 64;

/// Appends `entries` in their order: the head read once, the rows written
/// with one INSERT per [`ROWS_PER_INSERT`], the head moved once. A batch
/// of audited reads (`group.rs`) pays three statements instead of three
/// per read.
pub(crate) async fn append_all(
    conn: &mut AnyConnection,
    backend: Backend,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let head = read_head(conn, backend).await?;
    append_after(conn, backend, head, entries).await?;
    Ok(())
}

/// [`append_all`] after `head`, which the caller read in this transaction
/// and has held since (nothing else appended meanwhile): the rows and the
/// head moved, two statements (on PostgreSQL one, the head's UPDATE with
/// the last INSERT as its data-modifying `WITH`). Returns the new head.
pub(crate) async fn append_after(
    conn: &mut AnyConnection,
    backend: Backend,
    head: Head,
    entries: &[AuditEntry],
) -> Result<Head, StoreError> {
    let Head {
        mut seq,
        hash: mut prev,
    } = head;
    let chunks = entries.chunks(ROWS_PER_INSERT).count();
    for (i, chunk) in entries.chunks(ROWS_PER_INSERT).enumerate() {
        let rows: Vec<LogRow> = chunk
            .iter()
            .map(|entry| {
                seq += 1;
                let row = LogRow::chained(seq, entry, &prev)?;
                prev.clone_from(&row.hash);
                Ok(row)
            })
            .collect::<Result<_, StoreError>>()?;
        let insert = format!(
            "INSERT INTO audit_log (seq, at, actor, action, case_ref, origin, detail, prev_hash, hash) \
             VALUES {}",
            crate::values_list(rows.len(), 9)
        );
        let moves_head = backend == Backend::Postgres && i + 1 == chunks;
        let sql = match moves_head {
            true => format!(
                "WITH appended AS ({insert}) UPDATE audit_head SET seq = ${}, hash = ${} WHERE id = 1",
                rows.len() * 9 + 1,
                rows.len() * 9 + 2
            ),
            false => insert,
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in rows {
            query = query
                .bind(row.seq)
                .bind(row.at)
                .bind(row.actor)
                .bind(row.action)
                .bind(row.case)
                .bind(row.origin)
                .bind(row.detail)
                .bind(row.prev_hash)
                .bind(row.hash);
        }
        if moves_head {
            query = query.bind(seq as i64).bind(prev.clone());
        }
        query.execute(&mut *conn).await?;
    }
    if backend == Backend::Sqlite {
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq as i64)
            .bind(&prev)
            .execute(&mut *conn)
            .await?;
    }
    Ok(Head { seq, hash: prev })
}

/// An entry's row in `audit_log`: the nine values written when it is
/// appended, and read back when the chain is verified.
struct LogRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    case: Option<String>,
    origin: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl LogRow {
    /// `entry` as the row at `seq` after `prev`, stamped with the clock
    /// and hashed.
    fn chained(seq: u64, entry: &AuditEntry, prev: &str) -> Result<LogRow, StoreError> {
        let mut row = LogRow {
            seq: seq as i64,
            at: micros(Timestamp::now()),
            actor: entry.actor.clone(),
            action: entry.action.clone(),
            case: entry.case.map(|c| c.to_string()),
            origin: entry.origin.clone(),
            detail: entry.detail.clone(),
            prev_hash: prev.to_string(),
            hash: String::new(),
        };
        row.hash = row
            .hash_at(seq)
            .ok_or_else(|| StoreError::Corrupt("the audit log's head is not a hash".into()))?;
        Ok(row)
    }

    fn from_row(row: &sqlx::any::AnyRow) -> Result<LogRow, StoreError> {
        Ok(LogRow {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            case: row.try_get("case_ref")?,
            origin: row.try_get("origin")?,
            detail: row.try_get("detail")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    /// This row's hash if it sat at `seq`, chained to its `prev_hash`;
    /// `None` when that is not a hash.
    fn hash_at(&self, seq: u64) -> Option<String> {
        Canonical {
            seq,
            at: self.at,
            actor: &self.actor,
            action: &self.action,
            case: self.case.as_deref(),
            origin: &self.origin,
            detail: &self.detail,
        }
        .hash(&self.prev_hash)
    }

    /// Whether the stored hash is this row's hash if it sat at `seq`.
    fn hashes_at(&self, seq: u64) -> bool {
        self.hash_at(seq).as_deref() == Some(self.hash.as_str())
    }
}

/// The actions that name several cases in `detail` (space-separated
/// references) instead of one in `case_ref`.
pub(crate) const LIST: &str = "case.list";

impl Store {
    /// Appends one entry in its own write transaction: for reads, which
    /// change nothing else. A read whose entry cannot be written fails.
    pub(crate) async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.grouped_audit(entry.clone(), None).await
    }

    /// Walks the whole chain in order, a page at a time, and reports the
    /// first entry that was altered, removed, reordered or added behind
    /// psirt's back. Entries appended while it runs are left for the next
    /// walk.
    pub async fn audit_verify(&self) -> Result<AuditReport, StoreError> {
        // One statement, so the head and the highest entry are one snapshot.
        let row = sqlx::query(
            "SELECT seq, hash, (SELECT MAX(seq) FROM audit_log) AS max_seq FROM audit_head WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        let head_seq: i64 = row.try_get("seq")?;
        let head_hash: String = row.try_get("hash")?;
        let max_seq: Option<i64> = row.try_get("max_seq")?;
        if max_seq.is_some_and(|m| m > head_seq) {
            return Ok(broken(head_seq as u64 + 1, BreakKind::Added));
        }
        let mut expected: u64 = 1;
        let mut prev = GENESIS.to_string();
        let mut after: i64 = 0;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT seq, at, actor, action, case_ref, origin, detail, prev_hash, hash \
                 FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT {PAGE}"
            )))
            .bind(after)
            .bind(head_seq)
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let entry = LogRow::from_row(row)?;
                if let Some(kind) = self.check(&entry, expected, &prev).await? {
                    let seq = match kind {
                        // The link is intact but leads from an entry that
                        // is not the one written there: that one changed.
                        Flaw::PreviousAltered => expected.saturating_sub(1).max(1),
                        Flaw::Here(_) => expected,
                    };
                    return Ok(broken(seq, kind.kind()));
                }
                after = entry.seq;
                prev = entry.hash;
                expected += 1;
            }
            if rows.len() < PAGE {
                break;
            }
        }
        let entries = expected - 1;
        if entries < head_seq as u64 {
            // The tail is gone: the head remembers how long the log was.
            return Ok(broken(expected, BreakKind::Missing));
        }
        if prev != head_hash {
            // The last entry was rewritten with a consistent hash.
            return Ok(broken(entries, BreakKind::Altered));
        }
        Ok(AuditReport::Intact {
            entries,
            head: head_hash,
        })
    }

    /// The chain's head now: what `psirt audit head` prints and a
    /// checkpoint states.
    pub async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        let row = sqlx::query(HEAD_SQLITE).fetch_one(&self.pool).await?;
        let seq: i64 = row.try_get("seq")?;
        Ok(AuditHead {
            seq: seq as u64,
            hash: row.try_get("hash")?,
        })
    }

    /// [`Store::audit_verify`], then checks that the chain still holds the
    /// entry a witness saw, at the place it saw it: a removed tail or a
    /// recomputed chain is consistent with itself, but not with an earlier
    /// head kept elsewhere.
    pub async fn audit_verify_against(
        &self,
        witnessed: &Witnessed,
    ) -> Result<AuditReport, StoreError> {
        let report = self.audit_verify().await?;
        let AuditReport::Intact { entries, .. } = &report else {
            return Ok(report);
        };
        let (seq, hash) = match witnessed {
            Witnessed::Head(head) => (head.seq, head.hash.as_str()),
            Witnessed::Hash(hash) => {
                let seq: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(seq) FROM audit_log WHERE hash = $1")
                        .bind(hash)
                        .fetch_one(&self.pool)
                        .await?;
                match seq {
                    Some(seq) => (seq as u64, hash.as_str()),
                    None if hash == GENESIS => return Ok(report),
                    None => return Ok(broken(0, BreakKind::Unwitnessed)),
                }
            }
        };
        if seq == 0 {
            // The empty log: every chain starts from it.
            return Ok(if hash == GENESIS {
                report
            } else {
                broken(0, BreakKind::Rewritten)
            });
        }
        if seq > *entries {
            return Ok(broken(seq, BreakKind::Truncated));
        }
        let stored: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(seq as i64)
                .fetch_optional(&self.pool)
                .await?;
        if stored.as_deref() != Some(hash) {
            return Ok(broken(seq, BreakKind::Rewritten));
        }
        Ok(report)
    }

    /// How `entry`, read where entry `expected` should be, differs from it.
    async fn check(
        &self,
        entry: &LogRow,
        expected: u64,
        prev: &str,
    ) -> Result<Option<Flaw>, StoreError> {
        if entry.seq as u64 != expected {
            return Ok(Some(Flaw::Here(BreakKind::Missing)));
        }
        let intact = entry.hashes_at(expected);
        if entry.prev_hash == prev {
            return Ok((!intact).then_some(Flaw::Here(BreakKind::Altered)));
        }
        if intact {
            return Ok(Some(Flaw::PreviousAltered));
        }
        // The entry neither hashes right here nor follows the entry before
        // it. If it follows some other entry, it was moved; if it would
        // hash right one place later, the entry before it was removed and
        // the rest renumbered.
        let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE hash = $1")
            .bind(&entry.prev_hash)
            .fetch_one(&self.pool)
            .await?;
        if linked > 0 {
            return Ok(Some(Flaw::Here(BreakKind::OutOfOrder)));
        }
        if entry.hashes_at(expected + 1) {
            return Ok(Some(Flaw::Here(BreakKind::Missing)));
        }
        Ok(Some(Flaw::Here(BreakKind::Altered)))
    }

    /// Who saw or changed the case, and when, oldest first: its own entries
    /// and the listings that named it.
    pub async fn audit_show(&self, case: CaseRef) -> Result<Vec<AuditRecord>, StoreError> {
        let reference = case.to_string();
        // A listing can only name the case after it was reported, so the
        // scan for listings starts at the report's entry.
        let rows = sqlx::query(
            "SELECT seq, at, actor, action, case_ref, origin, detail FROM audit_log \
             WHERE case_ref = $1 OR (case_ref IS NULL AND action = $2 \
               AND seq >= COALESCE((SELECT MIN(seq) FROM audit_log WHERE case_ref = $3 AND action = 'case.report'), 0) \
               AND (' ' || detail || ' ') LIKE $4) \
             ORDER BY seq",
        )
        .bind(&reference)
        .bind(LIST)
        .bind(&reference)
        .bind(format!("% {reference} %"))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq")?;
                let at: i64 = row.try_get("at")?;
                let case: Option<String> = row.try_get("case_ref")?;
                Ok(AuditRecord {
                    seq: seq as u64,
                    at: Timestamp::from_microsecond(at)
                        .map_err(|e| StoreError::Corrupt(format!("audit entry {seq}: {e}")))?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    case: case.map(|c| c.parse()).transpose().map_err(
                        |e: psirt_core::IdError| {
                            StoreError::Corrupt(format!("audit entry {seq}: {e}"))
                        },
                    )?,
                    origin: row.try_get("origin")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}

enum Flaw {
    Here(BreakKind),
    PreviousAltered,
}

impl Flaw {
    fn kind(&self) -> BreakKind {
        match self {
            Flaw::Here(kind) => *kind,
            Flaw::PreviousAltered => BreakKind::Altered,
        }
    }
}

fn broken(seq: u64, kind: BreakKind) -> AuditReport {
    AuditReport::Broken(AuditBreak { seq, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding is a promise to every log already written: these bytes
    /// and this hash must never change for version 1.
    #[test]
    fn canonical_bytes_are_stable() {
        let entry = Canonical {
            seq: 1,
            at: 1_793_610_000_000_000,
            actor: "user:1 alice@example.org",
            action: "case.view",
            case: Some("PSIRT-2026-0001"),
            origin: "cli",
            detail: "version 2",
        };
        let bytes = entry.bytes();
        assert_eq!(&bytes[..8], &14u64.to_be_bytes());
        assert_eq!(&bytes[8..22], b"psirt-audit-v1");
        assert_eq!(&bytes[22..30], &1u64.to_be_bytes());
        assert_eq!(&bytes[30..38], &1_793_610_000_000_000i64.to_be_bytes());
        assert_eq!(
            bytes.len(),
            8 + 14 + 8 + 8 + (8 + 24) + (8 + 9) + 1 + (8 + 15) + (8 + 3) + (8 + 9)
        );
        // Computed from the module documentation alone, in Python:
        // sha256(b"\0" * 32 + canonical).hexdigest().
        assert_eq!(
            entry.hash(GENESIS).unwrap(),
            "2589c0f4a031ab7ab98576926697edce8b3143f1e8163e4b105d244e4af3d64c"
        );
        // No case and an empty case reference are different entries.
        let none = Canonical {
            case: None,
            ..entry
        };
        let empty = Canonical {
            case: Some(""),
            ..none
        };
        assert_ne!(none.bytes(), empty.bytes());
        assert_eq!(none.hash("not hex"), None);
    }

    #[test]
    fn fields_cannot_bleed_into_each_other() {
        let a = Canonical {
            seq: 7,
            at: 0,
            actor: "ab",
            action: "c",
            case: None,
            origin: "",
            detail: "",
        };
        let b = Canonical {
            actor: "a",
            action: "bc",
            ..a
        };
        assert_ne!(a.hash(GENESIS), b.hash(GENESIS));
    }
}
