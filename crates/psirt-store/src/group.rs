//! Group commit: intake and audited reads that arrive together share one
//! write transaction, each in its own SAVEPOINT.
//!
//! Every report and every audited read appends to the audit log, whose head
//! is one row: one transaction per request serializes them on it, and each
//! pays its own commit (an fsync). Here a request puts its work in this
//! process's queue; whoever finds no batch running becomes the leader, takes
//! what is queued and runs it as one batch on one transaction:
//!
//! - each request runs inside `SAVEPOINT`; its refusal or error rolls back
//!   to that savepoint, so only its own writes go, and it gets its error;
//! - the batch commits once, and only then is each request answered (a
//!   request is acknowledged only once it is durable); if the commit fails,
//!   every request in the batch gets the error and none is written;
//! - the audit entries are appended one after the other in the transaction,
//!   so the hash chain stays one order. On PostgreSQL the batch locks the
//!   audit head first, so that batches of several replicas queue on it
//!   instead of deadlocking on the other rows they lock (the year's case
//!   counter);
//! - bounds: a batch takes at most [`MAX_BATCH`] requests, and runs
//!   requests (those queued when it started, and those that arrive while it
//!   runs) only until it has held the audit head for [`MAX_BATCH_TIME`]:
//!   then it commits, and what it did not run leads the next batch. Other
//!   writers (commands, mail) wait for the head no longer than that and one
//!   commit. A lone request runs at once (there is no fixed wait: the
//!   leader takes what is queued, possibly only its own).
//!
//! Audited reads only append an entry each: the batch writes a run of them
//! that follow one another in the queue together (`audit::append_after`:
//! one INSERT, the head moved once, one statement on PostgreSQL), so a read
//! costs the batch a row instead of five statements. The batch reads the
//! head once (as PostgreSQL locks it, or before its first run) and keeps
//! what each run of reads leaves it at, until a request's own work (which
//! may append) runs. While the batch has run only reads, a run of reads
//! needs no savepoint: if one fails, the transaction ends unwritten, every
//! read in it hears the error (none was recorded, so none may be answered
//! as read), and the requests not yet run are queued again at the front.
//! From the first request's own work on, each run has its savepoint.
//!
//! The batch runs in its own task, so a request whose client goes away
//! cannot abandon the others in its batch.

use std::any::Any;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::AnyConnection;
use tokio::sync::oneshot;

use crate::{Backend, Store, StoreError};

/// The most requests one batch takes.
pub const MAX_BATCH: usize = 64;

/// A batch runs requests until it has held the audit head this long; then
/// it commits what it ran, and the rest go first in the next batch.
pub const MAX_BATCH_TIME: Duration = Duration::from_millis(5);

/// A grouped request's result, its type erased until it is answered.
type Outcome = Result<Box<dyn Any + Send>, StoreError>;

/// What a request does inside the batch's transaction.
pub(crate) type Work = Box<
    dyn for<'c> FnOnce(&'c mut AnyConnection) -> Pin<Box<dyn Future<Output = Outcome> + Send + 'c>>
        + Send,
>;

/// A grouped request's result, as [`Work`] returns it.
pub(crate) fn answer<T: Send + 'static>(value: T) -> Outcome {
    Ok(Box::new(value))
}

type Reply = oneshot::Sender<Outcome>;

/// What a request asks of the batch.
enum Task {
    /// Runs in its own savepoint.
    Work(Work),
    /// Appends this entry, with the entries queued right after it.
    Audit(crate::audit::AuditEntry),
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
}

impl Default for Group {
    fn default() -> Group {
        Group {
            queue: Mutex::default(),
            turn: Arc::default(),
            batches: AtomicU64::new(0),
            time_bound: AtomicU64::new(MAX_BATCH_TIME.as_micros() as u64),
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
}

impl Store {
    /// Runs `work` in the next batch's transaction (see the module) and
    /// returns its result once the batch has committed.
    pub(crate) async fn grouped<T: Send + 'static>(&self, work: Work) -> Result<T, StoreError> {
        self.queue(Task::Work(work)).await
    }

    /// Appends `entry` to the audit log in the next batch's transaction,
    /// with the entries of the other reads queued next to it, and returns
    /// once the batch has committed.
    pub(crate) async fn grouped_audit(
        &self,
        entry: crate::audit::AuditEntry,
    ) -> Result<(), StoreError> {
        self.queue(Task::Audit(entry)).await
    }

    async fn queue<T: Send + 'static>(&self, task: Task) -> Result<T, StoreError> {
        let (reply, mut answer) = oneshot::channel();
        self.group
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(Job { task, reply });
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
        let mut tx = match self.write().await {
            Ok(tx) => tx,
            Err(e) => return fail_all(done, pending, &e),
        };
        // The audit head as this transaction holds it, while known: read
        // as PostgreSQL locks it (SQLite's write transaction holds it
        // already), then as the runs of reads move it; forgotten after a
        // request's own work (which may append) or a failed run.
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
            // A run of reads needs no savepoint while the batch holds
            // only reads: if it fails, none of them is kept (see below).
            let first_reads = only_reads && matches!(job.task, Task::Audit(_));
            if !first_reads && let Err(e) = sqlx::query("SAVEPOINT grouped").execute(&mut *tx).await
            {
                pending.push_front(job);
                return fail_all(done, pending, &e.into());
            }
            let ok = match job.task {
                Task::Work(work) => {
                    head = None;
                    only_reads = false;
                    let result = work(&mut tx).await;
                    let ok = result.is_ok();
                    done.push((job.reply, result));
                    ok
                }
                Task::Audit(entry) => {
                    let run = take_audit_run(entry, job.reply, &mut pending);
                    head = self.append_run(&mut tx, head.take(), run, &mut done).await;
                    head.is_some()
                }
            };
            if first_reads && !ok {
                // The transaction may be aborted (PostgreSQL): it ends,
                // written nothing. Its reads (this run's and those before
                // it, none recorded) hear the error; the rest lead the
                // next batch.
                drop(tx);
                self.requeue(&mut pending);
                return fail_all(done, pending, &failed("a run of reads failed"));
            }
            let end = match (first_reads, ok) {
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

/// A run of audited reads: their entries, in queue order, and their replies.
struct AuditRun {
    entries: Vec<crate::audit::AuditEntry>,
    replies: Vec<Reply>,
}

/// `first`, and the audited reads queued right after it, taken off
/// `pending` (up to the first request of another kind).
fn take_audit_run(
    first: crate::audit::AuditEntry,
    reply: Reply,
    pending: &mut VecDeque<Job>,
) -> AuditRun {
    let mut run = AuditRun {
        entries: vec![first],
        replies: vec![reply],
    };
    while let Some(job) = pending.pop_front() {
        match job.task {
            Task::Audit(entry) => {
                run.entries.push(entry);
                run.replies.push(job.reply);
            }
            task => {
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
    /// Appends a run's entries in the batch's transaction (inside the
    /// savepoint the caller opened, if any) after `head`, the head the
    /// batch knows (or else reads it), and files each read's outcome in
    /// `done`; the new head if they were written.
    async fn append_run(
        &self,
        tx: &mut AnyConnection,
        head: Option<crate::audit::Head>,
        run: AuditRun,
        done: &mut Vec<(Reply, Outcome)>,
    ) -> Option<crate::audit::Head> {
        let appended = async {
            let head = match head {
                Some(head) => head,
                None => crate::audit::read_head(tx, self.backend).await?,
            };
            crate::audit::append_after(tx, self.backend, head, &run.entries).await
        }
        .await;
        match appended {
            Ok(head) => {
                done.extend(run.replies.into_iter().map(|r| (r, answer(()))));
                Some(head)
            }
            Err(e) => {
                // The first read hears the error itself; the others, that
                // their shared INSERT failed.
                let why = e.to_string();
                let errors = std::iter::once(e).chain(std::iter::repeat_with(|| failed(&why)));
                done.extend(run.replies.into_iter().zip(errors.map(Err)));
                None
            }
        }
    }
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
        self.group.queue.lock().unwrap().len()
    }

    pub fn batches_for_tests(&self) -> u64 {
        self.group.batches.load(Ordering::Relaxed)
    }

    /// Sets the time bound of this store's batches (all its clones').
    pub fn set_batch_time_for_tests(&self, bound: Duration) {
        self.group
            .time_bound
            .store(bound.as_micros() as u64, Ordering::Relaxed);
    }
}
