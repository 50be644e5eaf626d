//! The buckets of one process, in memory: every account's buckets in both APIs.
//!
//! # Cost and memory
//!
//! An admission locks one of 64 cache-line-padded shards, chosen by a hash of the account id,
//! for a map lookup and a few integer operations: no allocation, and no lock shared by all
//! accounts. An account's first request (or its first after its entry was dropped) allocates its
//! entry: its id and one word per bucket.
//!
//! Entries of idle accounts do not accumulate: once every bucket of an account has refilled
//! (after `burst / rate` seconds, 2 s with AWS's defaults) its entry is indistinguishable from a
//! new one and is dropped at the next sweep of its shard. A shard is swept when a new account
//! arrives in it and either the shard has doubled since its last sweep or 10 s have passed. A
//! shard therefore holds at most about twice the accounts that called within the refill window
//! (plus a small constant), and only authenticated accounts reach this point (requests are
//! admitted after their signature is verified).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use carillon_core::Namespace;

use super::policy::{namespace_index, slots_per_api, Drawn, MAX_DRAWN, NAMESPACES};
use super::refusal::Throttled;

pub(super) const SHARDS: usize = 64;
/// A shard is swept at most this often for the time rule (see the module doc).
const SWEEP_INTERVAL_NS: u64 = 10_000_000_000;
/// A shard smaller than this is not swept for its size.
const MIN_SWEEP_LEN: usize = 32;

/// An account's buckets in both APIs: each bucket's next free time (ns since the epoch of
/// [`LocalBuckets`]). A bucket whose time is not after now is full, so a new entry is all zeros.
struct Entry {
    /// One API's buckets after the other's, each in slot order ([`super::policy::Quota::slot`]).
    next_free: Box<[u64]>,
}

impl Entry {
    fn new(slots_per_api: usize) -> Entry {
        Entry {
            next_free: vec![0; NAMESPACES * slots_per_api].into_boxed_slice(),
        }
    }

    /// True when every bucket is full: the entry is as good as a new one.
    fn is_idle(&self, now: u64) -> bool {
        self.next_free.iter().all(|&t| t <= now)
    }

    /// Takes one token from each of the `drawn` buckets in one API, or none if any is empty.
    fn admit(&mut self, namespace: usize, drawn: &Drawn, now: u64) -> Result<(), Throttled> {
        let per_api = self.next_free.len() / NAMESPACES;
        let slots = &mut self.next_free[namespace * per_api..][..per_api];
        let mut next = [0; MAX_DRAWN];
        let mut waits = [0; MAX_DRAWN];
        for (i, quota) in drawn.iter().enumerate() {
            match quota.rate.check(slots[quota.slot], now) {
                Ok(time) => next[i] = time,
                // Never 0: a bucket that refuses frees up strictly later.
                Err(wait) => waits[i] = wait,
            }
        }
        if waits.iter().any(|&wait| wait > 0) {
            return Err(drawn.refusal(&waits));
        }
        for (quota, time) in drawn.iter().zip(next) {
            slots[quota.slot] = time;
        }
        Ok(())
    }
}

struct Shard {
    entries: HashMap<Box<str>, Entry>,
    last_sweep: u64,
    /// Sweep for the size rule once `entries` reaches this.
    sweep_at_len: usize,
}

impl Shard {
    fn new() -> Self {
        Shard {
            entries: HashMap::new(),
            last_sweep: 0,
            sweep_at_len: MIN_SWEEP_LEN,
        }
    }

    /// Before an insert: drops the idle entries if the shard doubled or the interval passed.
    fn maybe_sweep(&mut self, now: u64) {
        if self.entries.len() >= self.sweep_at_len
            || now.saturating_sub(self.last_sweep) >= SWEEP_INTERVAL_NS
        {
            self.sweep(now);
        }
    }

    fn sweep(&mut self, now: u64) {
        self.entries.retain(|_, entry| !entry.is_idle(now));
        self.last_sweep = now;
        self.sweep_at_len = (self.entries.len() * 2).max(MIN_SWEEP_LEN);
    }
}

/// Keeps each shard's lock on its own cache lines, so that accounts in different shards never
/// contend.
#[repr(align(128))]
struct Padded(Mutex<Shard>);

/// Every account's buckets, in shards.
pub(super) struct LocalBuckets {
    /// Buckets per account and API ([`slots_per_api`]).
    slots_per_api: usize,
    epoch: Instant,
    hasher: RandomState,
    shards: Box<[Padded]>,
}

impl LocalBuckets {
    pub(super) fn new(shards: usize) -> Self {
        LocalBuckets {
            slots_per_api: slots_per_api(),
            epoch: Instant::now(),
            hasher: RandomState::new(),
            shards: (0..shards.max(1))
                .map(|_| Padded(Mutex::new(Shard::new())))
                .collect(),
        }
    }

    /// Admits a request that draws from the `drawn` quotas of `account_id` in one API, or says
    /// how long until it would be admitted. A refused request takes nothing from any bucket. An
    /// instant before these buckets were created counts as their creation.
    pub(super) fn admit(
        &self,
        account_id: &str,
        namespace: Namespace,
        drawn: &Drawn,
        now: Instant,
    ) -> Result<(), Throttled> {
        let namespace = namespace_index(namespace);
        let now = self.nanos(now);
        let mut shard = self
            .shard(account_id)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = shard.entries.get_mut(account_id) {
            return entry.admit(namespace, drawn, now);
        }
        shard.maybe_sweep(now);
        shard
            .entries
            .entry(Box::from(account_id))
            .or_insert_with(|| Entry::new(self.slots_per_api))
            .admit(namespace, drawn, now)
    }

    /// Drops `account_id`'s entry: its buckets are full again.
    pub(super) fn forget(&self, account_id: &str) {
        self.shard(account_id)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .remove(account_id);
    }

    /// Drops every entry.
    pub(super) fn forget_all(&self) {
        for shard in self.shards.iter() {
            shard
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entries
                .clear();
        }
    }

    fn nanos(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn shard(&self, account_id: &str) -> &Mutex<Shard> {
        let hash = self.hasher.hash_one(account_id);
        &self.shards[(hash % self.shards.len() as u64) as usize].0
    }

    /// Accounts with an entry (for tests of the memory bound).
    #[cfg(test)]
    pub(super) fn tracked_accounts(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.0.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entries
                    .len()
            })
            .sum()
    }

    /// Sweeps every shard as if at `now` (for tests of the sweep).
    #[cfg(test)]
    pub(super) fn sweep_all(&self, now: Instant) {
        let now = self.nanos(now);
        for shard in self.shards.iter() {
            shard
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .sweep(now);
        }
    }
}
