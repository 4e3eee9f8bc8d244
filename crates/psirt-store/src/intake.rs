//! Intake: a report becomes a case, its acknowledgement, its status link
//! and its audit entry, durable before anyone is told.
//!
//! Reports that arrive together are opened together (`group.rs` hands a
//! run of queued reports to [`Store::open_reports`]): each table is
//! written once for the whole run, not once per report, so a report costs
//! its batch a share of about a dozen statements instead of a dozen of its
//! own. What each report gets is the same as alone: the year's next
//! reference in queue order, its events, summary, duplicates' index,
//! status token, attachments, its own audit entry (in queue order, so the
//! hash chain is one order) and its mail. A report refused on its own
//! (an unknown project, a field the core refuses, a file over a limit)
//! writes nothing and takes no reference; a database error fails the run,
//! which the batch then retries one report at a time, so that only the
//! report that causes it hears it.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;
use psirt_core::{ActorRef, Case, CaseRef, Change, Event, NewReport, Policy};
use sqlx::{AnyConnection, Row};

use crate::accounts::{ApiToken, token_hash};
use crate::attachments::{self, NewAttachment, check_attachments};
use crate::audit::{self, AuditEntry};
use crate::cases::{CaseRecord, event_range, moved, new_events, write_events};
use crate::group::Arrival;
use crate::standing::{Principal, audit_actor};
use crate::triage::{Count, count_all, within_quota};
use crate::{Store, StoreError, micros, outbox, values_list};

/// A report just taken in: its case, and the reporter's status-link
/// token (shown once, stored only hashed).
#[derive(Clone, Debug)]
pub struct Intake {
    pub record: CaseRecord,
    pub status_token: ApiToken,
}

/// A report waiting for its batch.
pub(crate) struct Submitted {
    pub report: NewReport,
    pub attachments: Vec<NewAttachment>,
    /// Where it came from (a client address, `cli`), for the audit log.
    pub origin: String,
    pub now: Timestamp,
    /// How many reports a day its reporter's address may send: counted
    /// with it, in its run (`None`: not counted).
    pub per_day: Option<u32>,
    /// Opened in a run of its own: it was in a run of several that the
    /// database refused as a whole (see `group.rs`).
    pub alone: bool,
}

/// A report opened in the caller's transaction: its case's id, and what
/// its sender is told once that commits.
pub(crate) struct Opened {
    pub id: i64,
    /// When it was taken in.
    pub now: Timestamp,
    pub intake: Intake,
}

/// The most cases one INSERT writes (six values each).
const CASES_PER_INSERT: usize = 100;

impl Store {
    /// Takes in a report: allocates its reference, records it and its
    /// acknowledgement in one transaction (shared with other requests that
    /// arrive together: see `group.rs`). Once this returns, the report is
    /// durable. `origin` is where it came from (a client address, `cli`),
    /// for the audit log.
    pub async fn report(
        &self,
        report: NewReport,
        origin: &str,
        now: Timestamp,
    ) -> Result<Intake, StoreError> {
        self.report_with_attachments(report, Vec::new(), origin, now)
            .await
    }

    /// [`Store::report`] with files attached, written in the same
    /// transaction: the limits are checked first
    /// ([`crate::check_attachments`]), and a file that breaks one stores
    /// nothing at all.
    pub async fn report_with_attachments(
        &self,
        report: NewReport,
        attachments: Vec<NewAttachment>,
        origin: &str,
        now: Timestamp,
    ) -> Result<Intake, StoreError> {
        self.submit(report, attachments, origin, now, None, None)
            .await
    }

    /// Queues a report for the next batch (see `group.rs`), its files
    /// checked first; answered once the batch has committed.
    async fn submit(
        &self,
        report: NewReport,
        attachments: Vec<NewAttachment>,
        origin: &str,
        now: Timestamp,
        per_day: Option<u32>,
        arrival: Option<Arrival>,
    ) -> Result<Intake, StoreError> {
        check_attachments(&attachments)?;
        let submitted = Submitted {
            report,
            attachments,
            origin: origin.to_string(),
            now,
            per_day,
            alone: false,
        };
        self.grouped_report(submitted, arrival).await
    }
}

impl Arrival {
    /// [`Store::report_with_attachments`] for the report that said it was
    /// on its way (the arrival is given up once it is queued), counted
    /// against its reporter's daily quota (when it names an address) in
    /// the same transaction: a report that makes more than `per_day` from
    /// that address on its UTC day is refused (`StoreError::QuotaExceeded`)
    /// and opens nothing, but counts, as does one the core refuses. One
    /// batch for the count and the report; replicas sharing the database
    /// share the quota. Without an arrival taken earlier:
    /// `store.arrival().report_within_quota(…)`.
    pub async fn report_within_quota(
        self,
        report: NewReport,
        attachments: Vec<NewAttachment>,
        origin: &str,
        now: Timestamp,
        per_day: u32,
    ) -> Result<Intake, StoreError> {
        let store = self.store.clone();
        store
            .submit(report, attachments, origin, now, Some(per_day), Some(self))
            .await
    }
}

impl Store {
    /// Opens one report in the caller's transaction, without its mail
    /// (inbound mail writes its own). The caller holds the audit head
    /// already (`audit::lock_head`: before the year's counter, which this
    /// locks) and commits.
    pub(crate) async fn open_report(
        &self,
        tx: &mut AnyConnection,
        submitted: Submitted,
    ) -> Result<Opened, StoreError> {
        let mut outcomes = self
            .open_reports(tx, std::slice::from_ref(&submitted))
            .await?;
        outcomes.pop().expect("one outcome per report")
    }

    /// Opens the cases of `reports` in the caller's transaction (which
    /// holds the audit head), each table written once for all of them;
    /// returns each report's outcome, in order. A report refused on its
    /// own writes nothing; an `Err` of the whole is the database's, and the
    /// caller rolls back everything this wrote. Mail is the caller's:
    /// [`Store::enqueue_opened`].
    pub(crate) async fn open_reports(
        &self,
        tx: &mut AnyConnection,
        reports: &[Submitted],
    ) -> Result<Vec<Result<Opened, StoreError>>, StoreError> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        let quotas = count_quotas(tx, self.backend, reports).await?;
        let policies = policies(tx, reports).await?;
        // Each report checked with a stand-in reference first: a refused
        // one takes no number.
        let mut outcomes: Vec<Result<Accepted<'_>, StoreError>> = reports
            .iter()
            .zip(quotas)
            .map(|(s, quota)| quota.and_then(|()| accept(s, &policies)))
            .collect();
        number(tx, &mut outcomes).await?;
        let accepted: Vec<&mut Accepted> = outcomes
            .iter_mut()
            .filter_map(|o| o.as_mut().ok())
            .collect();
        if !accepted.is_empty() {
            self.write_opened(tx, accepted).await?;
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.map(Accepted::opened))
            .collect())
    }

    /// Writes the accepted reports, numbered: their cases, events,
    /// summaries, status tokens, attachments and audit entries.
    async fn write_opened(
        &self,
        tx: &mut AnyConnection,
        mut accepted: Vec<&mut Accepted<'_>>,
    ) -> Result<(), StoreError> {
        for chunk in accepted.chunks_mut(CASES_PER_INSERT) {
            let sql = format!(
                "INSERT INTO cases (reference, project, version, is_open, opened_at, updated_at) \
                 VALUES {} RETURNING id, reference",
                values_list(chunk.len(), 6)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for a in chunk.iter() {
                // At the version its first events make: they follow at once.
                let (version, is_open) = moved(0, &a.changes);
                query = query
                    .bind(a.reference.to_string())
                    .bind(a.submitted.report.project.as_str())
                    .bind(version)
                    .bind(i64::from(is_open))
                    .bind(micros(a.submitted.now))
                    .bind(micros(a.submitted.now));
            }
            // RETURNING's order is not promised: matched by reference.
            let ids: HashMap<String, i64> = query
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("reference")?, r.try_get("id")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            for a in chunk.iter_mut() {
                a.id = *ids.get(&a.reference.to_string()).ok_or_else(|| {
                    StoreError::Corrupt(format!("case {} not written", a.reference))
                })?;
            }
        }
        for a in accepted.iter_mut() {
            a.events = new_events(0, &a.changes, ActorRef::System, a.submitted.now);
            a.case = Some(
                Case::from_events(&a.events)
                    .ok_or_else(|| StoreError::Corrupt("new case".into()))?,
            );
            a.status_token = Some(ApiToken::generate()?);
        }
        let events: Vec<(i64, &[Event])> = accepted
            .iter()
            .map(|a| (a.id, a.events.as_slice()))
            .collect();
        write_events(tx, &events).await?;
        let cases: Vec<(i64, &Case, Timestamp)> = accepted
            .iter()
            .map(|a| {
                (
                    a.id,
                    a.case.as_ref().expect("folded above"),
                    a.submitted.now,
                )
            })
            .collect();
        crate::summaries::write_all(tx, &cases, crate::summaries::Written::Never).await?;
        let sql = format!(
            "INSERT INTO status_tokens (token_hash, case_id, created_at) VALUES {}",
            values_list(accepted.len(), 3)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in accepted.iter() {
            let token = a.status_token.as_ref().expect("made above");
            query = query
                .bind(token_hash(token.reveal()))
                .bind(a.id)
                .bind(micros(a.submitted.now));
        }
        query.execute(&mut *tx).await?;
        let mut entries = Vec::with_capacity(accepted.len());
        for a in accepted.iter_mut() {
            let files = &a.submitted.attachments;
            attachments::insert(tx, a.id, files, a.submitted.now).await?;
            let mut detail = format!(
                "project {}, {}",
                a.submitted.report.project,
                event_range(&a.events)
            );
            if !files.is_empty() {
                // The count only: names are report content.
                detail.push_str(&format!(", attachments: {}", files.len()));
            }
            entries.push(AuditEntry {
                actor: audit_actor(&Principal::System),
                action: "case.report".into(),
                case: Some(a.reference),
                origin: a.submitted.origin.clone(),
                detail,
            });
        }
        audit::append_all(tx, self.backend, &entries).await
    }

    /// Writes the mail of cases just opened, in the transaction that
    /// opened them.
    pub(crate) async fn enqueue_opened(
        &self,
        tx: &mut AnyConnection,
        opened: &[&Opened],
    ) -> Result<(), StoreError> {
        let cases: Vec<outbox::Opening> = opened
            .iter()
            .map(|o| outbox::Opening {
                id: o.id,
                case: &o.intake.record.case,
                events: &o.intake.record.events,
                now: o.now,
            })
            .collect();
        outbox::enqueue_opened(tx, &self.mail_domain, &cases).await
    }
}

/// A report the core accepted, on its way to being written.
struct Accepted<'a> {
    submitted: &'a Submitted,
    changes: Vec<Change>,
    reference: CaseRef,
    id: i64,
    events: Vec<Event>,
    case: Option<Case>,
    status_token: Option<ApiToken>,
}

impl Accepted<'_> {
    fn opened(self) -> Opened {
        Opened {
            id: self.id,
            now: self.submitted.now,
            intake: Intake {
                record: CaseRecord {
                    case: self.case.expect("written"),
                    events: self.events,
                    notified_at: None,
                },
                status_token: self.status_token.expect("written"),
            },
        }
    }
}

/// The policies of the projects `reports` name, by slug (a project that
/// does not exist is missing).
async fn policies(
    tx: &mut AnyConnection,
    reports: &[Submitted],
) -> Result<HashMap<String, Policy>, StoreError> {
    let slugs: std::collections::BTreeSet<&str> =
        reports.iter().map(|s| s.report.project.as_str()).collect();
    let sql = format!(
        "SELECT slug, policy FROM projects WHERE slug IN {}",
        values_list(1, slugs.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for slug in &slugs {
        query = query.bind(*slug);
    }
    let mut policies = HashMap::new();
    for row in query.fetch_all(&mut *tx).await? {
        let slug: String = row.try_get("slug")?;
        let json: String = row.try_get("policy")?;
        let policy =
            serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("policy: {e}")))?;
        policies.insert(slug, policy);
    }
    Ok(policies)
}

/// Counts the reports of a run that are counted against their reporter's
/// quota (one upsert), in queue order; each report's verdict.
async fn count_quotas(
    tx: &mut AnyConnection,
    backend: crate::Backend,
    reports: &[Submitted],
) -> Result<Vec<Result<(), StoreError>>, StoreError> {
    let counted: Vec<(usize, u32, Count)> = reports
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let email = s.report.reporter.as_ref()?.email.as_ref()?;
            Some((i, s.per_day?, Count::of(email, s.now)))
        })
        .collect();
    let mut verdicts: Vec<Result<(), StoreError>> = reports.iter().map(|_| Ok(())).collect();
    if counted.is_empty() {
        return Ok(verdicts);
    }
    let counts: Vec<&Count> = counted.iter().map(|(_, _, c)| c).collect();
    let totals = count_all(tx, backend, &counts).await?;
    for ((i, per_day, _), total) in counted.iter().zip(totals) {
        verdicts[*i] = within_quota(total, *per_day, reports[*i].now);
    }
    Ok(verdicts)
}

/// The year a report opened at `now` is numbered in.
fn year_of(now: Timestamp) -> i16 {
    now.to_zoned_datetime(jiff::tz::TimeZone::UTC).year()
}

/// `submitted` checked by the core (its project known, its fields valid),
/// under a stand-in reference until [`number`] gives it its own.
fn accept<'a>(
    submitted: &'a Submitted,
    policies: &HashMap<String, Policy>,
) -> Result<Accepted<'a>, StoreError> {
    check_attachments(&submitted.attachments)?;
    let project = &submitted.report.project;
    let policy = policies
        .get(project)
        .ok_or_else(|| StoreError::NotFound(format!("project {project:?}")))?
        .clone();
    let stand_in =
        CaseRef::new(year_of(submitted.now), 1).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let changes = psirt_core::open_case(submitted.report.clone(), stand_in, policy)?;
    Ok(Accepted {
        submitted,
        changes,
        reference: stand_in,
        id: 0,
        events: Vec::new(),
        case: None,
        status_token: None,
    })
}

/// Gives the accepted reports their references: the year's next numbers,
/// in queue order, the counter moved once per year for all of them.
async fn number(
    tx: &mut AnyConnection,
    outcomes: &mut [Result<Accepted<'_>, StoreError>],
) -> Result<(), StoreError> {
    let mut per_year: BTreeMap<i16, i64> = BTreeMap::new();
    for a in outcomes.iter().flatten() {
        *per_year.entry(year_of(a.submitted.now)).or_default() += 1;
    }
    let mut next: BTreeMap<i16, i64> = BTreeMap::new();
    for (year, count) in per_year {
        let last: i64 = sqlx::query_scalar(
            "INSERT INTO case_counters (year, last) VALUES ($1, $2) \
             ON CONFLICT (year) DO UPDATE SET last = case_counters.last + excluded.last \
             RETURNING last",
        )
        .bind(i64::from(year))
        .bind(count)
        .fetch_one(&mut *tx)
        .await?;
        next.insert(year, last - count + 1);
    }
    for a in outcomes.iter_mut().flatten() {
        let year = year_of(a.submitted.now);
        let number = next.get_mut(&year).expect("counted above");
        a.reference =
            CaseRef::new(year, *number as u32).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        *number += 1;
        match a.changes.first_mut() {
            Some(Change::Reported { reference, .. }) => *reference = a.reference,
            _ => {
                return Err(StoreError::Corrupt(
                    "a new case starts with its report".into(),
                ));
            }
        }
    }
    Ok(())
}
