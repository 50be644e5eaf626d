//! AWS's API rate quotas and the concurrent meeting quota, per account and per API.
//!
//! `docs/quotas.md` is the guide: which operations have a rate quota, AWS's defaults, how the
//! two APIs and a cluster's nodes count, and the quota file's format. In short: a request draws a
//! token from its operation's bucket (if it has one) and from the account's "all meeting
//! management API" bucket, and is admitted only when both have one; a refused request takes
//! none. A bucket admits `burst` requests at once and refills at `rate` requests per second (a
//! generic cell rate algorithm, `carillon_core::rate::Rate`, shared with the signaling plane). A
//! refusal carries how long until the request would be admitted ([`Throttled::retry_after_ms`]).
//! [`Quotas::max_active_meetings`] is the concurrent meeting quota, which the store enforces when
//! it creates a meeting. The limits can be replaced per account (or for every account) while the
//! server runs ([`Quotas::set_account`], the admin listener's `/v1/quotas`; see [`overrides`]).

mod config;
mod entry;
mod local;
mod overrides;
mod policy;
mod refusal;
mod shared;

use std::sync::Arc;
use std::time::Instant;

use carillon_core::{Namespace, SharedRateBuckets};

pub use config::QuotaConfig;
pub use entry::LimitsFile;
pub use overrides::QuotaView;
pub use policy::{AWS_RATE_LIMITED, DEFAULT_BURST, DEFAULT_MAX_ACTIVE_MEETINGS, DEFAULT_RATE};
pub use refusal::{Refusal, Throttled, ThrottledBy};

use local::{LocalBuckets, SHARDS};
use overrides::Table;
use policy::namespace_index;

/// Where an account's rate buckets are kept, if anywhere.
enum Mode {
    /// `--quotas off`: nothing is throttled and there is no meeting quota.
    Off,
    /// In this process's memory: the embedded store, whose process is the whole service.
    PerProcess { table: Table, buckets: LocalBuckets },
    /// In the store, shared by the cluster's nodes, so that an account's rates hold across the
    /// cluster rather than per node.
    Shared {
        table: Table,
        buckets: Arc<dyn SharedRateBuckets>,
    },
}

/// The quotas of every account: rate limits (token buckets) and the concurrent meeting quota.
/// Shared by both APIs (and the admin listener, which replaces limits: a clone is a handle on
/// the same quotas); cheap to call from any number of threads.
#[derive(Clone)]
pub struct Quotas {
    mode: Arc<Mode>,
}

/// Why limits could not be replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OverrideError {
    /// `--quotas off`: there are no limits to replace.
    Off,
    /// The entry or the account id is not valid; the message names the member.
    Invalid(String),
}

impl std::fmt::Display for OverrideError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverrideError::Off => f.write_str("quotas are off (--quotas off): nothing to override"),
            OverrideError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::fmt::Debug for Quotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match *self.mode {
            Mode::Off => "off",
            Mode::PerProcess { .. } => "per-process",
            Mode::Shared { .. } => "shared",
        };
        f.debug_struct("Quotas").field("mode", &mode).finish()
    }
}

impl Quotas {
    /// Enforces `config` (`QuotaConfig::default()` is AWS's defaults) with this process's own
    /// rate buckets.
    pub fn new(config: QuotaConfig) -> Self {
        Self::with_shards(config, SHARDS)
    }

    /// Enforces `config` with the rate buckets kept in `buckets`, shared by every node that uses
    /// them, so that an account's rates hold across a cluster rather than per node.
    pub fn shared(config: QuotaConfig, buckets: Arc<dyn SharedRateBuckets>) -> Self {
        Quotas {
            mode: Arc::new(Mode::Shared {
                table: Table::new(config),
                buckets,
            }),
        }
    }

    fn with_shards(config: QuotaConfig, shards: usize) -> Self {
        Quotas {
            mode: Arc::new(Mode::PerProcess {
                table: Table::new(config),
                buckets: LocalBuckets::new(shards),
            }),
        }
    }

    /// No throttling and no meeting quota (`--quotas off`).
    pub fn disabled() -> Self {
        Quotas {
            mode: Arc::new(Mode::Off),
        }
    }

    pub fn is_enabled(&self) -> bool {
        !matches!(*self.mode, Mode::Off)
    }

    /// Admits a request of `operation` (the model's operation name) from `account_id` to one
    /// API, or says why not: how long until it would be admitted, or that the shared buckets
    /// could not be reached. A refused request takes nothing from any bucket. With shared
    /// buckets this is one round trip to the store.
    pub async fn admit_request(
        &self,
        account_id: &str,
        namespace: Namespace,
        operation: &str,
    ) -> Result<(), Refusal> {
        match &*self.mode {
            Mode::Off => Ok(()),
            Mode::PerProcess { table, buckets } => {
                let drawn = table.load().limits(account_id).drawn(operation);
                buckets
                    .admit(account_id, namespace, &drawn, Instant::now())
                    .map_err(Refusal::Throttled)
            }
            Mode::Shared { table, buckets } => {
                let drawn = table.load().limits(account_id).drawn(operation);
                shared::admit(buckets.as_ref(), account_id, namespace, &drawn).await
            }
        }
    }

    /// How many active meetings the account may hold in one API; `None` when quotas are off.
    pub fn max_active_meetings(&self, account_id: &str, namespace: Namespace) -> Option<u32> {
        let table = self.table().ok()?;
        Some(table.load().limits(account_id).max_active_meetings[namespace_index(namespace)])
    }

    fn table(&self) -> Result<&Table, OverrideError> {
        match &*self.mode {
            Mode::Off => Err(OverrideError::Off),
            Mode::PerProcess { table, .. } | Mode::Shared { table, .. } => Ok(table),
        }
    }

    /// The limits in force, in the quota file's shape.
    pub fn view(&self) -> Result<QuotaView, OverrideError> {
        Ok(self.table()?.view())
    }

    /// Replaces `account_id`'s limits with `entry`, an account entry of the quota file (JSON),
    /// from its next request on. This process's buckets of the account restart full, at the new
    /// limits; shared buckets keep their state (see `docs/quotas.md`).
    pub fn set_account(&self, account_id: &str, entry: &str) -> Result<(), OverrideError> {
        let table = self.table()?;
        table
            .set_account(account_id, entry)
            .map_err(OverrideError::Invalid)?;
        self.refill(Some(account_id));
        Ok(())
    }

    /// Drops `account_id`'s run-time limits: the quota file's entry, or the default, applies
    /// again (its buckets restart full, as for [`Quotas::set_account`]). `Ok(false)` when it had
    /// none.
    pub fn reset_account(&self, account_id: &str) -> Result<bool, OverrideError> {
        let removed = self.table()?.reset_account(account_id);
        if removed {
            self.refill(Some(account_id));
        }
        Ok(removed)
    }

    /// Replaces the default of every account (the file's `default`) with `entry`; every
    /// account's buckets restart full.
    pub fn set_default(&self, entry: &str) -> Result<(), OverrideError> {
        let table = self.table()?;
        table.set_default(entry).map_err(OverrideError::Invalid)?;
        self.refill(None);
        Ok(())
    }

    /// Drops the run-time default: the file's applies again. `Ok(false)` when there was none.
    pub fn reset_default(&self) -> Result<bool, OverrideError> {
        let removed = self.table()?.reset_default();
        if removed {
            self.refill(None);
        }
        Ok(removed)
    }

    /// Empties this process's buckets of one account (or of all): they restart full. A bucket
    /// drained under the old limits would otherwise owe time computed at the old rate.
    fn refill(&self, account_id: Option<&str>) {
        if let Mode::PerProcess { buckets, .. } = &*self.mode {
            match account_id {
                Some(account_id) => buckets.forget(account_id),
                None => buckets.forget_all(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
