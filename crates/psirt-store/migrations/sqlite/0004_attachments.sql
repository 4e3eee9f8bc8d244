-- Files attached to a report (screenshots, packet captures), stored in the
-- database with the case. Keep in step with ../postgres/0004_attachments.sql.
-- The bytes and the names are embargoed report content: never copy them
-- into the audit log or any other table.

CREATE TABLE attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    name          TEXT NOT NULL,            -- sanitized: final path component, no control characters
    content_type  TEXT NOT NULL,            -- from psirt_store's allow-list, or application/octet-stream
    size          BIGINT NOT NULL,          -- bytes
    sha256        TEXT NOT NULL,            -- SHA-256 of data, hex
    data          BLOB NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id, id);
