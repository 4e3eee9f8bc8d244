-- "A current member of the distributors list", defined once: a person of an
-- approved organisation who accepted the embargo policy themself and was not
-- removed. Every query about who is a distributor (the pre-notification's
-- recipients, a caller's standing on a case or an organisation, the portal's
-- notified cases) reads this view. Keep in step with ../postgres/0010_current_members.sql.

CREATE VIEW current_distributor_members AS
SELECT p.id AS person_id, p.org_id, p.user_id, o.project
FROM distributor_people p
JOIN distributor_orgs o ON o.id = p.org_id
WHERE o.state = 'approved' AND p.accepted_at IS NOT NULL AND p.removed_at IS NULL;
