-- Each person's private calendar link (an iCalendar feed of the due times
-- and embargo ends of their cases): one per person, replaced when they ask
-- for a new one. Only the SHA-256 of the link's token is kept.
CREATE TABLE calendar_links (
    user_id     BIGINT PRIMARY KEY REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);
