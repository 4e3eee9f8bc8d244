-- An organisation on the distributors list is the fold of its events, like
-- a case (issue 14): one row per command on it, in order, with the changes
-- psirt_core::distributors::decide_org returned (JSON, the core's
-- OrgChange; an empty list for what concerns the organisation without
-- changing it: feedback, a leak, an answer to a request for help), who and
-- when, and the timeline's words. The rows of distributor_orgs and
-- distributor_people stay as a projection of these events, written in the
-- same transaction, for the queries that need them (the view
-- current_distributor_members, membership lookups). Keep in step with
-- ../postgres/0017_org_events.sql.
--
-- The old timeline's rows are carried over here as events without changes.
-- The store then adds, at migrate time (psirt-store/src/distributors/
-- backfill.rs, in Rust so that the JSON is the core's own), one last event
-- per organisation that existed before, stating it as its rows stood.
CREATE TABLE org_events (
    org_id      BIGINT NOT NULL REFERENCES distributor_orgs(id),
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,            -- the timeline's: applied, vouched, accepted, feedback, ...
    data        TEXT NOT NULL,            -- JSON array of OrgChange
    actor       TEXT NOT NULL,            -- as the audit log names them
    at          BIGINT NOT NULL,
    detail      TEXT NOT NULL,            -- the timeline's words
    PRIMARY KEY (org_id, seq)
);

INSERT INTO org_events (org_id, seq, kind, data, actor, at, detail)
    SELECT org_id, ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY id), kind, '[]', actor, at, detail
    FROM distributor_timeline;

DROP TABLE distributor_timeline;
