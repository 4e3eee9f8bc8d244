//! Publication at the instant. A release schedules its `publication` step
//! for the release's public instant (`psirt_core::public_at`, which may
//! lie ahead of the Release command). When it is due, this job records
//! the case published (`Command::Publish`, as psirt): in that event's
//! transaction the held release announcement becomes due and the notified
//! distributors' portal access ends. Then, for each case whose advisory is
//! public, it records the published advisories on the timeline with their
//! public URLs, one per format that renders, so the Fix Lead need not
//! remember it. The public URLs themselves follow the clock, so the record
//! is public everywhere at the same second whether or not this has run yet.
//!
//! Safe on several replicas, once only: a due step is claimed with a
//! lease (the steps table's claim), and each record is a command decided
//! in the case's own transaction; the engine refuses one already recorded
//! (`Rule::AlreadyPublished`, `Rule::AdvisoryAlreadyRecorded`), which a
//! replica that lost the race takes as done.

use std::time::Duration;

use jiff::Timestamp;
use psirt_core::{Command, Refusal, Rule};
use psirt_formats::{Format, Publisher};
use psirt_store::{Caller, Principal, Step, Store, StoreError};

use crate::runs::Job;

/// How often newly public cases are looked for.
pub const EVERY: Duration = Duration::from_secs(30);

/// The public URL suffix of each format.
const FILES: [(Format, &str); 4] = [
    (Format::Osv, ".osv.json"),
    (Format::Cve5, ".cve.json"),
    (Format::Csaf, ".csaf.json"),
    (Format::Markdown, ".md"),
];

/// One round at `now`: publishes the cases whose instant came, and
/// records their advisories; returns how many records it wrote.
pub async fn round(
    store: &Store,
    public_url: &str,
    cna_org_id: Option<&str>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let caller = Caller::new(Principal::System, "publication");
    let mut written = publish_due(store, &caller, now).await?;
    for case in store.public_cases(now, None).await? {
        if !case.is_open() {
            continue;
        }
        let publisher = Publisher {
            name: &case.project,
            namespace: public_url,
            cna_org_id,
        };
        for (format, suffix) in FILES {
            let location = format!("{}{suffix}", publisher.advisory_url(&case));
            if case.advisories.iter().any(|(_, l)| *l == location)
                || psirt_formats::export(&case, format, &publisher, now).is_err()
            {
                continue;
            }
            let command = Command::RecordAdvisory {
                format: format.as_str().to_string(),
                location,
            };
            match store
                .execute(&caller, case.reference, command, None, now)
                .await
            {
                Ok(_) => written += 1,
                Err(StoreError::Refused(Refusal::Rule(Rule::AdvisoryAlreadyRecorded))) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(written)
}

/// Records published each case whose `publication` step is due; returns
/// how many it published.
async fn publish_due(store: &Store, caller: &Caller, now: Timestamp) -> Result<usize, StoreError> {
    let lease = now + jiff::SignedDuration::from_mins(5);
    let mut published = 0;
    for reference in store.claim_steps(Step::Publication, 50, now, lease).await? {
        let outcome = store
            .execute(caller, reference, Command::Publish, None, now)
            .await;
        match outcome {
            Ok(_) => published += 1,
            Err(StoreError::Refused(Refusal::Rule(Rule::AlreadyPublished))) => {}
            // The instant moved (or the clocks of the replicas differ):
            // the step is due again then.
            Err(StoreError::Refused(Refusal::Rule(Rule::NotYetPublic { at }))) => {
                store
                    .step_succeeded(reference, Step::Publication, now, at)
                    .await?;
                continue;
            }
            Err(e) => {
                let next = store
                    .step_failed(reference, Step::Publication, &e.to_string(), now)
                    .await?;
                tracing::warn!(case = %reference, error = %e, %next, "publication failed");
                continue;
            }
        }
        store.step_done(reference, Step::Publication, now).await?;
    }
    Ok(published)
}

/// Runs [`round`] every `every` until `stop` resolves.
pub async fn run(
    store: &Store,
    public_url: String,
    cna_org_id: Option<String>,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let (public_url, cna_org_id) = (public_url.as_str(), cna_org_id.as_deref());
    let failed = "publishing advisories failed";
    crate::every(Job::Publish, every, stop, failed, move || async move {
        let n = round(store, public_url, cna_org_id, clock()).await?;
        if n > 0 {
            tracing::info!(written = n, "advisories published");
        }
        Ok::<_, StoreError>(())
    })
    .await
}
