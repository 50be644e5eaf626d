//! What the signaling plane asks of the rules.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Faults;
use crate::rule::{Action, SessionKey};

impl Faults {
    /// Whether the signaling plane has any rule (one atomic read: the sessions' hot path).
    #[inline]
    pub fn has_signaling_rules(&self) -> bool {
        self.signaling_rules.load(Ordering::Relaxed) != 0
    }

    /// Whether a `refuseJoin` rule refuses this session's join.
    pub fn refuse_join(&self, key: &SessionKey<'_>) -> bool {
        if !self.has_signaling_rules() {
            return false;
        }
        self.refuse_join_at(key, carillon_core::clock::now_ms())
    }

    pub(crate) fn refuse_join_at(&self, key: &SessionKey<'_>, now_ms: i64) -> bool {
        self.fire(now_ms, "signaling", "join", |m, action| {
            action == Action::RefuseJoin && m.session(key)
        })
        .is_some_and(|f| f.terminal == Some(Action::RefuseJoin))
    }

    /// How long to hold the session's next frame; `None` when no `delayFrames` rule fired.
    pub fn frame_delay(&self, key: &SessionKey<'_>) -> Option<Duration> {
        if !self.has_signaling_rules() {
            return None;
        }
        self.fire(
            carillon_core::clock::now_ms(),
            "signaling",
            "frame",
            |m, action| matches!(action, Action::DelayFrames(_)) && m.session(key),
        )
        .map(|f| f.delay)
        .filter(|d| !d.is_zero())
    }

    /// Counts and logs sessions dropped on an operator's request.
    pub fn sessions_dropped(&self, count: usize) {
        for _ in 0..count {
            self.metrics.hit("signaling", "session", "drop");
        }
        tracing::info!(
            sessions = count,
            "fault injected: signaling sessions dropped"
        );
    }
}
