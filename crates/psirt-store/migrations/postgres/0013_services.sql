-- The third-party services a project is connected to (GitHub, CVE
-- Services, the host its fix repositories are fetched from): one row per
-- project and service. `settings` is JSON that is not secret (an API URL,
-- a repository, an organisation's short name); `sealed` is the service's
-- token or key, AES-256-GCM under a key derived from the instance's
-- key-encryption key, bound to the project and the service, in hex.
CREATE TABLE project_services (
    project     TEXT NOT NULL REFERENCES projects(slug),
    service     TEXT NOT NULL,
    settings    TEXT NOT NULL,
    sealed      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (project, service)
);

-- The vault's salt and a sealed known text, so that a wrong key-encryption
-- key is refused with a clear error instead of failing at first use. One
-- row, made on first use.
CREATE TABLE vault (
    id          BIGINT PRIMARY KEY CHECK (id = 1),
    salt        TEXT NOT NULL,
    probe       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
