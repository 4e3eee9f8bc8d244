-- psirt's schema on SQLite. Keep in step with ../postgres/0001_init.sql:
-- same tables, same columns, same meaning; only the dialect differs.
-- Instants are Unix microseconds (UTC) in BIGINT columns; flags are 0 or 1
-- in BIGINT columns, which both backends read the same way.

CREATE TABLE projects (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    policy      TEXT NOT NULL,            -- JSON, psirt_core::Policy
    lead_turns  BIGINT NOT NULL DEFAULT 0, -- Fix Lead turns handed out so far
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    email       TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    is_admin    BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,     -- SHA-256 of the token, hex
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE pst_members (
    project     TEXT NOT NULL REFERENCES projects(slug),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    position    BIGINT NOT NULL,          -- roster order
    available   BIGINT NOT NULL DEFAULT 1,
    last_turn   BIGINT,                   -- projects.lead_turns at this member's last turn as Fix Lead
    joined_at   BIGINT NOT NULL,
    removed_at  BIGINT,
    PRIMARY KEY (project, user_id)
);

CREATE TABLE case_counters (
    year        BIGINT PRIMARY KEY,
    last        BIGINT NOT NULL
);

CREATE TABLE cases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    reference   TEXT NOT NULL UNIQUE,
    project     TEXT NOT NULL REFERENCES projects(slug),
    version     BIGINT NOT NULL,          -- number of events; optimistic concurrency
    is_open     BIGINT NOT NULL,
    opened_at   BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX cases_open ON cases (is_open, project);

CREATE TABLE case_events (
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    seq         BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    payload     TEXT NOT NULL,            -- JSON, psirt_core::Event
    PRIMARY KEY (case_id, seq)
);
