//! Due-time reminders: every so often, ask the store to write the reminders
//! due now, and to close the cases whose request for more information
//! went unanswered. The store writes each one once (a unique key per
//! milestone and due time), so any number of replicas may run this. The
//! same round ends the distributors' acceptances of the embargo policy that
//! ran out (`Store::lapse_embargo_acceptances`, each decided under the
//! organisation's lock, so once whichever replica gets there first).

use std::time::Duration;

use jiff::Timestamp;
use psirt_store::Store;

use crate::runs::Job;

/// How often reminders are looked for.
pub const EVERY: Duration = Duration::from_secs(60);

/// Writes reminders every `every` until `stop` resolves.
pub async fn run(
    store: &Store,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    let failed = "the reminders round failed";
    crate::every(Job::Remind, every, stop, failed, move || async move {
        let now = clock();
        let written = store.remind(now).await?;
        let lapsed = store.lapse_embargo_acceptances(now).await?;
        // Requests for more information that ran out close their cases.
        let closed = store.close_unanswered(now).await?;
        if (written, lapsed, closed) != (0, 0, 0) {
            tracing::info!(
                written,
                lapsed,
                closed,
                "reminders written, acceptances lapsed, unanswered cases closed"
            );
        }
        Ok::<_, psirt_store::StoreError>(())
    })
    .await
}
