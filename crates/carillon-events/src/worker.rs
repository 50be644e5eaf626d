//! The deliverer: claims due deliveries, sends them, settles them.
//!
//! Streams (a meeting's deliveries to one target) are delivered concurrently, at most
//! `concurrency` at once, each strictly in order ([`crate::schedule`]), as tasks of their own:
//! a slow or unreachable target holds back only its own streams. The loop claims as many
//! streams as there is room for (at most `streams_per_claim`, each with up to `per_stream`
//! deliveries) whenever this node logged events, every `poll_interval` (other nodes' events,
//! retries come due), and at once again after a full claim or a stream that had more. Each time
//! streams finish, their settlements go to the store in one `settle_deliveries` call.
//!
//! No attempt starts unless its timeout ends within its claim's lease, so a slow stream gives
//! back the rest of its claim instead of being claimed twice. A store that fails is left alone
//! for a backoff, then called again; settlements wait for it. On stop nothing more is claimed
//! and no attempt starts; one in flight gets [`GRACE`] to finish, then it is abandoned and
//! released (its receiver may have it already: a delivery is at least once, and the envelope id
//! stays the same), and everything is settled.

use std::sync::Arc;
use std::time::Duration;

use carillon_core::clock::real_ms;
use carillon_core::events::outbox::{Claim, Settlement};
use carillon_core::{Store, StoreResult};
use tokio::sync::watch;
use tokio::task::{JoinError, JoinSet};
use tokio::time::Instant;

use crate::backoff::RetryPolicy;
use crate::config::DeliveryConfig;
use crate::metrics::DeliveryMetrics;
use crate::schedule::{self, Attempt, Stream};
use crate::sender::{target_kind, Senders};

/// How long an attempt in flight may still run once the deliverer is told to stop.
pub const GRACE: Duration = Duration::from_secs(1);

/// How long the deliverer waits after the store failed: from the poll interval, doubling up to
/// this.
const MAX_STORE_BACKOFF: Duration = Duration::from_secs(5);

/// Settle calls tried at stop before what is left is left to its lease's expiry.
const SETTLE_TRIES: u32 = 3;

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// What every stream task of the deliverer shares.
pub(crate) struct Deliverer {
    pub store: Arc<dyn Store>,
    pub senders: Senders,
    pub config: DeliveryConfig,
    pub metrics: DeliveryMetrics,
    pub targets: Vec<String>,
}

impl Deliverer {
    /// Delivers until `stopped` turns true (or its sender is gone), then lets the attempts in
    /// flight end (within [`GRACE`]) and settles everything.
    pub async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut logged = self.store.events_logged();
        let mut logged_open = true;
        let mut tasks: JoinSet<(Vec<Settlement>, bool)> = JoinSet::new();
        let mut unsettled: Vec<Settlement> = Vec::new();
        let mut store = StoreHealth::new(self.config.poll_interval);
        let mut claim_due = true;
        let mut next_poll = Instant::now() + self.config.poll_interval;
        let capacity = self.config.concurrency.max(1);
        loop {
            if *stopped.borrow() {
                break;
            }
            if store.ready() && !unsettled.is_empty() {
                match self.store.settle_deliveries(unsettled.clone()).await {
                    Ok(()) => {
                        unsettled.clear();
                        store.succeeded();
                    }
                    Err(e) => store.failed(&e, "settling"),
                }
            }
            let room = capacity.saturating_sub(tasks.len());
            if store.ready() && claim_due && room > 0 {
                match self.claim(room.min(self.config.streams_per_claim)).await {
                    Ok((streams, latest_start_ms, full)) => {
                        store.succeeded();
                        claim_due = full;
                        for stream in streams {
                            let this = Arc::clone(&self);
                            let stopped = stopped.clone();
                            tasks.spawn(async move {
                                let more = stream.len() >= this.config.per_stream;
                                (this.deliver(stream, latest_start_ms, stopped).await, more)
                            });
                        }
                    }
                    Err(e) => store.failed(&e, "claiming"),
                }
            }
            // A full claim is followed by another at once, while there is room for it.
            let again = claim_due && store.ready() && tasks.len() < capacity;
            let wake = if again {
                Instant::now()
            } else {
                store.retry_at.map_or(next_poll, |t| t.min(next_poll))
            };
            tokio::select! {
                Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                    claim_due |= collect(done, &mut unsettled);
                    while let Some(done) = tasks.try_join_next() {
                        claim_due |= collect(done, &mut unsettled);
                    }
                }
                changed = logged.changed(), if logged_open => {
                    // A store that no longer announces is still polled.
                    logged_open = changed.is_ok();
                    claim_due = true;
                }
                _ = tokio::time::sleep_until(wake) => {
                    if Instant::now() >= next_poll {
                        claim_due = true;
                        next_poll = Instant::now() + self.config.poll_interval;
                    }
                }
                changed = stopped.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
            }
        }
        while let Some(done) = tasks.join_next().await {
            collect(done, &mut unsettled);
        }
        self.settle_at_stop(unsettled).await;
    }

    /// Claims up to `streams` streams: them, the latest instant an attempt of theirs may start
    /// (its timeout must end within the lease), and whether the claim came back full.
    async fn claim(&self, streams: usize) -> StoreResult<(Vec<Stream>, i64, bool)> {
        let config = &self.config;
        let now = real_ms();
        let claim = Claim {
            now_ms: now,
            lease_until_ms: now.saturating_add(ms(config.lease)),
            streams,
            per_stream: config.per_stream,
            targets: self.targets.clone(),
        };
        let claimed = schedule::streams(self.store.claim_deliveries(&claim).await?);
        let full = claimed.len() >= streams;
        let latest_start_ms = claim
            .lease_until_ms
            .saturating_sub(ms(config.request_timeout));
        Ok((claimed, latest_start_ms, full))
    }

    /// Settles what the stop left, trying again a little when the store fails; what stays
    /// unsettled is claimed again once its lease ends (and delivered again).
    async fn settle_at_stop(&self, settlements: Vec<Settlement>) {
        if settlements.is_empty() {
            return;
        }
        for tries in 1..=SETTLE_TRIES {
            match self.store.settle_deliveries(settlements.clone()).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, tries, "event delivery: settling at stop failed");
                    tokio::time::sleep(self.config.poll_interval * tries).await;
                }
            }
        }
    }

    /// Delivers one stream in order, as far as it goes.
    async fn deliver(
        &self,
        mut stream: Stream,
        latest_start_ms: i64,
        stopped: watch::Receiver<bool>,
    ) -> Vec<Settlement> {
        let target = stream.target().to_owned();
        let kind = target_kind(&target);
        while let Some(head) = stream.head() {
            let started = real_ms();
            if *stopped.borrow() || started > latest_start_ms {
                break;
            }
            let event = head.event.clone();
            let result = tokio::select! {
                result = self.senders.send(&target, &event, started) => result,
                _ = grace_over(stopped.clone()) => break,
            };
            let done = real_ms();
            let failure = result.as_ref().err().cloned();
            let attempt = stream.settle_head(result, done, &self.config.retry, rand::random());
            match (attempt, failure) {
                (Some(Attempt::Delivered), _) => {
                    // From the event's time (the server's clock) to the wall clock's now: the
                    // same clock unless time control moved the server's.
                    self.metrics
                        .delivered(kind, done.saturating_sub(event.event.at_ms));
                }
                (Some(Attempt::Retry), Some(error)) => {
                    self.metrics.failed(kind);
                    tracing::info!(
                        target_kind = kind,
                        meeting_id = %event.event.meeting_id,
                        event_id = %event.event.event_id,
                        %error,
                        "event delivery failed; retrying later"
                    );
                }
                (Some(Attempt::Dead), error) => {
                    self.metrics.failed(kind);
                    self.metrics.dead_letter(kind);
                    tracing::warn!(
                        target_kind = kind,
                        meeting_id = %event.event.meeting_id,
                        event_id = %event.event.event_id,
                        error = error.as_deref().unwrap_or(""),
                        "event delivery given up: kept as a dead letter"
                    );
                }
                _ => {}
            }
        }
        stream.finish()
    }
}

/// Ends [`GRACE`] after `stopped` turns true (or its sender is gone).
async fn grace_over(mut stopped: watch::Receiver<bool>) {
    // A sender gone counts as a stop.
    let _stopped = stopped.wait_for(|s| *s).await.is_ok();
    tokio::time::sleep(GRACE).await;
}

/// Takes a finished stream task's settlements; whether its stream may have more due.
fn collect(done: Result<(Vec<Settlement>, bool), JoinError>, into: &mut Vec<Settlement>) -> bool {
    match done {
        Ok((settlements, more)) => {
            into.extend(settlements);
            more
        }
        // Its deliveries stay leased and are claimed again when the lease ends.
        Err(e) => {
            tracing::error!(error = %e, "event delivery: a stream task failed");
            false
        }
    }
}

/// Whether the store may be called now: after a failure, not before a backoff (from the poll
/// interval, doubling up to [`MAX_STORE_BACKOFF`], half of it jitter) has passed.
struct StoreHealth {
    backoff: RetryPolicy,
    errors: u32,
    retry_at: Option<Instant>,
}

impl StoreHealth {
    fn new(poll_interval: Duration) -> Self {
        StoreHealth {
            backoff: RetryPolicy {
                max_attempts: u32::MAX,
                initial: poll_interval,
                max: MAX_STORE_BACKOFF,
            },
            errors: 0,
            retry_at: None,
        }
    }

    fn ready(&self) -> bool {
        self.retry_at.is_none_or(|t| Instant::now() >= t)
    }

    fn succeeded(&mut self) {
        self.errors = 0;
        self.retry_at = None;
    }

    fn failed(&mut self, e: &carillon_core::StoreError, doing: &'static str) {
        tracing::warn!(error = %e, doing, "event delivery: the store failed; trying again");
        let window = self.backoff.window(self.errors);
        self.errors = self.errors.saturating_add(1);
        // Half fixed, half jitter: never a hot loop against a store that is down.
        self.retry_at = Some(Instant::now() + window.mul_f64(0.5 + rand::random::<f64>() / 2.0));
    }
}
