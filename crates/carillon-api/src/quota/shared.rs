//! The cluster's buckets, kept by the store ([`SharedRateBuckets`]) so that every node draws from
//! the same ones: one round trip per request, which takes from every bucket or from none.

use carillon_core::{Namespace, SharedBucket, SharedRateBuckets};

use super::policy::Drawn;
use super::refusal::{Refusal, ThrottledBy};

/// Nanoseconds as whole microseconds (at least 1: a bucket always costs something).
fn micros(ns: u64) -> i64 {
    i64::try_from(ns.div_ceil(1000)).unwrap_or(i64::MAX).max(1)
}

/// Admits a request that draws from the `drawn` quotas of `account_id` in one API, from the
/// shared buckets, or says why not.
pub(super) async fn admit(
    buckets: &dyn SharedRateBuckets,
    account_id: &str,
    namespace: Namespace,
    drawn: &Drawn,
) -> Result<(), Refusal> {
    let prefix = format!("{account_id}/{}/", namespace.as_str());
    let keyed: Vec<SharedBucket> = drawn
        .iter()
        .map(|quota| SharedBucket {
            key: match quota.by {
                ThrottledBy::AllOperations => format!("{prefix}*"),
                ThrottledBy::Operation(name) => format!("{prefix}{name}"),
            },
            interval_us: micros(quota.rate.interval_ns),
            tolerance_us: micros(quota.rate.tolerance_ns),
        })
        .collect();
    let Some(waits_us) = buckets.take(&keyed).await.map_err(Refusal::Store)? else {
        return Ok(());
    };
    let waits_ns: Vec<u64> = waits_us.iter().map(|us| us.saturating_mul(1000)).collect();
    Err(Refusal::Throttled(drawn.refusal(&waits_ns)))
}
