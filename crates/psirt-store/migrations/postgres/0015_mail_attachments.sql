-- Files a message carries (issue 17: the pre-notification's patch sets,
-- attached inside each encrypted copy). A JSON array of
-- {"name", "content_type", "content"} per copy, NULL for none. Embargoed
-- content, like the body: never in logs. Keep in step with
-- ../sqlite/0015_mail_attachments.sql.
ALTER TABLE outbox ADD COLUMN attachments TEXT;
