-- The audit log: who did or saw what, when, from where, as a hash chain.
-- Keep in step with ../postgres/0003_audit.sql. The canonical bytes each
-- hash covers are defined in src/audit.rs; never store report bodies,
-- tokens or passwords here.

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,       -- 1, 2, 3, … without gaps
    at          BIGINT NOT NULL,          -- when it happened (the clock, not --now)
    actor       TEXT NOT NULL,            -- user:ID EMAIL, reporter, psirt, anonymous, local
    action      TEXT NOT NULL,            -- case.view, case.command.cvss_proposed, user.add, …
    case_ref    TEXT,                     -- PSIRT-YYYY-NNNN when about one case
    origin      TEXT NOT NULL,            -- client address, or cli
    detail      TEXT NOT NULL,            -- short and never secret: event range, references
    prev_hash   TEXT NOT NULL,            -- the previous entry's hash, hex; 64 zeros for entry 1
    hash        TEXT NOT NULL             -- SHA-256(prev_hash || canonical bytes), hex
);
CREATE INDEX audit_log_case ON audit_log (case_ref, seq);

-- The chain's head, one row. Appenders lock it (FOR UPDATE on PostgreSQL;
-- SQLite's write lock does the same), so the chain never forks; verify
-- also compares it with the last entry, which catches a truncated tail.
CREATE TABLE audit_head (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
