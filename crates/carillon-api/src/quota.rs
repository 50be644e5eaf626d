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

mod config;
mod gcra;
mod local;
mod policy;
mod refusal;
mod shared;

use std::sync::Arc;
use std::time::Instant;

use carillon_core::{Namespace, SharedRateBuckets};

pub use config::QuotaConfig;
pub use policy::{
    AWS_RATE_LIMITED, DEFAULT_BURST, DEFAULT_MAX_ACTIVE_MEETINGS, DEFAULT_RATE, OPERATIONS,
};
pub use refusal::{Refusal, Throttled, ThrottledBy};

use local::{LocalBuckets, SHARDS};
use policy::{namespace_index, operation_index};

struct Enabled {
    config: QuotaConfig,
    /// Buckets shared by the cluster's nodes; `None`: this process's own shards.
    shared: Option<Arc<dyn SharedRateBuckets>>,
    local: LocalBuckets,
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
                local: LocalBuckets::new(shards),
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
        quotas.local.admit(
            account_id,
            namespace_index(namespace),
            quotas.config.limits(account_id),
            operation_index(operation),
            now,
        )
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
        shared::admit(
            shared.as_ref(),
            account_id,
            namespace,
            quotas.config.limits(account_id),
            operation_index(operation),
        )
        .await
    }

    /// How many active meetings the account may hold in one API; `None` when quotas are off.
    pub fn max_active_meetings(&self, account_id: &str, namespace: Namespace) -> Option<u32> {
        let quotas = self.enabled.as_ref()?;
        Some(quotas.config.limits(account_id).max_active_meetings[namespace_index(namespace)])
    }
}

#[cfg(test)]
mod tests;
