//! This process's count of each job's rounds and of the rounds that failed:
//! what `GET /metrics` shows as `psirt_job_runs_total` and
//! `psirt_job_failures_total` for the replica that answers (`psirt serve`
//! runs the jobs in the same process). Counters only: a round's error is
//! logged where it happens, never kept here.

use std::sync::atomic::{AtomicU64, Ordering};

/// psirt's background jobs, by the name their figures carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Deliver,
    Remind,
    Checkpoint,
    Publish,
    Inbound,
    FixRepository,
    CveServices,
    GitHub,
}

impl Job {
    pub const ALL: [Job; 8] = [
        Job::Deliver,
        Job::Remind,
        Job::Checkpoint,
        Job::Publish,
        Job::Inbound,
        Job::FixRepository,
        Job::CveServices,
        Job::GitHub,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::Deliver => "deliver",
            Job::Remind => "remind",
            Job::Checkpoint => "checkpoint",
            Job::Publish => "publish",
            Job::Inbound => "inbound",
            Job::FixRepository => "fix_repository",
            Job::CveServices => "cve_services",
            Job::GitHub => "github",
        }
    }
}

struct Count {
    runs: AtomicU64,
    failures: AtomicU64,
}

#[allow(clippy::declare_interior_mutable_const)]
const ZERO: Count = Count {
    runs: AtomicU64::new(0),
    failures: AtomicU64::new(0),
};

static COUNTS: [Count; Job::ALL.len()] = [ZERO; Job::ALL.len()];

/// Counts one round of `job`, and whether it failed.
pub fn record(job: Job, ok: bool) {
    let count = &COUNTS[job as usize];
    count.runs.fetch_add(1, Ordering::Relaxed);
    if !ok {
        count.failures.fetch_add(1, Ordering::Relaxed);
    }
}

/// One job's figures in this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobRuns {
    pub job: Job,
    pub runs: u64,
    pub failures: u64,
}

/// Every job's figures in this process, in [`Job::ALL`]'s order.
pub fn snapshot() -> Vec<JobRuns> {
    Job::ALL
        .iter()
        .map(|&job| {
            let count = &COUNTS[job as usize];
            JobRuns {
                job,
                runs: count.runs.load(Ordering::Relaxed),
                failures: count.failures.load(Ordering::Relaxed),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_and_failures_are_counted_per_job() {
        let before = snapshot();
        record(Job::Remind, true);
        record(Job::Remind, false);
        record(Job::GitHub, false);
        let after = snapshot();
        let delta = |job: Job| {
            let (b, a) = (before[job as usize], after[job as usize]);
            assert_eq!((a.job, b.job), (job, job));
            (a.runs - b.runs, a.failures - b.failures)
        };
        assert_eq!(delta(Job::Remind), (2, 1));
        assert_eq!(delta(Job::GitHub), (1, 1));
        assert_eq!(delta(Job::Deliver), (0, 0));
    }
}
