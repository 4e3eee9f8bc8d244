//! Due-time reminders: every so often, ask the store to write the reminders
//! due now, and to close the cases whose request for more information
//! went unanswered. The store writes each one once (a unique key per milestone and
//! due time), so any number of replicas may run this.

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
        match store.remind(clock()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(written = n, "reminders written"),
            Err(e) => tracing::error!(error = %e, "writing reminders failed"),
        }
        // Requests for more information that ran out close their cases.
        match store.close_unanswered(clock()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(closed = n, "unanswered cases closed"),
            Err(e) => tracing::error!(error = %e, "closing unanswered cases failed"),
        }
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}
