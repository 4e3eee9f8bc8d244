-- One-time links to set a password and sign in, for people named on the
-- distributors list and new PST members. Only the SHA-256 of the link's
-- token is kept.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    project     TEXT NOT NULL REFERENCES projects(slug),
    purpose     TEXT NOT NULL,            -- distributor, pst
    org_id      BIGINT REFERENCES distributor_orgs(id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX invitations_project ON invitations (project, used_at);

-- The key a message is encrypted to when it is not on file yet: an
-- invitation goes to the key the person gave, before they confirm it.
ALTER TABLE outbox ADD COLUMN recipient_key TEXT;
