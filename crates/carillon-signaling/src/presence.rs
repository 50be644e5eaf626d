//! What this node reports of its meetings' presence to the store, which ends a meeting nobody
//! has been connected to for the idle timeout (AWS: five minutes).
//!
//! A meeting's sessions all live on its home node, so its room alone knows when the meeting is
//! occupied (its first attendee joined) and when it is vacated (its last one left). The room
//! records each transition here, under its lock and without waiting; a task of its own turns
//! them into [`PresenceMark`]s and writes them with `Store::mark_presence`:
//!
//! - occupied: `Connected` with a lease of [`LEASE`], renewed every third of it while the
//!   meeting stays occupied. A node that dies stops renewing, so its meetings count as idle from
//!   the end of its last lease instead of living forever;
//! - vacated: `Idle` since the instant the last session left;
//! - shutdown: every meeting still occupied here is vacated at that instant (best effort).
//!
//! Marks wait in one queue with at most one mark per meeting: a newer mark replaces the pending
//! one in its place, so the latest state of every meeting is written and the oldest are written
//! first. Each write takes at most [`MAX_BATCH`] marks; a write that fails (the store is away)
//! puts its marks back, unless a newer one of the same meeting came meanwhile, and is retried
//! with a growing delay. Writing a mark again is harmless: a lease only grows and an idle clock
//! only moves forwards.
//!
//! Whether a session keeps its meeting alive: AWS counts attendees connected to the meeting's
//! audio, and a content share (`<AttendeeId>#content`) carries no audio, so a meeting whose only
//! sessions are content shares is vacated ([`keeps_meeting_alive`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use carillon_core::{PresenceMark, StoreResult};
use tokio::sync::{watch, Notify};

use crate::metrics::SignalingMetrics;

/// How long a `Connected` mark holds without renewal.
pub const LEASE: Duration = Duration::from_secs(60);

/// How often the meetings still occupied are marked `Connected` again: a lease survives two
/// failed renewals.
const RENEW_EVERY: Duration = Duration::from_secs(LEASE.as_secs() / 3);

/// The most marks one write carries, so that a renewal of thousands of meetings never becomes
/// one long transaction.
pub const MAX_BATCH: usize = 1000;

/// How long one write may take before it counts as failed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The delays between retries of a failed write.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Whether a session keeps its meeting alive: a content share does not (see the module's
/// documentation).
pub(crate) fn keeps_meeting_alive(content: bool) -> bool {
    !content
}

/// A change of a room's occupancy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The first session that keeps the meeting alive joined.
    Occupied,
    /// The last one left, at this instant (ms since the epoch).
    Vacated { at_ms: i64 },
}

/// Whether a room is occupied, as last reported.
#[derive(Debug, Default)]
pub(crate) struct Occupancy {
    occupied: bool,
}

impl Occupancy {
    /// The transition, if any, to `occupied`; `now_ms` is read only when the room is vacated.
    pub(crate) fn update(
        &mut self,
        occupied: bool,
        now_ms: impl FnOnce() -> i64,
    ) -> Option<Transition> {
        if occupied == self.occupied {
            return None;
        }
        self.occupied = occupied;
        Some(if occupied {
            Transition::Occupied
        } else {
            Transition::Vacated { at_ms: now_ms() }
        })
    }
}

/// A mark waiting to be written. A `Connected` lease is computed when written, so that a retried
/// one is as long as a fresh one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Connected,
    Idle { since_ms: i64 },
}

/// A mark taken for a write: its place in the queue, its meeting, the mark.
type Taken = (u64, Arc<str>, Mark);

#[derive(Debug, Default)]
struct Queue {
    /// The meetings occupied on this node: renewed, and vacated at shutdown.
    occupied: HashSet<Arc<str>>,
    pending: HashMap<Arc<str>, (u64, Mark)>,
    /// The pending meetings by their place in the queue.
    order: BTreeMap<u64, Arc<str>>,
    next: u64,
}

impl Queue {
    fn record(&mut self, meeting_id: &Arc<str>, transition: Transition) {
        match transition {
            Transition::Occupied => {
                self.occupied.insert(meeting_id.clone());
                self.push(meeting_id.clone(), Mark::Connected);
            }
            Transition::Vacated { at_ms } => {
                self.occupied.remove(meeting_id);
                self.push(meeting_id.clone(), Mark::Idle { since_ms: at_ms });
            }
        }
    }

    /// Queues `mark`, in the place of the meeting's pending mark if it has one.
    fn push(&mut self, meeting_id: Arc<str>, mark: Mark) {
        if let Some(entry) = self.pending.get_mut(&meeting_id) {
            entry.1 = mark;
            return;
        }
        let place = self.next;
        self.next += 1;
        self.order.insert(place, meeting_id.clone());
        self.pending.insert(meeting_id, (place, mark));
    }

    /// Renews the lease of every meeting still occupied (those with a mark pending get it then).
    fn renew(&mut self) {
        let occupied: Vec<Arc<str>> = self.occupied.iter().cloned().collect();
        for meeting_id in occupied {
            if !self.pending.contains_key(&meeting_id) {
                self.push(meeting_id, Mark::Connected);
            }
        }
    }

    /// Vacates every meeting still occupied here at `at_ms` (the node stops).
    fn vacate_all(&mut self, at_ms: i64) {
        for meeting_id in std::mem::take(&mut self.occupied) {
            self.push(meeting_id, Mark::Idle { since_ms: at_ms });
        }
    }

    /// The `max` oldest pending marks, taken out of the queue.
    fn take(&mut self, max: usize) -> Vec<Taken> {
        let mut taken = Vec::with_capacity(max.min(self.order.len()));
        while taken.len() < max {
            let Some((place, meeting_id)) = self.order.pop_first() else {
                break;
            };
            if let Some((_, mark)) = self.pending.remove(&meeting_id) {
                taken.push((place, meeting_id, mark));
            }
        }
        taken
    }

    /// Puts back the marks of a failed write in their places, except where a newer mark of the
    /// same meeting came meanwhile: that one is the meeting's state now.
    fn restore(&mut self, failed: Vec<Taken>) {
        for (place, meeting_id, mark) in failed {
            if self.pending.contains_key(&meeting_id) {
                continue;
            }
            self.order.insert(place, meeting_id.clone());
            self.pending.insert(meeting_id, (place, mark));
        }
    }
}

/// When a lease granted at `from_ms` ends.
fn lease_from(from_ms: i64) -> i64 {
    from_ms.saturating_add(i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX))
}

/// The store's form of the marks taken, leases counted from `now_ms`.
fn to_marks(taken: &[Taken], now_ms: i64) -> Vec<PresenceMark> {
    taken
        .iter()
        .map(|(_, meeting_id, mark)| match *mark {
            Mark::Connected => PresenceMark::Connected {
                meeting_id: meeting_id.to_string(),
                lease_until_ms: lease_from(now_ms),
            },
            Mark::Idle { since_ms } => PresenceMark::Idle {
                meeting_id: meeting_id.to_string(),
                since_ms,
            },
        })
        .collect()
}

/// The transitions of this node's rooms, waiting to reach the store.
#[derive(Debug)]
pub struct PresenceReports {
    queue: Mutex<Queue>,
    wake: Notify,
    /// Every mark queued before this place has been written (see [`PresenceReports::flush`]).
    written: watch::Sender<u64>,
}

impl Default for PresenceReports {
    fn default() -> Self {
        PresenceReports {
            queue: Mutex::default(),
            wake: Notify::new(),
            written: watch::Sender::new(0),
        }
    }
}

impl PresenceReports {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        // Every change to the queue is complete before anything can panic.
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a room's transition; never waits for the store.
    pub fn record(&self, meeting_id: &Arc<str>, transition: Transition) {
        self.queue().record(meeting_id, transition);
        self.wake.notify_one();
    }

    /// Meetings occupied on this node now.
    #[cfg(test)]
    pub(crate) fn occupied_meetings(&self) -> usize {
        self.queue().occupied.len()
    }

    /// `Connected` marks for every meeting occupied on this node, their leases running
    /// [`LEASE`] past `from_ms`.
    pub(crate) fn occupied_marks(&self, from_ms: i64) -> Vec<PresenceMark> {
        let lease_until_ms = lease_from(from_ms);
        let queue = self.queue();
        let marks = queue
            .occupied
            .iter()
            .map(|meeting_id| PresenceMark::Connected {
                meeting_id: meeting_id.to_string(),
                lease_until_ms,
            });
        marks.collect()
    }

    /// Waits until every mark queued so far has been written, for at most `within`; false when
    /// the store did not take them in time (they stay queued).
    pub(crate) async fn flush(&self, within: Duration) -> bool {
        let queued = self.queue().next;
        self.wake.notify_one();
        let mut written = self.written.subscribe();
        let done = written.wait_for(|through| *through >= queued);
        let result = tokio::time::timeout(within, done).await;
        matches!(result, Ok(Ok(_)))
    }

    /// Marks waiting to be written.
    pub fn pending(&self) -> usize {
        self.queue().pending.len()
    }

    /// Takes every pending mark, as a write would.
    #[cfg(test)]
    pub(crate) fn take_pending(&self) -> Vec<(Arc<str>, Mark)> {
        let taken = self.queue().take(usize::MAX);
        taken.into_iter().map(|(_, m, mark)| (m, mark)).collect()
    }
}

/// Writes the transitions recorded in `reports` until either `stop` turns true (the server's, or
/// the plane's own at its shutdown), then vacates the meetings still occupied and writes what is
/// left, for at most `last_flush`.
/// `write` is `Store::mark_presence`.
pub(crate) async fn run<W, F>(
    reports: Arc<PresenceReports>,
    write: W,
    metrics: SignalingMetrics,
    stop: [watch::Receiver<bool>; 2],
    last_flush: Duration,
) where
    W: Fn(Vec<PresenceMark>) -> F,
    F: Future<Output = StoreResult<()>>,
{
    let write = |taken: Vec<Taken>| write_batch(&write, &metrics, taken);
    let [mut server_stop, mut plane_stop] = stop;
    let start = tokio::time::Instant::now() + RENEW_EVERY;
    let mut renew = tokio::time::interval_at(start, RENEW_EVERY);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut retry = RETRY_FIRST;
    'serving: loop {
        tokio::select! {
            () = reports.wake.notified() => {}
            _ = renew.tick() => reports.queue().renew(),
            () = stopped(&mut server_stop, &mut plane_stop) => break,
        }
        loop {
            let taken = {
                let mut queue = reports.queue();
                let taken = queue.take(MAX_BATCH);
                if taken.is_empty() {
                    // Read under the same lock: nothing queued before this place is left.
                    reports.written.send_replace(queue.next);
                }
                taken
            };
            if taken.is_empty() {
                retry = RETRY_FIRST;
                break;
            }
            if let Err(taken) = write(taken).await {
                reports.queue().restore(taken);
            } else {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(retry) => {}
                () = stopped(&mut server_stop, &mut plane_stop) => break 'serving,
            }
            retry = (retry * 2).min(RETRY_MAX);
        }
    }
    reports.queue().vacate_all(carillon_core::clock::now_ms());
    let flushed = tokio::time::timeout(last_flush, async {
        loop {
            let taken = reports.queue().take(MAX_BATCH);
            if taken.is_empty() {
                return;
            }
            if let Err(taken) = write(taken).await {
                reports.queue().restore(taken);
                return;
            }
        }
    })
    .await;
    let left = reports.pending();
    if flushed.is_err() || left > 0 {
        tracing::warn!(
            marks = left,
            "presence: not every mark was written at shutdown; those meetings idle out when their lease ends"
        );
    }
}

/// Resolves once either signal says stop.
async fn stopped(a: &mut watch::Receiver<bool>, b: &mut watch::Receiver<bool>) {
    tokio::select! {
        _ = a.wait_for(|stop| *stop) => {}
        _ = b.wait_for(|stop| *stop) => {}
    }
}

/// Writes one batch; gives it back when it failed.
async fn write_batch<W, F>(
    write: &W,
    metrics: &SignalingMetrics,
    taken: Vec<Taken>,
) -> Result<(), Vec<Taken>>
where
    W: Fn(Vec<PresenceMark>) -> F,
    F: Future<Output = StoreResult<()>>,
{
    let marks = to_marks(&taken, carillon_core::clock::now_ms());
    let count = marks.len();
    let failure = match tokio::time::timeout(WRITE_TIMEOUT, write(marks)).await {
        Ok(Ok(())) => {
            metrics.presence_marks(count);
            return Ok(());
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {WRITE_TIMEOUT:?}"),
    };
    metrics.presence_write_failed();
    tracing::warn!(
        error = %failure,
        marks = count,
        "presence: the store did not record meetings' presence; retrying"
    );
    Err(taken)
}

#[cfg(test)]
mod tests;
