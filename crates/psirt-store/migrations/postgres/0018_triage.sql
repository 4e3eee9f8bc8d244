-- Triage (issue 18): each project's own wording of the canned replies to
-- reporters (psirt_core::CannedReply; a reply without a row takes
-- psirt's default text), and the intake quota per reporter address and
-- UTC day, counted here so that it holds across replicas. Keep in step
-- with ../sqlite/0018_triage.sql.
CREATE TABLE reply_templates (
    project     TEXT NOT NULL REFERENCES projects(slug),
    name        TEXT NOT NULL,            -- CannedReply::as_str
    body        TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project, name)
);

CREATE TABLE intake_quota (
    email       TEXT NOT NULL,            -- lower-cased
    day         TEXT NOT NULL,            -- YYYY-MM-DD, UTC
    reports     BIGINT NOT NULL,
    PRIMARY KEY (email, day)
);
