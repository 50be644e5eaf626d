//! The sweeper: ends the meetings whose idle timeout or maximum duration has passed.
//!
//! Every node runs one. The store ends each expired meeting once, whichever node's sweep gets
//! there first, and announces it like a DeleteMeeting, so the signaling plane hangs up its
//! sessions. A meeting that expired while no node was running ends at the first sweep after
//! start. The rules themselves are `carillon_core::lifecycle`'s.

use std::sync::Arc;
use std::time::Duration;

use carillon_core::lifecycle::LifecyclePolicy;
use carillon_core::{Store, MAX_EXPIRED_PER_CALL};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The longest time between two sweeps. Shorter when a configured rule is short, so that a
/// meeting ends within a quarter of its own timeout of its deadline.
const MAX_INTERVAL: Duration = Duration::from_secs(1);
const MIN_INTERVAL: Duration = Duration::from_millis(50);

/// How often to sweep under `policy`.
pub fn interval(policy: &LifecyclePolicy) -> Duration {
    policy
        .rules()
        .flat_map(|l| [l.idle_timeout_ms, l.max_duration_ms])
        .flatten()
        .map(|ms| Duration::from_millis(u64::try_from(ms / 4).unwrap_or(0)))
        .fold(MAX_INTERVAL, Duration::min)
        .max(MIN_INTERVAL)
}

/// The sweeper's task, and the server time its last complete sweep ran at (everything expired
/// by then has ended).
pub struct Sweeper {
    pub task: JoinHandle<()>,
    pub swept: watch::Receiver<i64>,
}

/// Ends what expired while no node ran, then sweeps in a task of its own until `stopped` turns
/// true. `None` when every rule is off: nothing ever expires.
pub async fn start(
    store: Arc<dyn Store>,
    policy: LifecyclePolicy,
    stopped: watch::Receiver<bool>,
) -> Option<Sweeper> {
    if policy.is_off() {
        return None;
    }
    let first = sweep(store.as_ref(), &policy).await;
    let (swept_tx, swept) = watch::channel(first.unwrap_or(i64::MIN));
    let task = tokio::spawn(run(store, policy, stopped, swept_tx));
    Some(Sweeper { task, swept })
}

/// Sweeps every [`interval`], the first time one interval from now, and at once whenever time
/// control moves the server's clock (so that a meeting advanced past its end ends now).
async fn run(
    store: Arc<dyn Store>,
    policy: LifecyclePolicy,
    mut stopped: watch::Receiver<bool>,
    swept: watch::Sender<i64>,
) {
    let period = interval(&policy);
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut clock = carillon_core::clock::control().map(|c| c.changes());
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            Some(()) = clock_changed(&mut clock) => {}
            _ = stopped.changed() => return,
        }
        if let Some(at_ms) = sweep(store.as_ref(), &policy).await {
            swept.send_replace(at_ms);
        }
    }
}

/// Resolves at the clock's next change; never without time control.
async fn clock_changed(clock: &mut Option<watch::Receiver<i64>>) -> Option<()> {
    match clock {
        Some(changes) => changes.changed().await.ok(),
        None => std::future::pending().await,
    }
}

/// Ends everything expired now, a bounded batch at a time; the server time it swept at, or
/// `None` when the store failed: that is tried again at the next tick (nothing is lost, the
/// meetings only end a little later).
async fn sweep(store: &dyn Store, policy: &LifecyclePolicy) -> Option<i64> {
    let now_ms = carillon_core::clock::now_ms();
    loop {
        match store.end_expired(now_ms, policy).await {
            Ok(ended) => {
                for meeting in &ended {
                    tracing::info!(
                        meeting_id = %meeting.meeting_id,
                        reason = meeting.reason.as_str(),
                        "meeting ended"
                    );
                }
                if ended.len() < MAX_EXPIRED_PER_CALL {
                    return Some(now_ms);
                }
            }
            Err(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "lifecycle sweep: store unavailable");
                return None;
            }
            Err(e) => {
                tracing::error!(error = %e, "lifecycle sweep failed");
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use carillon_core::lifecycle::Lifecycle;

    use super::*;

    #[test]
    fn the_interval_follows_the_shortest_rule() {
        assert_eq!(interval(&LifecyclePolicy::default()), MAX_INTERVAL);
        let short = Lifecycle {
            idle_timeout_ms: Some(2_000),
            max_duration_ms: None,
        };
        assert_eq!(
            interval(&LifecyclePolicy::uniform(short)),
            Duration::from_millis(500)
        );
        let tiny = Lifecycle {
            idle_timeout_ms: None,
            max_duration_ms: Some(1),
        };
        let policy = LifecyclePolicy::default().with_account("123456789012", tiny);
        assert_eq!(interval(&policy), MIN_INTERVAL);
        assert_eq!(
            interval(&LifecyclePolicy::uniform(Lifecycle::off())),
            MAX_INTERVAL
        );
    }
}
