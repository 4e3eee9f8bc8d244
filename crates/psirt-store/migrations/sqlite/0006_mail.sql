-- Mail: the durable outbox, the OpenPGP keys on file for recipients,
-- inbound messages and the IMAP poller's position, and where a project's
-- public mail goes. Keep in step with ../postgres/0006_mail.sql.

-- One row per message and recipient: each recipient gets their own copy
-- (their own encryption) and their own delivery state. A row is written in
-- the transaction of the event that causes it.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id          BIGINT REFERENCES cases(id),
    kind             TEXT NOT NULL,            -- psirt_core::MailKind
    once_key         TEXT UNIQUE,              -- written at most once (reminders)
    message_id       TEXT NOT NULL UNIQUE,     -- without angle brackets
    in_reply_to      TEXT,
    recipient        TEXT NOT NULL,
    recipient_name   TEXT,
    subject          TEXT NOT NULL,            -- embargoed content: never in logs
    body             TEXT NOT NULL,            -- embargoed content: never in logs
    encrypt_only     BIGINT NOT NULL,          -- 1: never sent in clear
    state            TEXT NOT NULL,            -- draft, queued, sending, sent, failed, discarded
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_by       TEXT,                     -- the worker delivering it
    lease_until      BIGINT,                   -- another worker may take it over after this
    last_error       TEXT,
    encrypted        BIGINT,                   -- how it went out: 1 encrypted, 0 signed only
    created_at       BIGINT NOT NULL,
    reviewed_by      BIGINT REFERENCES users(id),
    reviewed_at      BIGINT,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_case ON outbox (case_id, id);

-- Recipients' public keys, by address. A message to an address with a key
-- here is encrypted to it.
CREATE TABLE openpgp_keys (
    email        TEXT PRIMARY KEY,
    fingerprint  TEXT NOT NULL,
    armored      TEXT NOT NULL,
    added_at     BIGINT NOT NULL
);

-- Every message that arrived, kept as it arrived, with what was done.
CREATE TABLE inbound_mail (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key   TEXT NOT NULL UNIQUE,         -- the Message-ID, or sha256: of the bytes
    source       TEXT NOT NULL,                -- stdin, imap:<mailbox>
    received_at  BIGINT NOT NULL,
    outcome      TEXT NOT NULL,                -- opened, threaded, automatic, quarantined
    reason       TEXT,
    case_id      BIGINT REFERENCES cases(id),
    raw          BLOB NOT NULL                -- embargoed content
);
CREATE INDEX inbound_outcome ON inbound_mail (outcome, id);

-- Where the IMAP poller is in each mailbox.
CREATE TABLE mailbox_cursors (
    mailbox       TEXT PRIMARY KEY,
    uid_validity  BIGINT NOT NULL,
    last_uid      BIGINT NOT NULL
);

-- The project's public announcement list (forthcoming-fix notices and
-- release announcements) and the private distributors list.
ALTER TABLE projects ADD COLUMN announce_address TEXT;
CREATE TABLE distributor_recipients (
    project   TEXT NOT NULL REFERENCES projects(slug),
    email     TEXT NOT NULL,
    name      TEXT,
    added_at  BIGINT NOT NULL,
    PRIMARY KEY (project, email)
);
