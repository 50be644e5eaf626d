//! Rate-quota buckets kept outside the process, so that every node of a cluster draws from the
//! same buckets (the PostgreSQL store provides them). The quota rules themselves live in the API
//! layer; this is only the shared state they run on.

use async_trait::async_trait;

use crate::store::StoreResult;

/// One bucket of a generic cell rate algorithm: a request costs `interval_us`, and the bucket
/// admits while its next free time is at most `tolerance_us` ahead of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedBucket {
    /// Names the bucket across the cluster (account, API, operation).
    pub key: String,
    pub interval_us: i64,
    pub tolerance_us: i64,
}

#[async_trait]
pub trait SharedRateBuckets: Send + Sync + 'static {
    /// Takes one request from every bucket at once, or from none. `Ok(None)`: admitted.
    /// `Ok(Some(waits))`: refused and nothing taken; for each bucket, in order, the wait in
    /// microseconds until it would admit (0 for one that would admit now).
    async fn take(&self, buckets: &[SharedBucket]) -> StoreResult<Option<Vec<u64>>>;
}
