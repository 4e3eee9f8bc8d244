-- A person named in a distributor application or added by a member: the
-- name and the OpenPGP key given for them stay with the organisation's
-- row, and never change the account they name. The key becomes the key on
-- file only when the person confirms it, signed in (by accepting the
-- embargo policy).
ALTER TABLE distributor_people ADD COLUMN given_name TEXT;
ALTER TABLE distributor_people ADD COLUMN proposed_fingerprint TEXT;
ALTER TABLE distributor_people ADD COLUMN proposed_key TEXT;

-- The project an inbound message was taken in for, so that what is set
-- aside is shown to that project's PST only. Messages taken in before
-- this belong to the instance's one project when it has only one.
ALTER TABLE inbound_mail ADD COLUMN project TEXT;
UPDATE inbound_mail SET project = (SELECT MIN(slug) FROM projects)
    WHERE (SELECT COUNT(*) FROM projects) = 1;
