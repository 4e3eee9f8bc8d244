//! The projection: one `psirt_core::CaseSummary` per case in
//! `case_summaries` (migration 0016), and the paged reads lists make of it.
//!
//! The projection is derived data. [`write`] is the only statement that
//! changes it, called by `cases::append` in the transaction of every event
//! append, and [`Store::reindex`] rebuilds it from the events. Lists read a
//! page of rows through an index and never fold every case: the SQL only
//! narrows the rows (to the caller's projects and the cases they are on),
//! `psirt_core::authorize_summary` decides on each, and whether an advisory
//! is public is the stored `psirt_core::public_at` instant compared with the
//! clock the caller passes in. This module must never decide a rule in SQL.

use jiff::Timestamp;
use psirt_core::{Case, CaseSummary, Operation, UserId, authorize_summary};
use sqlx::{AnyConnection, Row};

use crate::standing::{Caller, Principal, actor_for_summary, instance_actor};
use crate::{Backend, Store, StoreError, micros};

/// The largest page a list returns; a longer one is refused, naming `limit`.
pub const MAX_PAGE: u32 = 200;

/// The page size when the caller names none.
pub const DEFAULT_PAGE: u32 = 50;

/// A page size from 1 to [`MAX_PAGE`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize(u32);

impl PageSize {
    pub fn new(limit: u32) -> Result<PageSize, StoreError> {
        if limit == 0 || limit > MAX_PAGE {
            return Err(StoreError::Invalid {
                field: "limit",
                reason: format!("{limit} is not a page size from 1 to {MAX_PAGE}"),
            });
        }
        Ok(PageSize(limit))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageSize {
    fn default() -> PageSize {
        PageSize(DEFAULT_PAGE)
    }
}

/// Which cases a list shows, by their state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StateFilter {
    /// Not closed (released or not): what the lists showed by default.
    #[default]
    Open,
    Closed,
    /// Released, closed since or not.
    Released,
    All,
}

impl std::str::FromStr for StateFilter {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<StateFilter, StoreError> {
        Ok(match s {
            "open" => StateFilter::Open,
            "closed" => StateFilter::Closed,
            "released" => StateFilter::Released,
            "all" => StateFilter::All,
            other => {
                return Err(StoreError::Invalid {
                    field: "state",
                    reason: format!("{other:?} is not one of open, closed, released, all"),
                });
            }
        })
    }
}

/// What a case list asks for: a page, after a cursor, with filters.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    pub limit: PageSize,
    /// The `next_cursor` of the previous page, as given.
    pub cursor: Option<String>,
    pub project: Option<String>,
    pub state: StateFilter,
    pub fix_lead: Option<UserId>,
}

/// One page of a list, and the cursor of the next one (`None` on the last).
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The order a list pages through, with the cursor each encodes.
#[derive(Clone, Copy)]
enum Order {
    /// By case, oldest first: the case list.
    Case,
    /// By `agenda_key`: the dashboard, most pressing first.
    Agenda,
}

/// A cursor is opaque to clients: a letter for its order and the key of
/// the last row given. A cursor from another list, or made up, is refused.
fn parse_cursor(order: Order, cursor: &str) -> Result<String, StoreError> {
    let bad = || StoreError::Invalid {
        field: "cursor",
        reason: "not a cursor this list gave".into(),
    };
    let (tag, key) = cursor.split_at_checked(1).ok_or_else(bad)?;
    let ok = match order {
        Order::Case => tag == "c" && key.parse::<i64>().is_ok_and(|id| id > 0),
        Order::Agenda => tag == "a" && key.len() == 34 && key.bytes().all(|b| b.is_ascii_digit()),
    };
    if ok { Ok(key.to_string()) } else { Err(bad()) }
}

/// `agenda_key` as stored: the summary's, then the case id, so that every
/// key is unique and the order total.
fn stored_agenda_key(summary: &CaseSummary, case_id: i64) -> String {
    format!("{}{case_id:012}", summary.agenda_key())
}

/// Rewrites the summary of `case` (just folded to its latest event, at
/// `updated_at`): the projection's only writer, in the append's transaction.
pub(crate) async fn write(
    tx: &mut AnyConnection,
    case_id: i64,
    case: &Case,
    updated_at: Timestamp,
) -> Result<(), StoreError> {
    write_all(tx, &[(case_id, case, updated_at)], Written::Before).await
}

/// Whether the cases [`write_all`] is given had a summary written before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    /// Maybe: what they had (people, their duplicates' document) is
    /// replaced.
    Before,
    /// Never: cases opened in this transaction, which have no people and
    /// no document yet, so nothing is looked up or removed first.
    Never,
}

/// The most summaries one upsert writes (sixteen values each).
const SUMMARIES_PER_UPSERT: usize = 50;

/// [`write`] for each of `cases` (id, case, updated at), each table
/// written once for all of them: how intake writes the cases a batch
/// opens.
pub(crate) async fn write_all(
    tx: &mut AnyConnection,
    cases: &[(i64, &Case, Timestamp)],
    written: Written,
) -> Result<(), StoreError> {
    if cases.is_empty() {
        return Ok(());
    }
    let summaries: Vec<(i64, CaseSummary, Timestamp)> = cases
        .iter()
        .map(|(id, case, at)| (*id, psirt_core::summary(case), *at))
        .collect();
    for chunk in summaries.chunks(SUMMARIES_PER_UPSERT) {
        let sql = format!(
            "INSERT INTO case_summaries (case_id, project, reference, is_open, urgent, fix_lead, \
               score_tenths, severity, next_due_at, next_due, public_from, released_at, agenda_key, \
               version, updated_at, body) \
             VALUES {} \
             ON CONFLICT (case_id) DO UPDATE SET project = excluded.project, \
               reference = excluded.reference, is_open = excluded.is_open, urgent = excluded.urgent, \
               fix_lead = excluded.fix_lead, score_tenths = excluded.score_tenths, \
               severity = excluded.severity, next_due_at = excluded.next_due_at, \
               next_due = excluded.next_due, public_from = excluded.public_from, \
               released_at = excluded.released_at, agenda_key = excluded.agenda_key, \
               version = excluded.version, updated_at = excluded.updated_at, body = excluded.body",
            crate::values_list(chunk.len(), 16)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (case_id, s, updated_at) in chunk {
            let body = serde_json::to_string(s).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            query = query
                .bind(*case_id)
                .bind(s.project.as_str())
                .bind(s.reference.to_string())
                .bind(i64::from(s.open))
                .bind(i64::from(s.urgent))
                .bind(s.fix_lead.map(|u| u.get()))
                .bind(s.score.map(|v| i64::from(v.tenths())))
                .bind(s.score.map(|v| v.severity().as_str()))
                .bind(s.next_due.map(|(_, d)| micros(d.at)))
                .bind(s.next_due.map(|(m, _)| m.as_str()))
                .bind(s.public_from.map(micros))
                .bind(s.released.as_ref().map(|(at, _)| micros(*at)))
                .bind(stored_agenda_key(s, *case_id))
                .bind(s.version as i64)
                .bind(micros(*updated_at))
                .bind(body);
        }
        query.execute(&mut *tx).await?;
    }
    if written == Written::Before {
        let sql = format!(
            "DELETE FROM case_summary_people WHERE case_id IN {}",
            crate::values_list(1, cases.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (case_id, _, _) in cases {
            query = query.bind(*case_id);
        }
        query.execute(&mut *tx).await?;
    }
    let people: Vec<(i64, UserId)> = summaries
        .iter()
        .flat_map(|(case_id, s, _)| {
            let people: std::collections::BTreeSet<UserId> = s
                .fix_lead
                .into_iter()
                .chain(s.fix_team.iter().copied())
                .collect();
            people.into_iter().map(move |user| (*case_id, user))
        })
        .collect();
    for chunk in people.chunks(SUMMARIES_PER_UPSERT * 8) {
        let sql = format!(
            "INSERT INTO case_summary_people (case_id, user_id) VALUES {}",
            crate::values_list(chunk.len(), 2)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (case_id, user) in chunk {
            query = query.bind(*case_id).bind(user.get());
        }
        query.execute(&mut *tx).await?;
    }
    // The duplicates' index is derived from the same fold, in the same
    // transaction, so it can never lag behind the events either.
    let cases: Vec<(i64, &Case)> = cases.iter().map(|(id, case, _)| (*id, *case)).collect();
    crate::similar::write_all(tx, &cases, written).await
}

/// Folds case `case_id` from its events (locked first on PostgreSQL, so an
/// append cannot interleave) and rewrites its summary.
async fn rebuild_one(
    tx: &mut AnyConnection,
    backend: Backend,
    case_id: i64,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind(case_id)
            .fetch_one(&mut *tx)
            .await?;
    }
    let events = crate::cases::load_events(&mut *tx, case_id).await?;
    let case = Case::from_events(&events)
        .ok_or_else(|| StoreError::Corrupt(format!("case #{case_id}")))?;
    let updated_at = events.last().map_or(case.reported_at, |e| e.at);
    write(tx, case_id, &case, updated_at).await
}

/// The summaries of the rows a query selected, in its order; the query
/// selects `case_id` and `body`.
fn decode(rows: &[sqlx::any::AnyRow]) -> Result<Vec<(i64, CaseSummary)>, StoreError> {
    rows.iter()
        .map(|row| {
            let id: i64 = row.try_get("case_id")?;
            let body: String = row.try_get("body")?;
            let s = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("summary of case #{id}: {e}")))?;
            Ok((id, s))
        })
        .collect()
}

impl Store {
    /// Rebuilds every case's summary and its duplicates' index entry from
    /// its events, in one transaction,
    /// and returns how many cases it rebuilt: `psirt reindex`.
    pub async fn reindex(&self) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM cases ORDER BY id")
            .fetch_all(&mut *tx)
            .await?;
        crate::similar::clear(&mut tx).await?;
        for &id in &ids {
            rebuild_one(&mut tx, self.backend, id).await?;
        }
        tx.commit().await?;
        Ok(ids.len() as u64)
    }

    /// Writes the summaries and duplicates' index entries a database
    /// migrated from an older psirt lacks (the projection came with
    /// migration 0016, the index with 0019); on an up-to-date database it
    /// is one indexed query that finds nothing.
    pub(crate) async fn fill_missing_summaries(&self) -> Result<(), StoreError> {
        let missing: Vec<i64> = sqlx::query_scalar(
            "SELECT c.id FROM cases c LEFT JOIN case_summaries s ON s.case_id = c.id \
             LEFT JOIN similar_docs d ON d.case_id = c.id \
             WHERE s.case_id IS NULL OR d.case_id IS NULL ORDER BY c.id",
        )
        .fetch_all(&self.pool)
        .await?;
        if missing.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        for id in missing {
            rebuild_one(&mut tx, self.backend, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One page of the cases the caller may see, by case (oldest first),
    /// filtered as `query` says. The page's references are written to the
    /// audit log (`case.list`) when it is not empty.
    pub async fn case_page(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let page = self.visible_page(caller, query, Order::Case).await?;
        self.audit_list(caller, &page.items).await?;
        Ok(page)
    }

    /// Every summary the caller may see in `state`, by case: what the
    /// agenda and the full list read, one indexed query per [`MAX_PAGE`]
    /// rows, never a fold. Not audited: the callers record what they show.
    pub(crate) async fn visible_summaries(
        &self,
        caller: &Caller,
        state: StateFilter,
    ) -> Result<Vec<(i64, CaseSummary)>, StoreError> {
        let mut query = ListQuery {
            limit: PageSize(MAX_PAGE),
            state,
            ..ListQuery::default()
        };
        let mut all = Vec::new();
        loop {
            let (rows, next) = self.visible_rows(caller, &query, Order::Case).await?;
            all.extend(rows);
            match next {
                Some(cursor) => query.cursor = Some(cursor),
                None => return Ok(all),
            }
        }
    }

    /// One page of the open cases the caller may see, most pressing first
    /// (the dashboard), with the agenda of that page at `now`. Audited like
    /// a list.
    pub async fn agenda_page(
        &self,
        caller: &Caller,
        query: &ListQuery,
        now: Timestamp,
    ) -> Result<(psirt_core::Agenda, Page<CaseSummary>), StoreError> {
        let query = ListQuery {
            state: StateFilter::Open,
            ..query.clone()
        };
        let page = self.visible_page(caller, &query, Order::Agenda).await?;
        self.audit_list(caller, &page.items).await?;
        Ok((psirt_core::agenda_of(&page.items, now), page))
    }

    async fn visible_page(
        &self,
        caller: &Caller,
        query: &ListQuery,
        order: Order,
    ) -> Result<Page<CaseSummary>, StoreError> {
        let (rows, next_cursor) = self.visible_rows(caller, query, order).await?;
        Ok(Page {
            items: rows.into_iter().map(|(_, s)| s).collect(),
            next_cursor,
        })
    }

    /// The rows of one page: the SQL narrows to the caller's PST projects
    /// and the cases they lead or are on the team of, then the core decides
    /// on each row. Rows the core refuses are skipped and the page filled
    /// from the next ones, so a page is short only at the end.
    async fn visible_rows(
        &self,
        caller: &Caller,
        query: &ListQuery,
        order: Order,
    ) -> Result<(Vec<(i64, CaseSummary)>, Option<String>), StoreError> {
        let principal = &caller.principal;
        let (user, pst) = match principal {
            Principal::User(u) => (Some(u.id), Store::pst_projects(&self.pool, u.id).await?),
            _ => (None, Vec::new()),
        };
        psirt_core::authorize_instance(&instance_actor(principal, &pst), Operation::ListCases)
            .map_err(psirt_core::Refusal::from)?;
        let Some(user) = user else {
            return Ok((Vec::new(), None));
        };
        let limit = query.limit.get() as usize;
        let mut after = match &query.cursor {
            Some(c) => Some(parse_cursor(order, c)?),
            None => None,
        };
        let mut page = Vec::new();
        loop {
            // One more row than the page holds proves there is a next page.
            let want = limit + 1 - page.len();
            let rows = self
                .candidate_rows(user, &pst, query, order, after.as_deref(), want)
                .await?;
            let fetched = rows.len();
            for (id, key, s) in rows {
                after = Some(match order {
                    Order::Case => id.to_string(),
                    Order::Agenda => key.clone(),
                });
                let actor = actor_for_summary(principal, &s, &pst);
                if authorize_summary(&actor, Operation::ViewCase, &s).is_ok() {
                    page.push((id, key, s));
                }
            }
            if page.len() > limit || fetched < want {
                break;
            }
        }
        let more = page.len() > limit;
        page.truncate(limit);
        let next_cursor = match (more, page.last()) {
            (true, Some((id, key, _))) => Some(match order {
                Order::Case => format!("c{id}"),
                Order::Agenda => format!("a{key}"),
            }),
            _ => None,
        };
        Ok((
            page.into_iter().map(|(id, _, s)| (id, s)).collect(),
            next_cursor,
        ))
    }

    /// Up to `n` rows after `after` in `order` that the caller might see.
    async fn candidate_rows(
        &self,
        user: UserId,
        pst: &[String],
        query: &ListQuery,
        order: Order,
        after: Option<&str>,
        n: usize,
    ) -> Result<Vec<(i64, String, CaseSummary)>, StoreError> {
        // Without PST projects the reader's own rows drive the query (a
        // semi-join over what they lead or are on). With them, the page
        // walks its order's index and asks the people key of each row it
        // passes (a left join on the primary key): never a scan of every
        // case the reader has ever been on, which a PST member of long
        // standing would pay on each page as an `IN (subquery)` (hashed by
        // PostgreSQL, materialized by SQLite).
        let mut sql = if pst.is_empty() {
            String::from(
                "SELECT s.case_id, s.agenda_key, s.body FROM case_summaries s WHERE s.case_id IN \
                 (SELECT case_id FROM case_summary_people WHERE user_id = $1)",
            )
        } else {
            String::from(
                "SELECT s.case_id, s.agenda_key, s.body FROM case_summaries s \
                 LEFT JOIN case_summary_people p ON p.case_id = s.case_id AND p.user_id = $1 \
                 WHERE (p.user_id IS NOT NULL",
            )
        };
        let mut n_param = 1;
        let mut param = || {
            n_param += 1;
            format!("${n_param}")
        };
        if !pst.is_empty() {
            let marks: Vec<String> = pst.iter().map(|_| param()).collect();
            sql.push_str(&format!(" OR s.project IN ({}))", marks.join(", ")));
        }
        match query.state {
            StateFilter::Open => sql.push_str(" AND s.is_open = 1"),
            StateFilter::Closed => sql.push_str(" AND s.is_open = 0"),
            StateFilter::Released => sql.push_str(" AND s.released_at IS NOT NULL"),
            StateFilter::All => {}
        }
        if query.project.is_some() {
            sql.push_str(&format!(" AND s.project = {}", param()));
        }
        if query.fix_lead.is_some() {
            sql.push_str(&format!(" AND s.fix_lead = {}", param()));
        }
        let after_id =
            match (order, after) {
                (Order::Case, Some(id)) => Some(id.parse::<i64>().map_err(|_| {
                    StoreError::Corrupt("a case cursor that is not a case id".into())
                })?),
                _ => None,
            };
        match (order, after) {
            (Order::Case, Some(_)) => sql.push_str(&format!(" AND s.case_id > {}", param())),
            (Order::Agenda, Some(_)) => sql.push_str(&format!(" AND s.agenda_key > {}", param())),
            (_, None) => {}
        }
        sql.push_str(match order {
            Order::Case => " ORDER BY s.case_id",
            Order::Agenda => " ORDER BY s.agenda_key",
        });
        sql.push_str(&format!(" LIMIT {n}"));
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user.get());
        for p in pst {
            q = q.bind(p.clone());
        }
        if let Some(project) = &query.project {
            q = q.bind(project.clone());
        }
        if let Some(lead) = query.fix_lead {
            q = q.bind(lead.get());
        }
        match (order, after) {
            (Order::Case, Some(_)) => q = q.bind(after_id),
            (Order::Agenda, Some(key)) => q = q.bind(key.to_string()),
            (_, None) => {}
        }
        let rows = q.fetch_all(&self.pool).await?;
        let keys: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("agenda_key"))
            .collect::<Result<_, _>>()?;
        Ok(decode(&rows)?
            .into_iter()
            .zip(keys)
            .map(|((id, s), key)| (id, key, s))
            .collect())
    }

    /// Writes the `case.list` entry naming the cases a list showed, as
    /// every list did before it was paged.
    pub(crate) async fn audit_list(
        &self,
        caller: &Caller,
        shown: &[CaseSummary],
    ) -> Result<(), StoreError> {
        if shown.is_empty() {
            return Ok(());
        }
        let references: Vec<String> = shown.iter().map(|c| c.reference.to_string()).collect();
        self.audit(&crate::audit::AuditEntry::by(
            caller,
            crate::audit::LIST,
            None,
            references.join(" "),
        ))
        .await
    }

    /// One page of the cases whose advisory is public at `now`, the most
    /// recently published first, each folded (only the page's cases are):
    /// the public list and the feeds. `cursor` is the previous page's.
    pub async fn public_page(
        &self,
        now: Timestamp,
        limit: PageSize,
        cursor: Option<&str>,
        project: Option<&str>,
    ) -> Result<Page<Case>, StoreError> {
        let bad = || StoreError::Invalid {
            field: "cursor",
            reason: "not a cursor this list gave".into(),
        };
        let after: Option<(i64, i64)> = match cursor {
            Some(c) => {
                let (at, id) = c
                    .strip_prefix('p')
                    .and_then(|k| k.split_once('.'))
                    .ok_or_else(bad)?;
                Some((
                    at.parse().map_err(|_| bad())?,
                    id.parse().map_err(|_| bad())?,
                ))
            }
            None => None,
        };
        let n = i64::from(limit.get()) + 1;
        // The first page starts after the largest key; the project, when
        // one is asked, is the last parameter.
        let (at, id) = after.unwrap_or((i64::MAX, i64::MAX));
        let in_project = if project.is_some() {
            "AND project = $5"
        } else {
            ""
        };
        let sql = format!(
            "SELECT case_id, public_from FROM case_summaries \
             WHERE public_from IS NOT NULL AND public_from <= $1 \
               AND (public_from < $2 OR (public_from = $2 AND case_id < $3)) {in_project} \
             ORDER BY public_from DESC, case_id DESC LIMIT $4"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(micros(now))
            .bind(at)
            .bind(id)
            .bind(n);
        if let Some(project) = project {
            query = query.bind(project.to_string());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut keys: Vec<(i64, i64)> = rows
            .iter()
            .map(|r| Ok((r.try_get("case_id")?, r.try_get("public_from")?)))
            .collect::<Result<_, sqlx::Error>>()?;
        let more = keys.len() > limit.get() as usize;
        keys.truncate(limit.get() as usize);
        let ids: Vec<i64> = keys.iter().map(|&(id, _)| id).collect();
        let items = self.public_folds(&ids, now).await?;
        let next_cursor = more
            .then(|| keys.last().map(|(id, at)| format!("p{at}.{id}")))
            .flatten();
        Ok(Page { items, next_cursor })
    }

    /// Every case whose advisory is public at `now`, the most recently
    /// published first: what the bulk OSV archive and the publication job
    /// need. Only the public cases are folded.
    /// `project`, when given, narrows them to its cases.
    pub async fn public_cases(
        &self,
        now: Timestamp,
        project: Option<&str>,
    ) -> Result<Vec<Case>, StoreError> {
        let in_project = if project.is_some() {
            "AND project = $2"
        } else {
            ""
        };
        let sql = format!(
            "SELECT case_id FROM case_summaries \
             WHERE public_from IS NOT NULL AND public_from <= $1 {in_project} \
             ORDER BY public_from DESC, case_id DESC"
        );
        let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(micros(now));
        if let Some(project) = project {
            query = query.bind(project.to_string());
        }
        let ids: Vec<i64> = query.fetch_all(&self.pool).await?;
        self.public_folds(&ids, now).await
    }

    /// Folds the cases `ids`, in that order, and keeps those the fold
    /// agrees are public at `now`: the projection picks the rows,
    /// `public_at` on the fold still has the last word.
    async fn public_folds(&self, ids: &[i64], now: Timestamp) -> Result<Vec<Case>, StoreError> {
        let mut cases = self.fold_all(ids).await?;
        cases.retain(|case| psirt_core::public_at(case).is_some_and(|at| at <= now));
        Ok(cases)
    }
}

/// Hooks for this crate's own integration tests (the `testing` feature):
/// the projection's rows, to compare the maintained with the rebuilt.
#[cfg(feature = "testing")]
#[doc(hidden)]
impl Store {
    pub async fn fill_missing_summaries_for_tests(&self) {
        self.fill_missing_summaries()
            .await
            .expect("fill in summaries");
    }

    /// Every summary row as text, by case, people included.
    pub async fn summary_rows_for_tests(&self) -> Vec<String> {
        let rows = sqlx::query(
            "SELECT case_id, project, reference, is_open, urgent, fix_lead, score_tenths, \
             severity, next_due_at, next_due, public_from, released_at, agenda_key, version, \
             updated_at, body FROM case_summaries ORDER BY case_id",
        )
        .fetch_all(&self.pool)
        .await
        .expect("summary rows");
        let mut out = Vec::new();
        for r in &rows {
            let id: i64 = r.get("case_id");
            let people: Vec<i64> = sqlx::query_scalar(
                "SELECT user_id FROM case_summary_people WHERE case_id = $1 ORDER BY user_id",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .expect("people");
            out.push(format!(
                "{id} {} {} open={} urgent={} lead={:?} score={:?} {:?} due={:?} {:?} \
                 public={:?} released={:?} key={} v={} at={} people={people:?} {}",
                r.get::<String, _>("project"),
                r.get::<String, _>("reference"),
                r.get::<i64, _>("is_open"),
                r.get::<i64, _>("urgent"),
                r.get::<Option<i64>, _>("fix_lead"),
                r.get::<Option<i64>, _>("score_tenths"),
                r.get::<Option<String>, _>("severity"),
                r.get::<Option<i64>, _>("next_due_at"),
                r.get::<Option<String>, _>("next_due"),
                r.get::<Option<i64>, _>("public_from"),
                r.get::<Option<i64>, _>("released_at"),
                r.get::<String, _>("agenda_key"),
                r.get::<i64, _>("version"),
                r.get::<i64, _>("updated_at"),
                r.get::<String, _>("body"),
            ));
        }
        out
    }
}
