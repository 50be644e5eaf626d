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
//! it creates a meeting.

mod config;
mod local;
mod policy;
mod refusal;
mod shared;

use std::sync::Arc;
use std::time::Instant;

use carillon_core::{Namespace, SharedRateBuckets};

pub use config::QuotaConfig;
pub use policy::{AWS_RATE_LIMITED, DEFAULT_BURST, DEFAULT_MAX_ACTIVE_MEETINGS, DEFAULT_RATE};
pub use refusal::{Refusal, Throttled, ThrottledBy};

use local::{LocalBuckets, SHARDS};
use policy::namespace_index;

/// Where an account's rate buckets are kept, if anywhere.
enum Mode {
    /// `--quotas off`: nothing is throttled and there is no meeting quota.
    Off,
    /// In this process's memory: the embedded store, whose process is the whole service.
    PerProcess {
        config: QuotaConfig,
        buckets: LocalBuckets,
    },
    /// In the store, shared by the cluster's nodes, so that an account's rates hold across the
    /// cluster rather than per node.
    Shared {
        config: QuotaConfig,
        buckets: Arc<dyn SharedRateBuckets>,
    },
}

/// The quotas of every account: rate limits (token buckets) and the concurrent meeting quota.
/// Shared by both APIs; cheap to call from any number of threads.
pub struct Quotas {
    mode: Mode,
}

impl std::fmt::Debug for Quotas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.mode {
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
            mode: Mode::Shared { config, buckets },
        }
    }

    fn with_shards(config: QuotaConfig, shards: usize) -> Self {
        Quotas {
            mode: Mode::PerProcess {
                config,
                buckets: LocalBuckets::new(shards),
            },
        }
    }

    /// No throttling and no meeting quota (`--quotas off`).
    pub fn disabled() -> Self {
        Quotas { mode: Mode::Off }
    }

    pub fn is_enabled(&self) -> bool {
        !matches!(self.mode, Mode::Off)
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
        match &self.mode {
            Mode::Off => Ok(()),
            Mode::PerProcess { config, buckets } => {
                let drawn = config.limits(account_id).drawn(operation);
                buckets
                    .admit(account_id, namespace, &drawn, Instant::now())
                    .map_err(Refusal::Throttled)
            }
            Mode::Shared { config, buckets } => {
                let drawn = config.limits(account_id).drawn(operation);
                shared::admit(buckets.as_ref(), account_id, namespace, &drawn).await
            }
        }
    }

    /// How many active meetings the account may hold in one API; `None` when quotas are off.
    pub fn max_active_meetings(&self, account_id: &str, namespace: Namespace) -> Option<u32> {
        let config = match &self.mode {
            Mode::Off => return None,
            Mode::PerProcess { config, .. } | Mode::Shared { config, .. } => config,
        };
        Some(config.limits(account_id).max_active_meetings[namespace_index(namespace)])
    }
}

#[cfg(test)]
mod tests;
