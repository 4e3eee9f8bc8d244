-- The steps psirt takes in other systems for a case (issue 17): reading the
-- fix repository now; the forge and CVE Services steps later. One row per
-- case and step: its state, the service's reason for the last failure, and
-- when the job runs it next (a retry with backoff, or the next poll).
CREATE TABLE integration_steps (
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    step        TEXT NOT NULL,            -- fix_repository
    state       TEXT NOT NULL,            -- pending, ok, failed
    attempts    BIGINT NOT NULL DEFAULT 0, -- failures in a row
    reason      TEXT,                     -- why the last attempt failed
    next_at     BIGINT NOT NULL,
    lease_until BIGINT,                   -- a worker is running it until then
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (case_id, step)
);
CREATE INDEX integration_steps_due ON integration_steps (step, next_at);
