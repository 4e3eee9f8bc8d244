-- Many projects on one instance (issue 15 §2): whether a project publishes
-- its security policy, and so has its pages under /p/{slug}/ and a line on
-- the instance's front page. Projects created before this publish theirs
-- (the default project's policy page was always public). Keep in step with
-- ../postgres/0020_projects.sql.
ALTER TABLE projects ADD COLUMN policy_published BIGINT NOT NULL DEFAULT 1;
