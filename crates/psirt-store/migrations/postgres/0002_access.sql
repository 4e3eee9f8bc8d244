-- Reporter status links, browser sessions and passwords.
-- Keep in step with ../sqlite/0002_access.sql.

ALTER TABLE users ADD COLUMN password_hash TEXT;   -- PHC string (Argon2id); NULL: no password

CREATE TABLE status_tokens (
    token_hash  TEXT PRIMARY KEY,                  -- SHA-256 of the reporter's link token, hex
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,                  -- SHA-256 of the session cookie, hex
    user_id     BIGINT NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,                     -- the session's CSRF token
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
