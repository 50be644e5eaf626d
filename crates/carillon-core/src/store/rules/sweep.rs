//! Which meetings a sweep ends ([`crate::Store::end_expired`]): the reads a backend makes for a
//! policy, and what follows from the rows they return.

use std::collections::HashSet;

use super::ActiveMeeting;
use crate::domain::{Namespace, Scope};
use crate::lifecycle::{EndReason, EndedMeeting, LifecyclePolicy, MeetingClock};

/// The accounts one read of a sweep covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepAccounts {
    /// One account with rules of its own (both namespaces).
    Only(String),
    /// Every account but these (the ones with rules of their own): the default's.
    Except(Vec<String>),
}

/// One read of a sweep: the active meetings, replicas excluded, of `accounts` that are expired
/// by either rule, `coalesce(idle_since_ms, presence_lease_ms) <= idle_cutoff` or
/// `created_at_ms <= duration_cutoff` (`None`: the rule is off and selects nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepQuery {
    pub accounts: SweepAccounts,
    pub idle_cutoff: Option<i64>,
    pub duration_cutoff: Option<i64>,
}

/// One statement of a sweep, in the order [`Sweep::reads`] gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SweepRead {
    /// An account with rules of its own, in one namespace: its meetings expired by either rule.
    InScope {
        account: String,
        namespace: Namespace,
        idle_cutoff: Option<i64>,
        duration_cutoff: Option<i64>,
    },
    /// Every account but `except`: the meetings idle since at most `cutoff`.
    Idle { cutoff: i64, except: Vec<String> },
    /// Every account but `except`: the meetings created at or before `cutoff`.
    ByAge { cutoff: i64, except: Vec<String> },
}

/// A row a sweep read: an active meeting that is not a replica, with its clock.
#[derive(Debug, Clone)]
pub struct ExpiryCandidate {
    pub meeting: ActiveMeeting,
    pub scope: Scope,
    pub clock: MeetingClock,
}

/// A meeting the sweep ends, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    pub meeting: ActiveMeeting,
    pub scope: Scope,
    pub reason: EndReason,
}

/// One sweep at `now_ms`: the backend runs [`Sweep::queries`] in order, asking each for at most
/// [`Sweep::remaining`] rows and stopping when none remain, [`Sweep::add`]s every row, then ends
/// [`Sweep::into_expired`], each with the meetings that end with it.
#[derive(Debug)]
pub struct Sweep<'a> {
    policy: &'a LifecyclePolicy,
    now_ms: i64,
    limit: usize,
    seen: HashSet<i64>,
    expired: Vec<Expired>,
}

impl<'a> Sweep<'a> {
    /// A sweep that selects at most `limit` meetings.
    pub fn new(policy: &'a LifecyclePolicy, now_ms: i64, limit: usize) -> Self {
        Sweep {
            policy,
            now_ms,
            limit,
            seen: HashSet::new(),
            expired: Vec::new(),
        }
    }

    /// The reads to make: each account with rules of its own (in account order), then every
    /// other account under the default. A part whose rules are both off reads nothing.
    pub fn queries(&self) -> Vec<SweepQuery> {
        let mut own: Vec<(&String, _)> = self.policy.accounts.iter().collect();
        own.sort_by(|a, b| a.0.cmp(b.0));
        let mut queries: Vec<SweepQuery> = own
            .iter()
            .filter(|(_, lifecycle)| !lifecycle.is_off())
            .map(|(account, lifecycle)| SweepQuery {
                accounts: SweepAccounts::Only((*account).clone()),
                idle_cutoff: lifecycle.idle_cutoff(self.now_ms),
                duration_cutoff: lifecycle.duration_cutoff(self.now_ms),
            })
            .collect();
        let default = &self.policy.default;
        if !default.is_off() {
            queries.push(SweepQuery {
                accounts: SweepAccounts::Except(own.iter().map(|(a, _)| (*a).clone()).collect()),
                idle_cutoff: default.idle_cutoff(self.now_ms),
                duration_cutoff: default.duration_cutoff(self.now_ms),
            });
        }
        queries
    }

    /// [`Sweep::queries`] as the statements a backend runs, in order: an account with rules of
    /// its own in each namespace, then the default's idle rule and its age rule (each only when
    /// on).
    pub fn reads(&self) -> Vec<SweepRead> {
        let mut reads = Vec::new();
        for query in self.queries() {
            match query.accounts {
                SweepAccounts::Only(account) => {
                    for namespace in [Namespace::Meetings, Namespace::Legacy] {
                        reads.push(SweepRead::InScope {
                            account: account.clone(),
                            namespace,
                            idle_cutoff: query.idle_cutoff,
                            duration_cutoff: query.duration_cutoff,
                        });
                    }
                }
                SweepAccounts::Except(except) => {
                    if let Some(cutoff) = query.idle_cutoff {
                        let except = except.clone();
                        reads.push(SweepRead::Idle { cutoff, except });
                    }
                    if let Some(cutoff) = query.duration_cutoff {
                        reads.push(SweepRead::ByAge { cutoff, except });
                    }
                }
            }
        }
        reads
    }

    /// How many more meetings the sweep may select.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.expired.len())
    }

    /// [`Sweep::remaining`] as a statement's row limit.
    pub fn row_limit(&self) -> i64 {
        i64::try_from(self.remaining()).unwrap_or(i64::MAX)
    }

    /// A row read: kept when its account's rules expire it now, once however many reads
    /// returned it, and while the sweep is not full. Replicas never expire on their own.
    pub fn add(&mut self, candidate: ExpiryCandidate) {
        if self.remaining() == 0
            || candidate.meeting.is_replica()
            || self.seen.contains(&candidate.meeting.seq)
        {
            return;
        }
        let lifecycle = self.policy.for_account(&candidate.scope.account_id);
        if let Some(reason) = lifecycle.expiry(&candidate.clock, self.now_ms) {
            self.seen.insert(candidate.meeting.seq);
            self.expired.push(Expired {
                meeting: candidate.meeting,
                scope: candidate.scope,
                reason,
            });
        }
    }

    pub fn into_expired(self) -> Vec<Expired> {
        self.expired
    }
}

impl Expired {
    /// What ending it ended (itself and its replicas, as [`ending_with`] lists them), each in
    /// its scope.
    pub fn ended(
        scope: &Scope,
        ended: Vec<(String, EndReason)>,
    ) -> impl Iterator<Item = EndedMeeting> + '_ {
        ended
            .into_iter()
            .map(move |(meeting_id, reason)| EndedMeeting {
                meeting_id,
                scope: scope.clone(),
                reason,
            })
    }
}

/// [`super::ending`] with each meeting's reason: `reason` for the meeting itself, and
/// [`EndReason::PrimaryEnded`] for the replicas that end with it.
pub fn ending_with(
    meeting: ActiveMeeting,
    active_replicas: Vec<(i64, String)>,
    reason: EndReason,
) -> Vec<(i64, String, EndReason)> {
    super::ending(meeting, active_replicas)
        .into_iter()
        .enumerate()
        .map(|(i, (seq, id))| {
            let reason = if i == 0 {
                reason
            } else {
                EndReason::PrimaryEnded
            };
            (seq, id, reason)
        })
        .collect()
}
