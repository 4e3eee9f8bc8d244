-- The instance's own OpenPGP key, made on first run. One row.
-- Keep in step with ../sqlite/0005_instance_key.sql.

CREATE TABLE instance_key (
    id              BIGINT PRIMARY KEY,        -- always 1
    armored_secret  TEXT NOT NULL,             -- the secret key, ASCII-armored
    fingerprint     TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
