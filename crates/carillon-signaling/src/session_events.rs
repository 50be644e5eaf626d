//! The meeting events only the signaling plane witnesses: an attendee joined, left or dropped
//! (and the same of its content share), or joined again from another device
//! (`chime:AttendeeAuthorized`). Sessions record them here without waiting; a task of its own
//! writes them to the store in batches (`Store::record_events`), which routes and delivers them
//! like the control plane's.
//!
//! A session's end is reported once, as AWS documents it: `Left` when the client said LEAVE, or
//! when the control plane took it out (its meeting ended, its attendee was deleted); `Dropped`
//! when its connection was lost, it went silent, or this node stopped (the client reconnects,
//! here or to another node: a drop, then a join). A session replaced by the same attendee's new
//! one reports nothing: the attendee never left, and the new session reports
//! `chime:AttendeeAuthorized`.
//!
//! The queue is bounded ([`CAPACITY`]); a write that fails is retried, in order, with a growing
//! delay. At shutdown what is left is written within the time the plane gives.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use carillon_core::{MeetingEvent, StoreResult};
use tokio::sync::{watch, Notify};

use crate::metrics::SignalingMetrics;

/// Events waiting at most; beyond it the oldest are dropped (and counted): a store away for
/// long must not exhaust memory.
pub const CAPACITY: usize = 100_000;

/// The most events one write carries.
const MAX_BATCH: usize = 500;

const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Events waiting to reach the store.
#[derive(Debug, Default)]
pub struct SessionEvents {
    queue: Mutex<VecDeque<MeetingEvent>>,
    wake: Notify,
}

impl SessionEvents {
    fn queue(&self) -> MutexGuard<'_, VecDeque<MeetingEvent>> {
        // Every change to the queue is complete before anything can panic.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues an event; never waits. Says whether an older event had to be dropped for it.
    pub fn record(&self, event: MeetingEvent) -> bool {
        let dropped = {
            let mut queue = self.queue();
            let dropped = queue.len() >= CAPACITY && queue.pop_front().is_some();
            queue.push_back(event);
            dropped
        };
        self.wake.notify_one();
        dropped
    }

    pub fn pending(&self) -> usize {
        self.queue().len()
    }

    fn take(&self) -> Vec<MeetingEvent> {
        let mut queue = self.queue();
        let n = queue.len().min(MAX_BATCH);
        queue.drain(..n).collect()
    }

    /// Puts a failed batch back in front, in its order.
    fn restore(&self, batch: Vec<MeetingEvent>) {
        let mut queue = self.queue();
        for event in batch.into_iter().rev() {
            queue.push_front(event);
        }
        while queue.len() > CAPACITY {
            queue.pop_back();
        }
    }
}

/// Writes the events recorded in `events` until `stop` turns true, then what is left, for at
/// most `last_flush`. `write` is `Store::record_events`.
pub(crate) async fn run<W, F>(
    events: Arc<SessionEvents>,
    write: W,
    metrics: SignalingMetrics,
    mut stop: watch::Receiver<bool>,
    last_flush: Duration,
) where
    W: Fn(Vec<MeetingEvent>) -> F,
    F: Future<Output = StoreResult<()>>,
{
    let write = |batch| write_batch(&write, &metrics, batch);
    let mut retry = RETRY_FIRST;
    'serving: loop {
        tokio::select! {
            () = events.wake.notified() => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        loop {
            let batch = events.take();
            if batch.is_empty() {
                retry = RETRY_FIRST;
                break;
            }
            match write(batch).await {
                Ok(()) => continue,
                Err(batch) => events.restore(batch),
            }
            tokio::select! {
                () = tokio::time::sleep(retry) => {}
                _ = stop.wait_for(|s| *s) => break 'serving,
            }
            retry = (retry * 2).min(RETRY_MAX);
        }
    }
    let flushed = tokio::time::timeout(last_flush, async {
        loop {
            let batch = events.take();
            if batch.is_empty() {
                return;
            }
            if let Err(batch) = write(batch).await {
                events.restore(batch);
                return;
            }
        }
    })
    .await;
    let left = events.pending();
    if flushed.is_err() || left > 0 {
        tracing::warn!(
            events = left,
            "session events: not every event was written at shutdown"
        );
    }
}

async fn write_batch<W, F>(
    write: &W,
    metrics: &SignalingMetrics,
    batch: Vec<MeetingEvent>,
) -> Result<(), Vec<MeetingEvent>>
where
    W: Fn(Vec<MeetingEvent>) -> F,
    F: Future<Output = StoreResult<()>>,
{
    let count = batch.len();
    let failure = match tokio::time::timeout(WRITE_TIMEOUT, write(batch.clone())).await {
        Ok(Ok(())) => {
            metrics.session_events(count);
            return Ok(());
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {WRITE_TIMEOUT:?}"),
    };
    metrics.session_events_failed();
    tracing::warn!(
        error = %failure,
        events = count,
        "session events: the store did not record them; retrying"
    );
    Err(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use carillon_core::conformance::{attendee, meeting_record, new_scope};
    use carillon_core::SessionChange;

    fn event(n: i64) -> MeetingEvent {
        let m = meeting_record(&new_scope());
        MeetingEvent::session(&m, &attendee(&m, "a"), SessionChange::Joined, false, n)
    }

    #[test]
    fn a_full_queue_drops_its_oldest() {
        let events = SessionEvents::default();
        for n in 0..CAPACITY as i64 {
            assert!(!events.record(event(n)));
        }
        assert!(events.record(event(-1)));
        assert_eq!(events.pending(), CAPACITY);
        assert_eq!(events.take()[0].timestamp_ms, 1);
    }

    #[test]
    fn a_failed_batch_goes_back_in_front_in_order() {
        let events = SessionEvents::default();
        for n in 0..3 {
            events.record(event(n));
        }
        let batch = events.take();
        events.record(event(3));
        events.restore(batch);
        let order: Vec<i64> = events.take().iter().map(|e| e.timestamp_ms).collect();
        assert_eq!(order, [0, 1, 2, 3]);
    }

    #[tokio::test]
    async fn failed_writes_are_retried_until_they_succeed() {
        let events = Arc::new(SessionEvents::default());
        let written = Arc::new(Mutex::new(Vec::new()));
        let failures = Arc::new(std::sync::atomic::AtomicUsize::new(2));
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(
            events.clone(),
            {
                let (written, failures) = (written.clone(), failures.clone());
                move |batch: Vec<MeetingEvent>| {
                    let (written, failures) = (written.clone(), failures.clone());
                    async move {
                        let failing = failures
                            .fetch_update(
                                std::sync::atomic::Ordering::SeqCst,
                                std::sync::atomic::Ordering::SeqCst,
                                |n| n.checked_sub(1),
                            )
                            .is_ok();
                        if failing {
                            return Err(carillon_core::StoreError::unavailable("away"));
                        }
                        written.lock().unwrap().extend(batch);
                        Ok(())
                    }
                }
            },
            SignalingMetrics::register(&mut Default::default()),
            stopped,
            Duration::from_secs(1),
        ));
        for n in 0..3 {
            events.record(event(n));
        }
        tokio::time::timeout(Duration::from_secs(10), async {
            while written.lock().unwrap().len() < 3 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("written after two failures");
        let order: Vec<i64> = written
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.timestamp_ms)
            .collect();
        assert_eq!(order, [0, 1, 2]);
        stop.send(true).unwrap();
        task.await.unwrap();
    }
}
