-- Keep in step with ../postgres/0016_case_summaries.sql.
-- The projection (issue 15): one summary per case, derived from its events
-- by psirt_core::summary and rewritten in the same transaction as every
-- append, so lists, the agenda, the dashboard and the public advisories
-- read one row per case instead of folding every timeline. It is derived
-- data: `psirt reindex` rebuilds it from case_events, and opening the
-- store fills in the cases a database migrated from an older psirt has.
CREATE TABLE case_summaries (
    case_id       BIGINT PRIMARY KEY REFERENCES cases(id),
    project       TEXT NOT NULL,
    reference     TEXT NOT NULL,
    is_open       BIGINT NOT NULL,
    urgent        BIGINT NOT NULL,
    fix_lead      BIGINT,                   -- users.id
    score_tenths  BIGINT,                   -- the final CVSS base score
    severity      TEXT,                     -- its rating: Low, Medium, ...
    next_due_at   BIGINT,                   -- the most pressing pending due time
    next_due      TEXT,                     -- and its milestone
    public_from   BIGINT,                   -- psirt_core::public_at; compared with the clock at read time
    released_at   BIGINT,
    agenda_key    TEXT NOT NULL,            -- CaseSummary::agenda_key, then the case id
    version       BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    body          TEXT NOT NULL             -- the whole psirt_core::CaseSummary, as JSON
);
CREATE INDEX case_summaries_open ON case_summaries (is_open, case_id);
CREATE INDEX case_summaries_project ON case_summaries (project, is_open, case_id);
CREATE INDEX case_summaries_lead ON case_summaries (fix_lead, case_id);
CREATE INDEX case_summaries_agenda ON case_summaries (is_open, agenda_key);
CREATE INDEX case_summaries_public ON case_summaries (public_from, case_id);

-- Who is on each case's Fix Team or leads it: what a listing narrows the
-- rows by before psirt_core::authorize_summary decides on each.
CREATE TABLE case_summary_people (
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    user_id     BIGINT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
CREATE INDEX case_summary_people_user ON case_summary_people (user_id, case_id);
