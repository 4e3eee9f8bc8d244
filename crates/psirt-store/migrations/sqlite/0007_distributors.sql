-- The private distributors list: organisations and their people, the
-- organisations' audited timeline, which organisations were pre-notified on
-- which case, and what distributors send back (feedback, leaks, answers to
-- requests for help). Keep in step with ../postgres/0007_distributors.sql.
--
-- The stop-gap table distributor_recipients (0006) is no longer read: the
-- pre-notification goes to the current members recorded here. Its rows are
-- carried over below as founding members (one organisation per project and
-- address domain, approved, acceptance given before psirt), so that an
-- upgrade does not silently stop pre-notifying anyone.

CREATE TABLE distributor_orgs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project       TEXT NOT NULL REFERENCES projects(slug),
    name          TEXT NOT NULL,
    list_address  TEXT,                     -- the organisation's contact list; never sent embargoed mail
    answers       TEXT NOT NULL,            -- JSON array: one answer per membership criterion
    voucher_id    BIGINT REFERENCES users(id), -- the existing member named to vouch
    state         TEXT NOT NULL,            -- applied, vouched, declined, approved, rejected, suspended, removed
    reason        TEXT,                     -- the reason of the last decision that needs one
    applied_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (project, name)
);

CREATE TABLE distributor_people (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT NOT NULL REFERENCES distributor_orgs(id),
    user_id       BIGINT NOT NULL REFERENCES users(id),
    added_at      BIGINT NOT NULL,
    added_by      BIGINT REFERENCES users(id),  -- NULL: named in the application
    accepted_at   BIGINT,                   -- when they accepted the embargo policy
    accepted_via  TEXT,                     -- self, or founding (recorded by the administrator)
    removed_at    BIGINT,
    UNIQUE (org_id, user_id)
);
CREATE INDEX distributor_people_user ON distributor_people (user_id);

CREATE TABLE distributor_timeline (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        BIGINT NOT NULL REFERENCES distributor_orgs(id),
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,            -- as the audit log names them
    kind          TEXT NOT NULL,            -- applied, vouched, declined, approved, ...
    detail        TEXT NOT NULL
);
CREATE INDEX distributor_timeline_org ON distributor_timeline (org_id, id);

-- An organisation whose people were sent (or are being sent) a case's
-- pre-notification: written when the drafts are approved.
CREATE TABLE distributor_notifications (
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    org_id        BIGINT NOT NULL REFERENCES distributor_orgs(id),
    notified_at   BIGINT NOT NULL,
    PRIMARY KEY (case_id, org_id)
);

-- Requests for help from the PST (drafts, release notes), and everything
-- distributors send back: review and test results, answers to requests.
CREATE TABLE distributor_help_requests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    asked_by      BIGINT NOT NULL REFERENCES users(id),
    asked_at      BIGINT NOT NULL,
    topic         TEXT NOT NULL,            -- announcement_draft, release_notes
    text          TEXT NOT NULL             -- embargoed content
);

CREATE TABLE distributor_feedback (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    org_id        BIGINT NOT NULL REFERENCES distributor_orgs(id),
    user_id       BIGINT NOT NULL REFERENCES users(id),
    at            BIGINT NOT NULL,
    kind          TEXT NOT NULL,            -- review, test, help
    outcome       TEXT,                     -- issues_found, no_issues_found (review and test)
    request_id    BIGINT REFERENCES distributor_help_requests(id), -- help answers
    text          TEXT NOT NULL             -- embargoed content
);
CREATE INDEX distributor_feedback_case ON distributor_feedback (case_id, id);

CREATE TABLE distributor_leaks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         BIGINT NOT NULL REFERENCES cases(id),
    reported_by     BIGINT NOT NULL REFERENCES users(id),
    reporter_org    BIGINT REFERENCES distributor_orgs(id),
    responsible_org BIGINT REFERENCES distributor_orgs(id), -- NULL: not known
    what            TEXT NOT NULL,
    to_whom         TEXT NOT NULL,
    leaked_at       BIGINT NOT NULL,
    reported_at     BIGINT NOT NULL
);
CREATE INDEX distributor_leaks_org ON distributor_leaks (responsible_org);

-- Which person a pre-notification copy is for, so that removing a person or
-- an organisation discards their pending copies at once.
ALTER TABLE outbox ADD COLUMN distributor_person_id BIGINT REFERENCES distributor_people(id);

-- Carry the stop-gap list over (see the top of this file).
INSERT INTO users (email, name, is_admin, created_at)
    SELECT email, MIN(COALESCE(name, email)), 0, MIN(added_at) FROM distributor_recipients r
    WHERE NOT EXISTS (SELECT 1 FROM users u WHERE LOWER(u.email) = LOWER(r.email))
    GROUP BY email;
INSERT INTO distributor_orgs (project, name, answers, state, reason, applied_at, updated_at)
    SELECT project, substr(r.email, instr(r.email, '@') + 1), '[]', 'approved',
           'founding member, carried over from the list before psirt', MIN(added_at), MIN(added_at)
    FROM distributor_recipients r GROUP BY project, substr(r.email, instr(r.email, '@') + 1);
INSERT INTO distributor_people (org_id, user_id, added_at, accepted_at, accepted_via)
    SELECT o.id, u.id, r.added_at, r.added_at, 'founding' FROM distributor_recipients r
    JOIN distributor_orgs o ON o.project = r.project AND o.name = substr(r.email, instr(r.email, '@') + 1)
    JOIN users u ON LOWER(u.email) = LOWER(r.email);
INSERT INTO distributor_timeline (org_id, at, actor, kind, detail)
    SELECT p.org_id, p.added_at, 'migration', 'founding',
           u.email || ' carried over from the list before psirt as a founding member'
    FROM distributor_people p JOIN users u ON u.id = p.user_id;
