//! AWS's API rate quotas and the concurrent meeting quota, per account and per API.
//!
//! `docs/quotas.md` is the guide: which operations have a rate quota, AWS's defaults, how the
//! two APIs and a cluster's nodes count, and the quota file's format. In short: a request draws a
//! token from its operation's bucket (if it has one) and from the account's "all meeting
//! management API" bucket, and is admitted only when both have one; a refused request takes
//! none. A bucket admits `burst` requests at once and refills at `rate` requests per second (a
//! generic cell rate algorithm: one "next free time" per bucket, no floating-point drift). A
//! refusal carries how long until the request would be admitted ([`Throttled::retry_after_ms`]).
//! [`Quotas::max_active_meetings`] is the concurrent meeting quota, which the store enforces when
//! it creates a meeting.
//!
//! # Cost and memory
//!
//! [`Quotas::admit`] locks one of 64 cache-line-padded shards, chosen by a hash of the account
//! id, for a map lookup and a few integer operations: no allocation, and no lock shared by all
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

mod config;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use carillon_core::{Namespace, SharedBucket, SharedRateBuckets, StoreError};

pub use config::{QuotaConfig, DEFAULT_BURST, DEFAULT_MAX_ACTIVE_MEETINGS, DEFAULT_RATE};

use config::Limits;

/// Every operation of both APIs, sorted (binary search). The quota file may name any of them.
pub const OPERATIONS: [&str; 23] = [
    "BatchCreateAttendee",
    "BatchUpdateAttendeeCapabilitiesExcept",
    "CreateAttendee",
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "DeleteAttendee",
    "DeleteMeeting",
    "GetAttendee",
    "GetMeeting",
    "ListAttendeeTags",
    "ListAttendees",
    "ListMeetingTags",
    "ListMeetings",
    "ListTagsForResource",
    "StartMeetingTranscription",
    "StopMeetingTranscription",
    "TagAttendee",
    "TagMeeting",
    "TagResource",
    "UntagAttendee",
    "UntagMeeting",
    "UntagResource",
    "UpdateAttendeeCapabilities",
];

/// The operations AWS lists a rate quota for ("Amazon Chime SDK endpoints and quotas",
/// <https://docs.aws.amazon.com/general/latest/gr/chime-sdk.html>): they have a bucket of their
/// own by default. No quota covers the others (GetAttendee, the transcription operations, the
/// legacy API's meeting and attendee tags).
pub const AWS_RATE_LIMITED: [&str; 14] = [
    "CreateMeeting",
    "CreateMeetingWithAttendees",
    "CreateAttendee",
    "BatchCreateAttendee",
    "GetMeeting",
    "ListAttendees",
    "ListMeetings",
    "DeleteAttendee",
    "DeleteMeeting",
    "UpdateAttendeeCapabilities",
    "BatchUpdateAttendeeCapabilitiesExcept",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
];

fn operation_index(name: &str) -> Option<usize> {
    OPERATIONS.binary_search(&name).ok()
}

fn namespace_index(namespace: Namespace) -> usize {
    match namespace {
        Namespace::Meetings => 0,
        Namespace::Legacy => 1,
    }
}

const SHARDS: usize = 64;
/// A shard is swept at most this often for the time rule (see the module doc).
const SWEEP_INTERVAL_NS: u64 = 10_000_000_000;
/// A shard smaller than this is not swept for its size.
const MIN_SWEEP_LEN: usize = 32;

/// Why [`Quotas::admit_request`] did not admit a request.
#[derive(Debug)]
pub enum Refusal {
    Throttled(Throttled),
    /// The shared buckets could not be reached.
    Store(StoreError),
}

/// Nanoseconds as whole microseconds (at least 1: a bucket always costs something).
fn micros(ns: u64) -> i64 {
    i64::try_from(ns.div_ceil(1000)).unwrap_or(i64::MAX).max(1)
}

/// A request refused by a rate quota.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttled {
    /// How long until the same request would be admitted, if nothing else is called meanwhile
    /// (milliseconds, rounded up, at least 1). For `x-amz-retry-after`, which the AWS SDKs honour.
    pub retry_after_ms: u64,
    /// The quota that refused (the longer wait if both did).
    pub limit: ThrottledBy,
    /// That quota's rate, requests per second.
    pub rate: f64,
    /// That quota's burst.
    pub burst: u32,
}

/// Which quota refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottledBy {
    /// The operation's own quota.
    Operation(&'static str),
    /// The "all meeting management API" quota.
    AllOperations,
}

impl Throttled {
    /// [`Throttled::retry_after_ms`] in whole seconds, rounded up (for a `Retry-After` header).
    pub fn retry_after_secs(&self) -> u32 {
        u32::try_from(self.retry_after_ms.div_ceil(1000))
            .unwrap_or(u32::MAX)
            .max(1)
    }
}

/// The exception message.
impl std::fmt::Display for Throttled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.limit {
            ThrottledBy::Operation(name) => write!(f, "Rate exceeded: {name} is limited")?,
            ThrottledBy::AllOperations => write!(
                f,
                "Rate exceeded: all meeting management operations together are limited"
            )?,
        }
        write!(
            f,
            " to {} requests per second (burst {}) for this account; retry in {} ms",
            self.rate, self.burst, self.retry_after_ms
        )
    }
}

/// One quota's parameters, as a generic cell rate algorithm sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rate {
    rate: f64,
    burst: u32,
    /// Time one request "costs": 1 / rate.
    interval_ns: u64,
    /// How far ahead of now a bucket's next free time may be and still admit: (burst - 1) ×
    /// interval.
    tolerance_ns: u64,
}

impl Rate {
    /// `rate` is validated (above 0, at most 1e9) and `burst` at least 1.
    fn new(rate: f64, burst: u32) -> Rate {
        let interval_ns = ((1e9 / rate).round() as u64).max(1);
        Rate {
            rate,
            burst,
            interval_ns,
            tolerance_ns: interval_ns.saturating_mul(u64::from(burst.saturating_sub(1))),
        }
    }

    /// `Ok(new next free time)` when a request at `now` is admitted by a bucket whose next free
    /// time is `tat`, else `Err(wait)`.
    fn check(&self, tat: u64, now: u64) -> Result<u64, u64> {
        let tat = tat.max(now);
        if tat - now <= self.tolerance_ns {
            Ok(tat.saturating_add(self.interval_ns))
        } else {
            Err(tat - self.tolerance_ns - now)
        }
    }
}

/// One slot for the aggregate bucket, then one per operation.
const SLOTS: usize = 1 + OPERATIONS.len();

/// An account's buckets in both APIs: each bucket's next free time (ns since the epoch of
/// [`Quotas`]). A bucket whose time is not after now is full, so a new entry is all zeros.
struct Entry {
    next_free: [[u64; SLOTS]; 2],
}

impl Entry {
    const NEW: Entry = Entry {
        next_free: [[0; SLOTS]; 2],
    };

    /// True when every bucket is full: the entry is as good as a new one.
    fn is_idle(&self, now: u64) -> bool {
        self.next_free.iter().flatten().all(|&t| t <= now)
    }

    fn admit(
        &mut self,
        namespace: usize,
        limits: &Limits,
        operation: Option<usize>,
        now: u64,
    ) -> Result<(), Throttled> {
        let slots = &mut self.next_free[namespace];
        let all = limits.all.check(slots[0], now);
        let own = operation.and_then(|i| {
            limits.operations[i].map(|rate| (i, rate, rate.check(slots[1 + i], now)))
        });
        let refusal = |wait: u64, limit: ThrottledBy, rate: &Rate| Throttled {
            retry_after_ms: wait.div_ceil(1_000_000).max(1),
            limit,
            rate: rate.rate,
            burst: rate.burst,
        };
        match (all, own) {
            (Ok(all), None) => {
                slots[0] = all;
                Ok(())
            }
            (Ok(all), Some((i, _, Ok(next)))) => {
                slots[0] = all;
                slots[1 + i] = next;
                Ok(())
            }
            (Err(wait), None | Some((_, _, Ok(_)))) => {
                Err(refusal(wait, ThrottledBy::AllOperations, &limits.all))
            }
            (Ok(_), Some((i, rate, Err(wait)))) => {
                Err(refusal(wait, ThrottledBy::Operation(OPERATIONS[i]), &rate))
            }
            (Err(all_wait), Some((i, rate, Err(wait)))) => Err(if wait >= all_wait {
                refusal(wait, ThrottledBy::Operation(OPERATIONS[i]), &rate)
            } else {
                refusal(all_wait, ThrottledBy::AllOperations, &limits.all)
            }),
        }
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

struct Enabled {
    config: QuotaConfig,
    /// Buckets shared by the cluster's nodes; `None`: this process's own shards.
    shared: Option<Arc<dyn SharedRateBuckets>>,
    epoch: Instant,
    hasher: RandomState,
    shards: Box<[Padded]>,
}

impl Enabled {
    fn limits(&self, account_id: &str) -> &Limits {
        if self.config.accounts.is_empty() {
            return &self.config.default;
        }
        self.config
            .accounts
            .get(account_id)
            .unwrap_or(&self.config.default)
    }

    fn nanos(&self, now: Instant) -> u64 {
        u64::try_from(now.saturating_duration_since(self.epoch).as_nanos()).unwrap_or(u64::MAX)
    }

    fn shard(&self, account_id: &str) -> &Mutex<Shard> {
        let hash = self.hasher.hash_one(account_id);
        &self.shards[(hash % self.shards.len() as u64) as usize].0
    }
}

/// The quotas of every account: rate limits (token buckets) and the concurrent meeting quota.
/// Shared by both APIs; cheap to call from any number of threads.
pub struct Quotas {
    enabled: Option<Enabled>,
}

impl std::fmt::Debug for Quotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quotas")
            .field("enabled", &self.enabled.is_some())
            .finish()
    }
}

impl Quotas {
    /// Enforces `config` (`QuotaConfig::default()` is AWS's defaults).
    pub fn new(config: QuotaConfig) -> Self {
        Self::with_shards(config, SHARDS)
    }

    /// Enforces `config` with the rate buckets kept in `buckets`, shared by every node that uses
    /// them, so that an account's rates hold across a cluster rather than per node.
    pub fn shared(config: QuotaConfig, buckets: Arc<dyn SharedRateBuckets>) -> Self {
        let mut quotas = Self::new(config);
        if let Some(enabled) = &mut quotas.enabled {
            enabled.shared = Some(buckets);
        }
        quotas
    }

    fn with_shards(config: QuotaConfig, shards: usize) -> Self {
        Quotas {
            enabled: Some(Enabled {
                config,
                shared: None,
                epoch: Instant::now(),
                hasher: RandomState::new(),
                shards: (0..shards.max(1))
                    .map(|_| Padded(Mutex::new(Shard::new())))
                    .collect(),
            }),
        }
    }

    /// No throttling and no meeting quota (`--quotas off`).
    pub fn disabled() -> Self {
        Quotas { enabled: None }
    }

    /// Parses and validates a quota file (`docs/quotas.md` describes the format).
    pub fn from_json(text: &str) -> Result<QuotaConfig, String> {
        QuotaConfig::from_json(text)
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled.is_some()
    }

    /// Admits a request of `operation` (the model's operation name) from `account_id` to one
    /// API, or says how long until it would be admitted. A refused request takes nothing from any
    /// bucket. `now` is normally `Instant::now()` (an instant before this `Quotas` was created
    /// counts as its creation).
    pub fn admit(
        &self,
        account_id: &str,
        namespace: Namespace,
        operation: &str,
        now: Instant,
    ) -> Result<(), Throttled> {
        let Some(quotas) = &self.enabled else {
            return Ok(());
        };
        let limits = quotas.limits(account_id);
        let operation = operation_index(operation);
        let namespace = namespace_index(namespace);
        let now = quotas.nanos(now);
        let mut shard = quotas
            .shard(account_id)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = shard.entries.get_mut(account_id) {
            return entry.admit(namespace, limits, operation, now);
        }
        shard.maybe_sweep(now);
        shard
            .entries
            .entry(Box::from(account_id))
            .or_insert(Entry::NEW)
            .admit(namespace, limits, operation, now)
    }

    /// Admits a request as [`Quotas::admit`] does, from the shared buckets when there are (one
    /// round trip to them), else from this process's own.
    pub async fn admit_request(
        &self,
        account_id: &str,
        namespace: Namespace,
        operation: &str,
    ) -> Result<(), Refusal> {
        let Some(quotas) = &self.enabled else {
            return Ok(());
        };
        let Some(shared) = &quotas.shared else {
            return self
                .admit(account_id, namespace, operation, Instant::now())
                .map_err(Refusal::Throttled);
        };
        let limits = quotas.limits(account_id);
        let prefix = format!("{account_id}/{}/", namespace.as_str());
        let mut checked = vec![(limits.all, ThrottledBy::AllOperations)];
        if let Some(i) = operation_index(operation) {
            if let Some(rate) = limits.operations[i] {
                checked.push((rate, ThrottledBy::Operation(OPERATIONS[i])));
            }
        }
        let buckets: Vec<SharedBucket> = checked
            .iter()
            .map(|(rate, by)| SharedBucket {
                key: match by {
                    ThrottledBy::AllOperations => format!("{prefix}*"),
                    ThrottledBy::Operation(name) => format!("{prefix}{name}"),
                },
                interval_us: micros(rate.interval_ns),
                tolerance_us: micros(rate.tolerance_ns),
            })
            .collect();
        let Some(waits) = shared.take(&buckets).await.map_err(Refusal::Store)? else {
            return Ok(());
        };
        // The longest wait names the quota that refused.
        let (wait_us, (rate, by)) = waits
            .iter()
            .zip(&checked)
            .max_by_key(|(wait, _)| **wait)
            .map(|(wait, refused)| (*wait, *refused))
            .unwrap_or((1, checked[0]));
        Err(Refusal::Throttled(Throttled {
            retry_after_ms: wait_us.div_ceil(1000).max(1),
            limit: by,
            rate: rate.rate,
            burst: rate.burst,
        }))
    }

    /// How many active meetings the account may hold in one API; `None` when quotas are off.
    pub fn max_active_meetings(&self, account_id: &str, namespace: Namespace) -> Option<u32> {
        let quotas = self.enabled.as_ref()?;
        Some(quotas.limits(account_id).max_active_meetings[namespace_index(namespace)])
    }

    /// Accounts with an entry (for tests of the memory bound).
    #[cfg(test)]
    fn tracked_accounts(&self) -> usize {
        self.enabled.as_ref().map_or(0, |q| {
            q.shards
                .iter()
                .map(|s| {
                    s.0.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entries
                        .len()
                })
                .sum()
        })
    }
}

#[cfg(test)]
mod tests;
