//! The meeting lifecycle: why a meeting ended, when an active one expires, and what the
//! signaling plane reports of its presence.
//!
//! AWS ends a meeting on DeleteMeeting, when no attendee has been connected for five continuous
//! minutes (counted from creation when nobody ever joins), and 24 hours after creation; a replica
//! ends only with its primary (<https://docs.aws.amazon.com/chime-sdk/latest/dg/create-mtgs.html>).
//! Both automatic rules can be changed or switched off per server and per account here.

use std::collections::HashMap;

use crate::domain::Scope;

/// Why a meeting ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// DeleteMeeting (of either API).
    Deleted,
    /// A replica, ended with its primary.
    PrimaryEnded,
    /// No attendee was connected for the idle timeout.
    Idle,
    /// The maximum duration passed since creation.
    MaxDuration,
}

impl EndReason {
    /// The stored form; never changes once written.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Deleted => "deleted",
            EndReason::PrimaryEnded => "primary-ended",
            EndReason::Idle => "idle",
            EndReason::MaxDuration => "max-duration",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "deleted" => Some(EndReason::Deleted),
            "primary-ended" => Some(EndReason::PrimaryEnded),
            "idle" => Some(EndReason::Idle),
            "max-duration" => Some(EndReason::MaxDuration),
            _ => None,
        }
    }
}

/// The automatic rules for one account (or the server's default). `None` switches a rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// How long a meeting may have no attendee connected.
    pub idle_timeout_ms: Option<i64>,
    /// How long after its creation a meeting ends, whatever its presence.
    pub max_duration_ms: Option<i64>,
}

impl Lifecycle {
    /// AWS's rules: five minutes idle, 24 hours in all.
    pub fn aws() -> Self {
        Lifecycle {
            idle_timeout_ms: Some(5 * 60 * 1000),
            max_duration_ms: Some(24 * 60 * 60 * 1000),
        }
    }

    /// Meetings live until deleted.
    pub fn off() -> Self {
        Lifecycle {
            idle_timeout_ms: None,
            max_duration_ms: None,
        }
    }

    pub fn is_off(&self) -> bool {
        self.idle_timeout_ms.is_none() && self.max_duration_ms.is_none()
    }

    /// A meeting idle since at most this instant is idle-expired at `now_ms`.
    pub fn idle_cutoff(&self, now_ms: i64) -> Option<i64> {
        self.idle_timeout_ms.map(|t| now_ms.saturating_sub(t))
    }

    /// A meeting created at or before this instant is duration-expired at `now_ms`.
    pub fn duration_cutoff(&self, now_ms: i64) -> Option<i64> {
        self.max_duration_ms.map(|t| now_ms.saturating_sub(t))
    }

    /// Why a meeting (not a replica) with this clock has expired at `now_ms`, or `None` while it
    /// has not. When both rules hold, the one whose deadline came first is the reason: it is what
    /// a sweep running all along would have recorded (a meeting left idle while the server was
    /// down ended idle, not of old age). On a tie, `MaxDuration`: it holds whatever presence
    /// was reported.
    pub fn expiry(&self, clock: &MeetingClock, now_ms: i64) -> Option<EndReason> {
        let idle = self
            .idle_timeout_ms
            .zip(clock.presence.idle_from())
            .map(|(t, from)| from.saturating_add(t))
            .filter(|deadline| *deadline <= now_ms);
        let duration = self
            .max_duration_ms
            .map(|t| clock.created_at_ms.saturating_add(t))
            .filter(|deadline| *deadline <= now_ms);
        match (idle, duration) {
            (Some(idle), Some(duration)) if idle < duration => Some(EndReason::Idle),
            (_, Some(_)) => Some(EndReason::MaxDuration),
            (Some(_), None) => Some(EndReason::Idle),
            (None, None) => None,
        }
    }
}

/// The rules of every account: a default, and the accounts that have their own (in both API
/// namespaces alike, as AWS's quotas are an account's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecyclePolicy {
    pub default: Lifecycle,
    pub accounts: HashMap<String, Lifecycle>,
}

impl Default for LifecyclePolicy {
    fn default() -> Self {
        LifecyclePolicy::uniform(Lifecycle::aws())
    }
}

impl LifecyclePolicy {
    /// The same rules for every account.
    pub fn uniform(lifecycle: Lifecycle) -> Self {
        LifecyclePolicy {
            default: lifecycle,
            accounts: HashMap::new(),
        }
    }

    /// This policy, with `account_id` under rules of its own.
    pub fn with_account(mut self, account_id: impl Into<String>, lifecycle: Lifecycle) -> Self {
        self.accounts.insert(account_id.into(), lifecycle);
        self
    }

    /// The server's rules, then each account's own.
    pub fn rules(&self) -> impl Iterator<Item = &Lifecycle> {
        std::iter::once(&self.default).chain(self.accounts.values())
    }

    /// True when no meeting of any account ever ends on its own.
    pub fn is_off(&self) -> bool {
        self.rules().all(Lifecycle::is_off)
    }

    pub fn for_account(&self, account_id: &str) -> &Lifecycle {
        self.accounts.get(account_id).unwrap_or(&self.default)
    }
}

/// What the signaling plane last reported of a meeting: idle since an instant, or connected under
/// a lease (which stands for "idle from the lease's end" should its node stop renewing it).
/// Exactly one is set for a meeting whose presence is known; a new meeting is idle since its
/// creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Presence {
    pub idle_since_ms: Option<i64>,
    pub presence_lease_ms: Option<i64>,
}

impl Presence {
    /// A meeting just created: nobody has joined, so it is idle from its creation (the
    /// backends set this in the row they insert).
    #[cfg(test)]
    pub(crate) fn created(created_at_ms: i64) -> Self {
        Presence {
            idle_since_ms: Some(created_at_ms),
            presence_lease_ms: None,
        }
    }

    /// The instant idleness counts from: `coalesce(idle_since_ms, presence_lease_ms)`, the
    /// expression the backends index.
    pub fn idle_from(&self) -> Option<i64> {
        self.idle_since_ms.or(self.presence_lease_ms)
    }

    /// The presence after `mark`. A lease only grows (a late renewal cannot shorten a newer
    /// one); an idle clock already running restarts only forwards, so that a stale report never
    /// ends a meeting earlier than the latest one would.
    pub fn after(self, mark: &PresenceMark) -> Presence {
        match *mark {
            PresenceMark::Connected { lease_until_ms, .. } => Presence {
                idle_since_ms: None,
                presence_lease_ms: Some(
                    self.presence_lease_ms
                        .map_or(lease_until_ms, |lease| lease.max(lease_until_ms)),
                ),
            },
            PresenceMark::Idle { since_ms, .. } => Presence {
                idle_since_ms: Some(self.idle_since_ms.map_or(since_ms, |s| s.max(since_ms))),
                presence_lease_ms: None,
            },
        }
    }
}

/// What an active meeting's expiry depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingClock {
    pub created_at_ms: i64,
    pub presence: Presence,
}

/// A report of the signaling plane's home node of a meeting, by meeting id (ids are unique
/// across scopes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresenceMark {
    /// At least one session is connected: trust this until `lease_until_ms` (sent when the first
    /// session connects, then renewed while any is), so that a node that dies without a word does
    /// not keep its meetings alive.
    Connected {
        meeting_id: String,
        lease_until_ms: i64,
    },
    /// The last session left at `since_ms`.
    Idle { meeting_id: String, since_ms: i64 },
}

impl PresenceMark {
    pub fn meeting_id(&self) -> &str {
        match self {
            PresenceMark::Connected { meeting_id, .. } | PresenceMark::Idle { meeting_id, .. } => {
                meeting_id
            }
        }
    }
}

/// A meeting that an automatic rule (or its primary's end) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedMeeting {
    pub meeting_id: String,
    pub scope: Scope,
    pub reason: EndReason,
}

/// The most meetings one `Store::end_expired` call selects (their replicas end with them), so
/// that one sweep never holds a long transaction. A caller that got at least this many back
/// calls again.
pub const MAX_EXPIRED_PER_CALL: usize = 500;

#[cfg(test)]
mod tests;
