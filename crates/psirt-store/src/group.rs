//! Group commit: intake, quota counts and audited reads that arrive
//! together share one write transaction.
//!
//! Every report and every audited read appends to the audit log, whose head
//! is one row: one transaction per request serializes them on it, and each
//! pays its own commit (an fsync). Here a request puts what it asks in this
//! process's queue; whoever finds no batch running becomes the leader, takes
//! what is queued and runs it as one batch on one transaction:
//!
//! - requests of one kind queued back to back form a run, which the batch
//!   runs as one step inside a `SAVEPOINT`, with one statement per table for
//!   all of them: reports (`intake.rs`: cases, events, summaries, the
//!   duplicates' index, status tokens, audit entries, mail), quota counts
//!   (`triage::count_all`: one upsert), audited reads
//!   (`audit::append_after`: one INSERT, the head moved once, one
//!   statement on PostgreSQL);
//! - the batch reads the audit head once (as PostgreSQL locks it, or before
//!   its first run of reads) and keeps what each run of reads leaves it at,
//!   until a run of reports (which append their own entries) runs;
//! - a run needs no savepoint while the transaction holds nothing it would
//!   lose: the run that opens a batch, and a run of reads while the batch
//!   has run only reads. If such a run fails, the transaction ends
//!   unwritten, its requests hear the error (reads before it too: none was
//!   recorded, so none may be answered as read), and the requests not yet
//!   run are queued again at the front;
//! - a report refused on its own (its project, its fields) writes nothing
//!   and takes no case number; when the database refuses a run's statement,
//!   a run of reports is rolled back to its savepoint and each report opened
//!   again alone in a savepoint of its own (or, when the run opened its
//!   batch, its reports lead the next batch, each alone), so that only the
//!   report that causes the error hears it (a run of counts or reads shares
//!   its one statement, and its error);
//! - the batch commits once, and only then is each request answered (a
//!   request is acknowledged only once it is durable); if the commit fails,
//!   every request in the batch gets the error and none is written;
//! - the audit entries are appended in queue order in the transaction, so
//!   the hash chain stays one order. On PostgreSQL the batch locks the
//!   audit head first, so that batches of several replicas queue on it
//!   instead of deadlocking on the other rows they lock (the year's case
//!   counter);
//! - bounds: a batch takes at most [`MAX_BATCH`] requests, and goes on
//!   taking runs (those queued when it started, and those that arrive while
//!   it runs) only until it has held the audit head for [`MAX_BATCH_TIME`]:
//!   then it commits, and what it did not run leads the next batch. Other
//!   writers (commands, mail) wait for the head no longer than that and one
//!   commit;
//! - gathering: a request that will queue soon can say so first (an
//!   [`Arrival`]): the edges take one for a report as its request comes
//!   in, before its body, its checks, its quota's read and its
//!   decryption; an audited case read takes one itself before its query.
//!   A leader about to start a batch while arrivals are on their way waits
//!   for them, for at most [`MAX_GATHER`], before it takes the queue, so
//!   that requests sent together are one run of one batch instead of a run
//!   of the first to queue and a second run, or batch, of the rest (each
//!   run costs the same statements, whatever its size, and each batch its
//!   commit). This is PostgreSQL's `commit_delay` with `commit_siblings`:
//!   a wait only when others are known to be coming. A lone request runs
//!   at once (nothing is on its way: there is no fixed wait).
//!
//! The batch runs in its own task, so a request whose client goes away
//! cannot abandon the others in its batch, on a connection of the store's
//! `batch_pool`, so that it never waits behind the requests' own reads for
//! one of the pool's.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::AnyConnection;
use tokio::sync::oneshot;

use crate::intake::{Intake, Opened, Submitted};
use crate::{Backend, Store, StoreError};

/// The most requests one batch takes.
pub const MAX_BATCH: usize = 64;

/// A batch runs requests until it has held the audit head this long; then
/// it commits what it ran, and the rest go first in the next batch.
pub const MAX_BATCH_TIME: Duration = Duration::from_millis(5);

/// The longest a leader about to start a batch waits for the requests on
/// their way ([`Arrival`]s) before it takes the queue.
pub const MAX_GATHER: Duration = Duration::from_millis(2);

/// A grouped request's result, its type erased until it is answered.
type Outcome = Result<Box<dyn Any + Send>, StoreError>;

/// A grouped request's result, as its run files it.
pub(crate) fn answer<T: Send + 'static>(value: T) -> Outcome {
    Ok(Box::new(value))
}

type Reply = oneshot::Sender<Outcome>;

/// What a request asks of the batch.
enum Task {
    /// Appends this entry, with the entries queued right after it.
    Audit(crate::audit::AuditEntry),
    /// Opens this report, with the reports queued right after it.
    Report(Box<Submitted>),
    /// Counts a report against its sender's daily quota, with the counts
    /// queued right after it.
    Count(crate::triage::Count),
}

struct Job {
    task: Task,
    reply: Reply,
}

/// This process's queue of grouped requests, shared by every clone of a
/// [`Store`].
pub(crate) struct Group {
    queue: Mutex<VecDeque<Job>>,
    /// Held by the batch that runs; the next leader waits for it.
    turn: Arc<tokio::sync::Mutex<()>>,
    /// How many batches ran, for the tests.
    batches: AtomicU64,
    /// [`MAX_BATCH_TIME`] in microseconds; the tests change it.
    time_bound: AtomicU64,
    /// [`MAX_GATHER`] in microseconds; the tests change it.
    gather_bound: AtomicU64,
    /// How many [`Arrival`]s are on their way to the queue.
    arriving: AtomicUsize,
    /// Told each time an arrival queues or is given up.
    arrived: tokio::sync::Notify,
}

impl Default for Group {
    fn default() -> Group {
        Group {
            queue: Mutex::default(),
            turn: Arc::default(),
            batches: AtomicU64::new(0),
            time_bound: AtomicU64::new(MAX_BATCH_TIME.as_micros() as u64),
            gather_bound: AtomicU64::new(MAX_GATHER.as_micros() as u64),
            arriving: AtomicUsize::new(0),
            arrived: tokio::sync::Notify::new(),
        }
    }
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group").finish_non_exhaustive()
    }
}

impl Group {
    fn take(&self, room: usize) -> Vec<Job> {
        let mut queue = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        let n = room.min(queue.len());
        queue.drain(..n).collect()
    }

    fn queued(&self) -> usize {
        self.queue.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Waits, at most [`MAX_GATHER`], until no arrival is on its way or the
    /// queue holds a full batch.
    async fn gather(&self) {
        let bound = Duration::from_micros(self.gather_bound.load(Ordering::Relaxed));
        let deadline = tokio::time::Instant::now() + bound;
        loop {
            let notified = self.arrived.notified();
            tokio::pin!(notified);
            // Registered before the check, so that an arrival that lands
            // between the two still wakes this wait.
            notified.as_mut().enable();
            if self.arriving.load(Ordering::Acquire) == 0 || self.queued() >= MAX_BATCH {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }
}

/// A request on its way to the group commit's queue: a batch about to
/// start waits for it (at most [`MAX_GATHER`]; see the module's
/// documentation). Taken by an edge as a report's request comes in (before
/// its body is read), or by an audited case read before its query; given
/// up when the request queues ([`Arrival::report_within_quota`]) or when
/// it is dropped (the request refused before it queued). A report that is
/// slow to arrive (a large upload) costs each batch that starts meanwhile
/// at most [`MAX_GATHER`].
#[must_use = "an arrival is given up when dropped"]
pub struct Arrival {
    pub(crate) store: Store,
}

impl std::fmt::Debug for Arrival {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arrival").finish_non_exhaustive()
    }
}

impl Drop for Arrival {
    fn drop(&mut self) {
        let group = &self.store.group;
        group.arriving.fetch_sub(1, Ordering::AcqRel);
        group.arrived.notify_waiters();
    }
}

impl Store {
    /// Says that a request is on its way to the queue (see [`Arrival`]).
    pub fn arrival(&self) -> Arrival {
        self.group.arriving.fetch_add(1, Ordering::AcqRel);
        Arrival {
            store: self.clone(),
        }
    }

    /// Appends `entry` to the audit log in the next batch's transaction,
    /// with the entries of the other reads queued next to it, and returns
    /// once the batch has committed.
    /// `arrival`, if the read said it was coming, is given up once it is
    /// queued.
    pub(crate) async fn grouped_audit(
        &self,
        entry: crate::audit::AuditEntry,
        arrival: Option<Arrival>,
    ) -> Result<(), StoreError> {
        self.queue(Task::Audit(entry), arrival).await
    }

    /// Opens `report` in the next batch's transaction, with the other
    /// reports queued next to it (`intake.rs`: each table written once for
    /// all of them), and returns once the batch has committed.
    /// `arrival`, if the report said it was coming, is given up once it
    /// is queued.
    pub(crate) async fn grouped_report(
        &self,
        report: Submitted,
        arrival: Option<Arrival>,
    ) -> Result<Intake, StoreError> {
        self.queue(Task::Report(Box::new(report)), arrival).await
    }

    /// Counts a report against its sender's quota in the next batch's
    /// transaction, with the counts queued next to it (one upsert for
    /// all); the day's count with this one, once the batch has committed.
    pub(crate) async fn grouped_count(
        &self,
        count: crate::triage::Count,
    ) -> Result<i64, StoreError> {
        self.queue(Task::Count(count), None).await
    }

    async fn queue<T: Send + 'static>(
        &self,
        task: Task,
        arrival: Option<Arrival>,
    ) -> Result<T, StoreError> {
        let (reply, mut answer) = oneshot::channel();
        self.group
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(Job { task, reply });
        drop(arrival);
        let result = loop {
            let turn = tokio::select! {
                biased;
                result = &mut answer => break result.ok(),
                turn = self.group.turn.clone().lock_owned() => turn,
            };
            // A batch that ran before this turn may have answered already.
            match answer.try_recv() {
                Ok(result) => break Some(result),
                Err(oneshot::error::TryRecvError::Closed) => break None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
            self.group.gather().await;
            let jobs = self.group.take(MAX_BATCH);
            let store = self.clone();
            tokio::spawn(async move {
                store.run_batch(jobs.into()).await;
                drop(turn);
            });
        };
        match result {
            Some(Ok(value)) => Ok(*value
                .downcast::<T>()
                .expect("a grouped request gets back its own type")),
            Some(Err(e)) => Err(e),
            // The batch's task ended without answering (it panicked).
            None => Err(failed("the batch ended without an answer")),
        }
    }

    /// One batch: one transaction, one savepoint per request, one commit,
    /// then the answers.
    async fn run_batch(&self, mut pending: VecDeque<Job>) {
        self.group.batches.fetch_add(1, Ordering::Relaxed);
        let bound = Duration::from_micros(self.group.time_bound.load(Ordering::Relaxed));
        let mut done: Vec<(Reply, Outcome)> = Vec::new();
        let mut tx = match self.write_on(&self.batch_pool).await {
            Ok(tx) => tx,
            Err(e) => return fail_all(done, pending, &e),
        };
        // The audit head as this transaction holds it, while known: read
        // as PostgreSQL locks it (SQLite's write transaction holds it
        // already), then as the runs of reads move it; forgotten after a
        // run of reports (which append their own entries) or a failed run.
        let mut head = match self.backend {
            Backend::Postgres => match crate::audit::read_head(&mut tx, self.backend).await {
                Ok(head) => Some(head),
                Err(e) => return fail_all(done, pending, &e),
            },
            Backend::Sqlite => None,
        };
        // From here the batch holds the audit head, which every other
        // writer waits for: the time bound counts from here.
        let started = Instant::now();
        // Whether every request the batch ran was a read.
        let mut only_reads = true;
        while let Some(job) = pending.pop_front() {
            if !done.is_empty() && started.elapsed() >= bound {
                // Cut: the rest go first in the next batch, which one of
                // their requests (waiting for the turn) will lead.
                pending.push_front(job);
                self.requeue(&mut pending);
                break;
            }
            // A run needs no savepoint while the transaction holds nothing
            // it would lose (no request ran yet, or only reads): if it
            // fails, the transaction ends unwritten (see below).
            let bare = done.is_empty() || (only_reads && matches!(job.task, Task::Audit(_)));
            if !bare && let Err(e) = sqlx::query("SAVEPOINT grouped").execute(&mut *tx).await {
                pending.push_front(job);
                return fail_all(done, pending, &e.into());
            }
            let ok = match job.task {
                Task::Audit(entry) => {
                    let run = take_run(entry, job.reply, &mut pending, |task| match task {
                        Task::Audit(entry) => Ok(entry),
                        task => Err(task),
                    });
                    head = self.append_run(&mut tx, head.take(), run, &mut done).await;
                    head.is_some()
                }
                Task::Count(count) => {
                    only_reads = false;
                    let run = take_run(count, job.reply, &mut pending, |task| match task {
                        Task::Count(count) => Ok(count),
                        task => Err(task),
                    });
                    let counted = crate::triage::count_all(&mut tx, self.backend, &run.asks).await;
                    file_all(run.replies, counted, &mut done)
                }
                Task::Report(report) => {
                    (head, only_reads) = (None, false);
                    // A report that failed in a run of several goes alone.
                    let run = match report.alone {
                        true => Run {
                            asks: vec![*report],
                            replies: vec![job.reply],
                        },
                        false => take_run(*report, job.reply, &mut pending, |task| match task {
                            Task::Report(report) if !report.alone => Ok(*report),
                            task => Err(task),
                        }),
                    };
                    match self.open_and_mail(&mut tx, &run.asks).await {
                        Ok(outcomes) => {
                            let outcomes = outcomes.into_iter().map(intake);
                            done.extend(run.replies.into_iter().zip(outcomes));
                            true
                        }
                        // Alone: the report hears the error itself.
                        Err(e) if run.asks.len() == 1 => {
                            done.extend(run.replies.into_iter().zip([Err(e)]));
                            false
                        }
                        // The database refused the run as a whole: its
                        // reports go back to the front, each alone, so
                        // that only the one that causes the error hears
                        // it. They run next, after the savepoint is rolled
                        // back; or, when the run opened the batch (no
                        // savepoint to go back to), first in the next
                        // batch, this transaction ending unwritten (it
                        // holds nothing else).
                        Err(_) => {
                            let alone = run.asks.into_iter().zip(run.replies).rev();
                            for (mut report, reply) in alone {
                                report.alone = true;
                                let task = Task::Report(Box::new(report));
                                pending.push_front(Job { task, reply });
                            }
                            if bare {
                                drop(tx);
                                self.requeue(&mut pending);
                                return;
                            }
                            false
                        }
                    }
                }
            };
            if bare && !ok {
                // The transaction may be aborted (PostgreSQL): it ends,
                // written nothing. Its requests (this run's, and the
                // reads before it, none recorded) hear the error; the
                // rest lead the next batch.
                drop(tx);
                self.requeue(&mut pending);
                return fail_all(done, pending, &failed("the run that opened a batch failed"));
            }
            let end = match (bare, ok) {
                (true, _) => None,
                (false, true) => Some("RELEASE SAVEPOINT grouped"),
                (false, false) => Some("ROLLBACK TO SAVEPOINT grouped"),
            };
            if let Some(end) = end
                && let Err(e) = sqlx::query(end).execute(&mut *tx).await
            {
                return fail_all(done, pending, &e.into());
            }
            if pending.is_empty() && started.elapsed() < bound {
                pending.extend(self.group.take(MAX_BATCH.saturating_sub(done.len())));
            }
        }
        match tx.commit().await {
            Ok(()) => {
                for (reply, result) in done {
                    let _ = reply.send(result);
                }
            }
            Err(e) => fail_all(done, pending, &e.into()),
        }
    }

    /// Puts `pending` back at the front of the queue, in order, for the
    /// next batch.
    fn requeue(&self, pending: &mut VecDeque<Job>) {
        let mut queue = self.group.queue.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(job) = pending.pop_back() {
            queue.push_front(job);
        }
    }
}

/// Requests of one kind queued back to back, which a batch runs as one
/// step: what each asks, in queue order, and their replies.
struct Run<T> {
    asks: Vec<T>,
    replies: Vec<Reply>,
}

/// `first`, and the requests of its kind queued right after it, taken off
/// `pending` (up to the first request of another kind): `kind` gives back
/// what a task asks when it is of that kind, else the task.
fn take_run<T>(
    first: T,
    reply: Reply,
    pending: &mut VecDeque<Job>,
    kind: fn(Task) -> Result<T, Task>,
) -> Run<T> {
    let mut run = Run {
        asks: vec![first],
        replies: vec![reply],
    };
    while let Some(job) = pending.pop_front() {
        match kind(job.task) {
            Ok(ask) => {
                run.asks.push(ask);
                run.replies.push(job.reply);
            }
            Err(task) => {
                pending.push_front(Job {
                    task,
                    reply: job.reply,
                });
                break;
            }
        }
    }
    run
}

impl Store {
    /// Opens `reports` and writes the mail of those opened.
    async fn open_and_mail(
        &self,
        tx: &mut AnyConnection,
        reports: &[Submitted],
    ) -> Result<Vec<Result<Opened, StoreError>>, StoreError> {
        let outcomes = self.open_reports(tx, reports).await?;
        let opened: Vec<&Opened> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        if !opened.is_empty() {
            self.enqueue_opened(tx, &opened).await?;
        }
        Ok(outcomes)
    }

    /// Appends a run's entries in the batch's transaction (inside the
    /// savepoint the caller opened, if any) after `head`, the head the
    /// batch knows (or else reads it), and files each read's outcome in
    /// `done`; the new head if they were written.
    async fn append_run(
        &self,
        tx: &mut AnyConnection,
        head: Option<crate::audit::Head>,
        run: Run<crate::audit::AuditEntry>,
        done: &mut Vec<(Reply, Outcome)>,
    ) -> Option<crate::audit::Head> {
        let appended = async {
            let head = match head {
                Some(head) => head,
                None => crate::audit::read_head(tx, self.backend).await?,
            };
            crate::audit::append_after(tx, self.backend, head, &run.asks).await
        }
        .await;
        let head = appended.as_ref().ok().cloned();
        let count = run.asks.len();
        file_all(run.replies, appended.map(|_| vec![(); count]), done);
        head
    }
}

/// Files the outcome of a run that its requests share one statement for:
/// each request's own result, or the statement's error for all (the first
/// hears the error itself; the others, that their shared statement
/// failed). Whether the run's writes stay.
fn file_all<T: Send + 'static>(
    replies: Vec<Reply>,
    results: Result<Vec<T>, StoreError>,
    done: &mut Vec<(Reply, Outcome)>,
) -> bool {
    match results {
        Ok(values) => {
            done.extend(replies.into_iter().zip(values.into_iter().map(answer)));
            true
        }
        Err(e) => {
            let why = e.to_string();
            let errors = std::iter::once(e).chain(std::iter::repeat_with(|| failed(&why)));
            done.extend(replies.into_iter().zip(errors.map(Err)));
            false
        }
    }
}

/// A report's outcome, as its request is answered.
fn intake(outcome: Result<Opened, StoreError>) -> Outcome {
    outcome.and_then(|opened| answer(opened.intake))
}

/// The batch's transaction failed: nothing in it is written, and every
/// request hears why (one refused on its own keeps its own refusal).
fn fail_all(done: Vec<(Reply, Outcome)>, pending: VecDeque<Job>, e: &StoreError) {
    tracing::warn!(error = %e, "a grouped write transaction failed");
    for (reply, result) in done {
        let _ = reply.send(match result {
            Ok(_) => Err(failed(e)),
            Err(own) => Err(own),
        });
    }
    for job in pending {
        let _ = job.reply.send(Err(failed(e)));
    }
}

/// The failure of a batch, for each of its requests (database errors are
/// not `Clone`; their message is what the caller sees anyway).
fn failed(why: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("group commit: {why}")))
}

/// Hooks for the group commit tests (the `testing` feature): hold the turn
/// so that requests queue, see how many did, count the batches.
#[cfg(feature = "testing")]
#[doc(hidden)]
impl Store {
    pub async fn hold_group_for_tests(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.group.turn.clone().lock_owned().await
    }

    pub fn queued_for_tests(&self) -> usize {
        self.group.queued()
    }

    pub fn batches_for_tests(&self) -> u64 {
        self.group.batches.load(Ordering::Relaxed)
    }

    /// Sets how long this store's leaders wait for arrivals.
    pub fn set_gather_time_for_tests(&self, bound: Duration) {
        self.group
            .gather_bound
            .store(bound.as_micros() as u64, Ordering::Relaxed);
    }

    /// Sets the time bound of this store's batches (all its clones').
    pub fn set_batch_time_for_tests(&self, bound: Duration) {
        self.group
            .time_bound
            .store(bound.as_micros() as u64, Ordering::Relaxed);
    }
}
