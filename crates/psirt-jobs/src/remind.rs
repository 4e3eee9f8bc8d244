//! Due-time reminders: every so often, ask the store to write the reminders
//! due now. The store writes each one once (a unique key per milestone and
//! due time), so any number of replicas may run this. The same round ends
//! the distributors' acceptances of the embargo policy that ran out
//! (`Store::lapse_embargo_acceptances`, each decided under the
//! organisation's lock, so once whichever replica gets there first).

use std::time::Duration;

use jiff::Timestamp;
use psirt_store::Store;

/// How often reminders are looked for.
pub const EVERY: Duration = Duration::from_secs(60);

/// Writes reminders every `every` until `stop` resolves.
pub async fn run(
    store: &Store,
    clock: fn() -> Timestamp,
    every: Duration,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let now = clock();
        let result = match store.remind(now).await {
            Ok(written) => store
                .lapse_embargo_acceptances(now)
                .await
                .map(|lapsed| (written, lapsed)),
            Err(e) => Err(e),
        };
        crate::runs::record(crate::runs::Job::Remind, result.is_ok());
        match result {
            Ok((0, 0)) => {}
            Ok((written, lapsed)) => {
                tracing::info!(written, lapsed, "reminders written, acceptances lapsed")
            }
            Err(e) => tracing::error!(error = %e, "writing reminders failed"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
