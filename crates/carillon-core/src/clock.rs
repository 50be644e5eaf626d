//! Time, read in one place. Two clocks:
//!
//! - **the server's clock** ([`now_ms`], [`now_ns`]): what a meeting lives by. Its creation, its
//!   idle timeout and maximum duration, presence, and the timestamps of its events. A test can
//!   freeze and advance it ([`TimeControl`]), when the server was started with time control on;
//!   otherwise it is the wall clock.
//! - **the wall clock** ([`real_ms`], [`real_ns`]): what answers to the world outside, whose
//!   clocks nobody froze. Event deliveries' retry schedule and leases (a frozen clock would never
//!   make a retry due), a webhook's signed timestamp (checked against the receiver's clock), and
//!   the signaling frames' timestamps and data messages' ingest times (the SDK and apps compare
//!   them with their own clocks). SigV4's request dates
//!   and the request-rate quotas do not read this module at all: they use the system clock and a
//!   monotonic one, so frozen or advanced server time never makes a signed request stale or
//!   empties a rate bucket for good.
//!
//! The server's clock only moves forwards: [`TimeControl`] can stop it and move it on, never
//! back, so that every instant the store holds stays in the past.

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

/// The control of the server's clock, installed once at start when time control is on.
static CONTROL: OnceLock<TimeControl> = OnceLock::new();

/// The server's clock in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    now_ns() / 1_000_000
}

/// The server's clock in nanoseconds since the Unix epoch.
pub fn now_ns() -> i64 {
    let real = real_ns();
    match CONTROL.get() {
        Some(control) => control.at(real),
        None => real,
    }
}

/// The wall clock in milliseconds since the Unix epoch (0 for a clock set before it).
pub fn real_ms() -> i64 {
    real_ns() / 1_000_000
}

/// The wall clock in nanoseconds since the Unix epoch (0 for a clock set before it).
pub fn real_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Turns time control on for this process and returns it; the same control when already on.
pub fn enable_control() -> &'static TimeControl {
    CONTROL.get_or_init(TimeControl::new)
}

/// The process's time control, `None` unless [`enable_control`] was called.
pub fn control() -> Option<&'static TimeControl> {
    CONTROL.get()
}

/// Freezes and advances a clock that otherwise follows the wall clock.
#[derive(Debug)]
pub struct TimeControl {
    state: Mutex<State>,
    /// The server's time after each change, for those who wait on it (the lifecycle sweeper).
    changes: watch::Sender<i64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct State {
    /// Added to the wall clock while running.
    offset_ns: i64,
    /// The server's time while frozen.
    frozen_at_ns: Option<i64>,
}

/// Where a controlled clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockState {
    /// The server's time, in milliseconds since the Unix epoch.
    pub now_ms: i64,
    /// How far ahead of the wall clock it is.
    pub offset_ms: i64,
    pub frozen: bool,
}

impl TimeControl {
    fn new() -> Self {
        TimeControl {
            state: Mutex::new(State::default()),
            changes: watch::Sender::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two integers, written whole: a panic elsewhere cannot leave it torn.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The server's time when the wall clock reads `real_ns`.
    fn at(&self, real_ns: i64) -> i64 {
        let state = *self.lock();
        state
            .frozen_at_ns
            .unwrap_or_else(|| real_ns.saturating_add(state.offset_ns))
    }

    /// Where the clock stands now.
    pub fn state(&self) -> ClockState {
        self.state_at(real_ns())
    }

    fn state_at(&self, real_ns: i64) -> ClockState {
        let state = *self.lock();
        let now_ns = state
            .frozen_at_ns
            .unwrap_or_else(|| real_ns.saturating_add(state.offset_ns));
        ClockState {
            now_ms: now_ns / 1_000_000,
            offset_ms: now_ns.saturating_sub(real_ns) / 1_000_000,
            frozen: state.frozen_at_ns.is_some(),
        }
    }

    /// Stops the clock where it is (nothing when already stopped).
    pub fn freeze(&self) -> ClockState {
        self.freeze_at(real_ns())
    }

    fn freeze_at(&self, real_ns: i64) -> ClockState {
        self.change(real_ns, |state, real| {
            if state.frozen_at_ns.is_none() {
                state.frozen_at_ns = Some(real.saturating_add(state.offset_ns));
            }
        })
    }

    /// Lets a stopped clock run again from where it stands (nothing when it runs).
    pub fn resume(&self) -> ClockState {
        self.resume_at(real_ns())
    }

    fn resume_at(&self, real_ns: i64) -> ClockState {
        self.change(real_ns, |state, real| {
            if let Some(frozen) = state.frozen_at_ns.take() {
                state.offset_ns = frozen.saturating_sub(real);
            }
        })
    }

    /// Moves the clock `by` forwards, stopped or running.
    pub fn advance(&self, by: Duration) -> ClockState {
        let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        self.change(real_ns(), |state, _| match &mut state.frozen_at_ns {
            Some(frozen) => *frozen = frozen.saturating_add(by),
            None => state.offset_ns = state.offset_ns.saturating_add(by),
        })
    }

    fn change(&self, real_ns: i64, apply: impl FnOnce(&mut State, i64)) -> ClockState {
        {
            let mut state = self.lock();
            apply(&mut state, real_ns);
        }
        let after = self.state_at(real_ns);
        self.changes.send_replace(after.now_ms);
        after
    }

    /// Wakes at each change of the clock.
    pub fn changes(&self) -> watch::Receiver<i64> {
        self.changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn a_clock_left_alone_is_the_wall_clock() {
        let control = TimeControl::new();
        assert_eq!(control.at(5 * SECOND), 5 * SECOND);
        let state = control.state_at(5 * SECOND);
        assert_eq!(
            (state.now_ms, state.offset_ms, state.frozen),
            (5000, 0, false)
        );
    }

    #[test]
    fn frozen_it_stands_still_and_advances_only_when_told() {
        let control = TimeControl::new();
        control.freeze_at(10 * SECOND);
        control.freeze_at(15 * SECOND);
        assert_eq!(control.at(20 * SECOND), 10 * SECOND);
        control.advance(Duration::from_secs(300));
        assert_eq!(control.at(30 * SECOND), 310 * SECOND);
        assert!(control.state_at(30 * SECOND).frozen);
    }

    #[test]
    fn resumed_it_runs_on_from_where_it_stood() {
        let control = TimeControl::new();
        control.freeze_at(10 * SECOND);
        control.advance(Duration::from_secs(60));
        // Resumed at wall time 40 s: the server's time is 70 s, and runs with the wall clock.
        control.resume_at(40 * SECOND);
        control.resume_at(41 * SECOND);
        assert_eq!(control.at(41 * SECOND), 71 * SECOND);
        let state = control.state_at(41 * SECOND);
        assert_eq!((state.offset_ms, state.frozen), (30_000, false));
    }

    #[test]
    fn running_it_advances_by_an_offset() {
        let control = TimeControl::new();
        control.advance(Duration::from_secs(301));
        let real = real_ns();
        assert_eq!(control.at(real), real + 301 * SECOND);
    }

    #[test]
    fn every_change_is_announced() {
        let control = TimeControl::new();
        let mut changes = control.changes();
        let after = control.advance(Duration::from_secs(1));
        assert!(changes.has_changed().unwrap());
        assert_eq!(*changes.borrow_and_update(), after.now_ms);
    }
}
