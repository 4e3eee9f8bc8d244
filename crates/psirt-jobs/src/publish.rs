//! Publication at the instant: every so often, each case whose advisory
//! became public (`psirt_core::public_at`) gets its published advisories
//! recorded on its timeline, as psirt, with their public URLs, one per
//! format that renders. The public URLs themselves follow the clock, so
//! the record is public everywhere at the same second whether or not this
//! has run yet; this job is what makes "advisories exported" true on the
//! case, so the Fix Lead need not remember it.
//!
//! Safe on several replicas, once only: each record is a command, decided
//! in the case's own transaction, and the engine refuses one already
//! recorded (`Rule::AdvisoryAlreadyRecorded`), which a replica that lost
//! the race takes as done.

use std::time::Duration;

use jiff::Timestamp;
use psirt_core::{Command, Refusal, Rule};
use psirt_formats::{Format, Publisher};
use psirt_store::{Caller, Principal, Store, StoreError};

/// How often newly public cases are looked for.
pub const EVERY: Duration = Duration::from_secs(30);

/// The public URL suffix of each format.
const FILES: [(Format, &str); 4] = [
    (Format::Osv, ".osv.json"),
    (Format::Cve5, ".cve.json"),
    (Format::Csaf, ".csaf.json"),
    (Format::Markdown, ".md"),
];

/// One round at `now`: records what became public; returns how many.
pub async fn round(
    store: &Store,
    public_url: &str,
    cna_org_id: Option<&str>,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let caller = Caller::new(Principal::System, "publication");
    let mut written = 0;
    for case in store.public_cases(now).await? {
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

/// Runs [`round`] every `every` until `stop` resolves.
pub async fn run(
    store: &Store,
    public_url: String,
    cna_org_id: Option<String>,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let result = round(store, &public_url, cna_org_id.as_deref(), clock()).await;
        crate::runs::record(crate::runs::Job::Publish, result.is_ok());
        match result {
            Ok(0) => {}
            Ok(n) => tracing::info!(written = n, "advisories published"),
            Err(e) => tracing::error!(error = %e, "publishing advisories failed"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
