-- Likely duplicates (issue 18): each case's comparison material, kept in
-- the transaction of every append (psirt_core::similar::material of the
-- case's fold), and its indexes. The terms are a tsvector of literal
-- lexemes under a GIN index, each prefixed with its project's tag so that
-- a query reads only its project's postings; the exact keys (CVE ids,
-- URLs, package@version, purls) in a table indexed by (project, kind,
-- key). Derived, rebuilt by `psirt reindex`. Keep in step with
-- ../sqlite/0019_similar.sql.
CREATE TABLE similar_docs (
    case_id     BIGINT PRIMARY KEY REFERENCES cases(id),
    project     TEXT NOT NULL,
    digest      TEXT NOT NULL,            -- SHA-256 of project, terms and keys
    terms       TEXT NOT NULL,            -- space-separated, without the tag
    keys        TEXT NOT NULL,            -- one "kind value" a line
    doc         tsvector NOT NULL         -- the tagged terms
);
CREATE INDEX similar_docs_doc ON similar_docs USING GIN (doc);

CREATE TABLE similar_keys (
    project     TEXT NOT NULL,
    kind        TEXT NOT NULL,            -- psirt_core::similar::KeyKind::as_str
    key         TEXT NOT NULL,
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    PRIMARY KEY (project, kind, key, case_id)
);
CREATE INDEX similar_keys_case ON similar_keys (case_id);

-- How many of a project's cases carry each term (the term '' counts the
-- project's cases): the terms' rarity, which weighs them in the score.
CREATE TABLE similar_terms (
    project     TEXT NOT NULL,
    term        TEXT NOT NULL,
    cases       BIGINT NOT NULL,
    PRIMARY KEY (project, term)
);
