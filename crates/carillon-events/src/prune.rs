//! The pruner: events older than the retention that owe nothing are deleted, a bounded batch at
//! a time, so that the log does not grow without end.

use std::sync::Arc;
use std::time::Duration;

use carillon_core::clock::now_ms;
use carillon_core::Store;
use tokio::sync::watch;

use crate::worker::ms;

/// Events deleted per store call.
const BATCH: usize = 1000;

/// Every `interval`, deletes the events older than `retention` that owe nothing, a bounded batch
/// at a time, until `stopped`.
pub(crate) async fn prune(
    store: Arc<dyn Store>,
    retention: Duration,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.changed() => return,
        }
        loop {
            if *stopped.borrow() {
                return;
            }
            let before_ms = now_ms().saturating_sub(ms(retention));
            match store.prune_events(before_ms, BATCH).await {
                Ok(n) if n < BATCH as u64 => break,
                Ok(_) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "event pruning: the store failed; next time");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use carillon_core::conformance::{meeting_record, new_meeting, new_scope};
    use carillon_core::events::outbox::EventPosition;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn old_events_that_owe_nothing_are_pruned() {
        let store: Arc<dyn Store> =
            Arc::new(carillon_sqlite::SqliteStore::open_in_memory().expect("a store"));
        // Logged, owed nowhere, and from 2023 (the builders' creation time).
        let m = meeting_record(&new_scope());
        store.create_meeting(new_meeting(m), vec![]).await.unwrap();
        let logged = || async { store.events_after(EventPosition::START, 10).await.unwrap() };
        assert_eq!(logged().await.len(), 1);

        let (stop, stopped) = watch::channel(false);
        let pruner = tokio::spawn(prune(
            Arc::clone(&store),
            Duration::from_secs(3600),
            Duration::from_millis(10),
            stopped,
        ));
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !logged().await.is_empty() {
            assert!(std::time::Instant::now() < deadline, "not pruned");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(true).unwrap();
        pruner.await.unwrap();
    }
}
