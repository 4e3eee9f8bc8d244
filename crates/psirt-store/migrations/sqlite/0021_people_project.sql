-- Keep in step with ../postgres/0021_people_project.sql.
-- The case's project beside each person on it, so that a list narrows to
-- "the cases I am on outside my PST projects" through one index range
-- (user, project, case) instead of reading every case the person has
-- ever been on (Store::candidate_rows, issue 15). Derived like the rest
-- of the projection: written with it, rebuilt by `psirt reindex`.
ALTER TABLE case_summary_people ADD COLUMN project TEXT NOT NULL DEFAULT '';
UPDATE case_summary_people SET project = COALESCE(
    (SELECT s.project FROM case_summaries s WHERE s.case_id = case_summary_people.case_id), '');
CREATE INDEX case_summary_people_user_project ON case_summary_people (user_id, project, case_id);
