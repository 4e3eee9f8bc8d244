//! Likely duplicates: the index of every case's comparison material, and
//! the suggestions read from it.
//!
//! The material (`psirt_core::similar::material`) is written in the
//! transaction of every append, like the summary, when it changed: its
//! terms into the database's own full-text index (SQLite FTS5, PostgreSQL
//! `tsvector` under GIN), its exact keys into `similar_keys`. A read asks
//! each index for a bounded set of the project's earlier cases (the
//! full-text engine's best [`FULL_TEXT`] and the cases sharing a key),
//! and `psirt_core::similar::rank` scores them: the database narrows, the
//! core decides, so both databases rank alike. Nothing here scans every
//! case. Derived, rebuilt by [`Store::reindex`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use psirt_core::similar::{Key, KeyKind, Likeness, Material, Rarity};
use psirt_core::{Case, CaseRef, CaseSummary, Operation, authorize, authorize_summary};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::standing::actor;
use crate::summaries::Written;
use crate::{Caller, Store, StoreError, values_list, values_list_cast};

/// How many candidates the full-text engine gives, at most, and how many
/// the exact keys give: the core ranks these and no others.
pub const FULL_TEXT: i64 = 25;

/// An earlier case like the one asked about.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub reference: CaseRef,
    /// Its one-line summary (embargoed like the case it belongs to).
    pub summary: String,
    pub open: bool,
    pub likeness: Likeness,
}

fn is_postgres(tx: &AnyConnection) -> bool {
    tx.backend_name().eq_ignore_ascii_case("postgresql")
}

/// The project's tag: letters only, so that a tagged term is one token to
/// both full-text engines, and a query reads only that project's terms.
fn tag(project: &str) -> String {
    Sha256::digest(project.as_bytes())[..6]
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .map(|n| char::from(b'a' + n))
        .collect()
}

fn keys_text(material: &Material) -> String {
    material
        .keys
        .iter()
        .map(|k| format!("{} {}", k.kind.as_str(), k.value))
        .collect::<Vec<_>>()
        .join("\n")
}

fn parse_material(terms: &str, keys: &str) -> Material {
    Material {
        terms: terms
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        keys: keys
            .lines()
            .filter_map(|line| {
                let (kind, value) = line.split_once(' ')?;
                Some(Key {
                    kind: KeyKind::parse(kind)?,
                    value: value.to_string(),
                })
            })
            .collect(),
    }
}

/// Rewrites the comparison material of each of `cases` (just folded), in
/// the append's transaction, where it differs from what is indexed: each
/// table written once for all of them. Cases never `written` before have
/// nothing indexed to compare with or remove.
pub(crate) async fn write_all(
    tx: &mut AnyConnection,
    cases: &[(i64, &Case)],
    written: Written,
) -> Result<(), StoreError> {
    if cases.is_empty() {
        return Ok(());
    }
    struct Doc<'a> {
        case_id: i64,
        project: &'a str,
        material: Material,
        terms: String,
        keys: String,
        digest: String,
    }
    let docs: Vec<Doc> = cases
        .iter()
        .map(|(case_id, case)| {
            let material = psirt_core::similar::material(case);
            let terms = material.terms.iter().cloned().collect::<Vec<_>>().join(" ");
            let keys = keys_text(&material);
            let digest = hex::encode(Sha256::digest(
                format!("{}\0{terms}\0{keys}", case.project).as_bytes(),
            ));
            Doc {
                case_id: *case_id,
                project: &case.project,
                material,
                terms,
                keys,
                digest,
            }
        })
        .collect();
    let indexed: HashMap<i64, (String, String, String)> = match written {
        Written::Never => HashMap::new(),
        Written::Before => {
            let sql = format!(
                "SELECT case_id, digest, project, terms FROM similar_docs WHERE case_id IN {}",
                values_list(1, docs.len())
            );
            let mut query =
                sqlx::query_as::<_, (i64, String, String, String)>(sqlx::AssertSqlSafe(sql));
            for doc in &docs {
                query = query.bind(doc.case_id);
            }
            query
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .map(|(id, digest, project, terms)| (id, (digest, project, terms)))
                .collect()
        }
    };
    let mut changed = Vec::new();
    for doc in &docs {
        match indexed.get(&doc.case_id) {
            Some((digest, _, _)) if *digest == doc.digest => continue,
            Some((_, project, terms)) => remove_indexed(tx, doc.case_id, project, terms).await?,
            // Never indexed (a new case): its keys and text are written only
            // with its document, so there is nothing of it to remove.
            None => {}
        }
        changed.push(doc);
    }
    if changed.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = changed
        .iter()
        .map(|doc| {
            let tag = tag(doc.project);
            doc.material
                .terms
                .iter()
                .map(|t| format!("{tag}{t}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let postgres = is_postgres(tx);
    for (docs, text) in changed
        .chunks(DOCS_PER_INSERT)
        .zip(text.chunks(DOCS_PER_INSERT))
    {
        let sql = if postgres {
            // The last of each row's six values is its text, as a tsvector.
            format!(
                "INSERT INTO similar_docs (case_id, project, digest, terms, keys, doc) VALUES {}",
                values_list_cast(docs.len(), 6, |column| (column == 5).then_some("tsvector"))
            )
        } else {
            format!(
                "INSERT INTO similar_docs (case_id, project, digest, terms, keys) VALUES {}",
                values_list(docs.len(), 5)
            )
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (doc, text) in docs.iter().zip(text) {
            query = query
                .bind(doc.case_id)
                .bind(doc.project)
                .bind(&doc.digest)
                .bind(&doc.terms)
                .bind(&doc.keys);
            if postgres {
                query = query.bind(text);
            }
        }
        query.execute(&mut *tx).await?;
        if !postgres {
            let sql = format!(
                "INSERT INTO similar_text (rowid, doc) VALUES {}",
                values_list(docs.len(), 2)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (doc, text) in docs.iter().zip(text) {
                query = query.bind(doc.case_id).bind(text);
            }
            query.execute(&mut *tx).await?;
        }
    }
    let mut counts: BTreeMap<(&str, &str), i64> = BTreeMap::new();
    for doc in &changed {
        let terms: BTreeSet<&str> = std::iter::once("")
            .chain(doc.material.terms.iter().map(String::as_str))
            .collect();
        for term in terms {
            *counts.entry((doc.project, term)).or_default() += 1;
        }
    }
    count_terms(tx, &counts).await?;
    let keys: Vec<(&Doc, &Key)> = changed
        .iter()
        .flat_map(|doc| doc.material.keys.iter().map(move |k| (*doc, k)))
        .collect();
    for chunk in keys.chunks(DOCS_PER_INSERT) {
        let sql = format!(
            "INSERT INTO similar_keys (project, kind, key, case_id) VALUES {}",
            values_list(chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (doc, key) in chunk {
            query = query
                .bind(doc.project)
                .bind(key.kind.as_str())
                .bind(&key.value)
                .bind(doc.case_id);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The most documents (or keys) one INSERT writes.
const DOCS_PER_INSERT: usize = 100;

/// The most terms one upsert counts (three bound values each).
const TERMS_PER_UPSERT: usize = 300;

/// Adds each count of `counts` (by project and term, each term once;
/// the term '' counts the project's cases) to the count of cases of that
/// project carrying that term.
async fn count_terms(
    tx: &mut AnyConnection,
    counts: &BTreeMap<(&str, &str), i64>,
) -> Result<(), StoreError> {
    // One statement per chunk: a row may appear only once in an upsert,
    // which the map's keys make sure of.
    let counts: Vec<(&(&str, &str), &i64)> = counts.iter().collect();
    for chunk in counts.chunks(TERMS_PER_UPSERT) {
        let sql = format!(
            "INSERT INTO similar_terms (project, term, cases) VALUES {} \
             ON CONFLICT (project, term) DO UPDATE SET cases = similar_terms.cases + excluded.cases",
            values_list(chunk.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for ((project, term), by) in chunk {
            query = query.bind(*project).bind(*term).bind(**by);
        }
        query.execute(&mut *tx).await?;
    }
    Ok(())
}

/// The rarity of `terms` in `project`, added to `rarity`, asked in
/// batches of the terms it does not know yet.
async fn rarity_of(
    conn: &mut AnyConnection,
    project: &str,
    terms: &std::collections::BTreeSet<String>,
    rarity: &mut Rarity,
) -> Result<(), StoreError> {
    let unknown: Vec<&String> = terms
        .iter()
        .filter(|t| !rarity.carrying.contains_key(*t))
        .collect();
    for batch in unknown.chunks(500) {
        let marks: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT term, cases FROM similar_terms WHERE project = $1 AND term IN ({})",
            marks.join(", ")
        );
        let mut query = sqlx::query_as::<_, (String, i64)>(sqlx::AssertSqlSafe(sql)).bind(project);
        for term in batch {
            query = query.bind(term.as_str());
        }
        for term in batch {
            rarity.carrying.insert((*term).clone(), 0);
        }
        for (term, cases) in query.fetch_all(&mut *conn).await? {
            rarity.carrying.insert(term, cases.max(0) as u64);
        }
    }
    Ok(())
}

/// Takes case `case_id`, indexed in `project` with `terms`, out of the
/// index.
async fn remove_indexed(
    tx: &mut AnyConnection,
    case_id: i64,
    project: &str,
    terms: &str,
) -> Result<(), StoreError> {
    let counts = std::iter::once("")
        .chain(terms.split(' ').filter(|t| !t.is_empty()))
        .map(|term| ((project, term), -1))
        .collect();
    count_terms(tx, &counts).await?;
    remove_rows(tx, case_id).await
}

/// The case's document, text and keys.
async fn remove_rows(tx: &mut AnyConnection, case_id: i64) -> Result<(), StoreError> {
    if !is_postgres(tx) {
        sqlx::query("DELETE FROM similar_text WHERE rowid = $1")
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
    }
    for statement in [
        "DELETE FROM similar_docs WHERE case_id = $1",
        "DELETE FROM similar_keys WHERE case_id = $1",
    ] {
        sqlx::query(statement)
            .bind(case_id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Empties the index, before [`Store::reindex`] writes it again.
pub(crate) async fn clear(tx: &mut AnyConnection) -> Result<(), StoreError> {
    if !is_postgres(tx) {
        sqlx::query("DELETE FROM similar_text")
            .execute(&mut *tx)
            .await?;
    }
    for statement in [
        "DELETE FROM similar_docs",
        "DELETE FROM similar_keys",
        "DELETE FROM similar_terms",
    ] {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    Ok(())
}

/// The project's earlier cases that the full-text engine ranks best for
/// `material`'s rarest terms.
async fn full_text(
    conn: &mut AnyConnection,
    project: &str,
    case_id: i64,
    material: &Material,
    rarity: &Rarity,
) -> Result<Vec<i64>, StoreError> {
    let tag = tag(project);
    let terms = psirt_core::similar::query_terms(material, rarity);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let rows = if is_postgres(conn) {
        let query = terms
            .iter()
            .map(|t| format!("'{tag}{t}'"))
            .collect::<Vec<_>>()
            .join(" | ");
        sqlx::query(
            "SELECT case_id FROM similar_docs \
             WHERE doc @@ CAST($1 AS tsquery) AND project = $2 AND case_id < $3 \
             ORDER BY ts_rank_cd(doc, CAST($1 AS tsquery)) DESC, case_id DESC LIMIT $4",
        )
        .bind(query)
        .bind(project)
        .bind(case_id)
        .bind(FULL_TEXT)
        .fetch_all(&mut *conn)
        .await?
    } else {
        let query = terms
            .iter()
            .map(|t| format!("\"{tag}{t}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        sqlx::query(
            "SELECT rowid AS case_id FROM similar_text \
             WHERE similar_text MATCH $1 AND rowid < $2 \
             ORDER BY bm25(similar_text), rowid DESC LIMIT $3",
        )
        .bind(query)
        .bind(case_id)
        .bind(FULL_TEXT)
        .fetch_all(&mut *conn)
        .await?
    };
    rows.iter()
        .map(|r| r.try_get::<i64, _>("case_id").map_err(StoreError::from))
        .collect()
}

/// The indexed terms, keys and summary of the cases `ids` of `project`,
/// in the order of `ids`, in one query.
async fn candidate_rows(
    conn: &mut AnyConnection,
    project: &str,
    ids: &[i64],
) -> Result<Vec<(i64, String, String, String)>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT d.case_id, d.terms, d.keys, s.body FROM similar_docs d \
         JOIN case_summaries s ON s.case_id = d.case_id \
         WHERE d.project = $1 AND d.case_id IN ({})",
        marks.join(", ")
    );
    let mut query =
        sqlx::query_as::<_, (i64, String, String, String)>(sqlx::AssertSqlSafe(sql)).bind(project);
    for id in ids {
        query = query.bind(*id);
    }
    let mut rows = query.fetch_all(&mut *conn).await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.0));
    Ok(rows)
}

/// The project's earlier cases that share one of `material`'s keys, each
/// key's at most [`psirt_core::similar::COMMON_KEY`] + 1, and `material`
/// without the keys that turned out common.
async fn shared_keys(
    conn: &mut AnyConnection,
    project: &str,
    case_id: i64,
    material: Material,
) -> Result<(Vec<i64>, Material), StoreError> {
    let mut carriers = std::collections::BTreeMap::new();
    for key in &material.keys {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT case_id FROM similar_keys \
             WHERE project = $1 AND kind = $2 AND key = $3 AND case_id < $4 \
             ORDER BY case_id DESC LIMIT $5",
        )
        .bind(project)
        .bind(key.kind.as_str())
        .bind(&key.value)
        .bind(case_id)
        .bind(psirt_core::similar::COMMON_KEY as i64 + 1)
        .fetch_all(&mut *conn)
        .await?;
        carriers.insert(key.clone(), ids);
    }
    let material =
        psirt_core::similar::without_common_keys(material, |k| carriers.get(k).map_or(0, Vec::len));
    let mut ids = Vec::new();
    for key in &material.keys {
        for &id in carriers.get(key).into_iter().flatten() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok((ids, material))
}

impl Store {
    /// The earlier cases of the same project most like case `reference`,
    /// best first, among those the caller may see; authorized and audited
    /// as a read of the case (`case.similar`).
    pub async fn similar(
        &self,
        caller: &Caller,
        reference: CaseRef,
    ) -> Result<Vec<Suggestion>, StoreError> {
        let (case_id, record) = self.load(reference).await?;
        let mut conn = self.pool.acquire().await?;
        let actor = actor(&mut conn, &caller.principal, &record.case).await?;
        let decision = authorize(&actor, Operation::ViewCase, &record.case);
        self.audit_read(
            caller,
            reference,
            decision,
            "case.similar",
            String::new(),
            "",
        )
        .await?;
        let project = record.case.project.as_str();
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT terms, keys FROM similar_docs WHERE case_id = $1")
                .bind(case_id)
                .fetch_optional(&mut *conn)
                .await?;
        let material = match row {
            Some((terms, keys)) => parse_material(&terms, &keys),
            None => psirt_core::similar::material(&record.case),
        };
        let cases: Option<i64> =
            sqlx::query_scalar("SELECT cases FROM similar_terms WHERE project = $1 AND term = ''")
                .bind(project)
                .fetch_optional(&mut *conn)
                .await?;
        let mut rarity = Rarity {
            cases: cases.unwrap_or(0).max(0) as u64,
            ..Rarity::default()
        };
        rarity_of(&mut conn, project, &material.terms, &mut rarity).await?;
        let mut ids = full_text(&mut conn, project, case_id, &material, &rarity).await?;
        let (by_key, material) = shared_keys(&mut conn, project, case_id, material).await?;
        for id in by_key {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut candidates = Vec::with_capacity(ids.len());
        for (id, terms, keys, body) in candidate_rows(&mut conn, project, &ids).await? {
            let summary: CaseSummary = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("summary of case #{id}: {e}")))?;
            // Never a case of another project, nor one the caller may not
            // see: the suggestion names it and shows its summary.
            if summary.project != project
                || authorize_summary(&actor, Operation::ViewCase, &summary).is_err()
            {
                continue;
            }
            candidates.push((summary, parse_material(&terms, &keys)));
        }
        let terms: std::collections::BTreeSet<String> = candidates
            .iter()
            .flat_map(|(_, m)| m.terms.iter().cloned())
            .collect();
        rarity_of(&mut conn, project, &terms, &mut rarity).await?;
        Ok(psirt_core::similar::rank(&material, candidates, &rarity)
            .into_iter()
            .map(|(s, likeness)| Suggestion {
                reference: s.reference,
                summary: s.summary,
                open: s.open,
                likeness,
            })
            .collect())
    }
}
