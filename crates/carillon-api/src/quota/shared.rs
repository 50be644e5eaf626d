//! The cluster's buckets, kept by the store ([`SharedRateBuckets`]) so that every node draws from
//! the same ones: one round trip per request, which takes from every bucket or from none.

use carillon_core::{Namespace, SharedBucket, SharedRateBuckets};

use super::policy::{Limits, OPERATIONS};
use super::refusal::{Refusal, Throttled, ThrottledBy};

/// Nanoseconds as whole microseconds (at least 1: a bucket always costs something).
fn micros(ns: u64) -> i64 {
    i64::try_from(ns.div_ceil(1000)).unwrap_or(i64::MAX).max(1)
}

/// Admits a request of the operation at index `operation` (in [`OPERATIONS`]; `None` for a name
/// outside it) from the shared buckets, or says why not.
pub(super) async fn admit(
    shared: &dyn SharedRateBuckets,
    account_id: &str,
    namespace: Namespace,
    limits: &Limits,
    operation: Option<usize>,
) -> Result<(), Refusal> {
    let prefix = format!("{account_id}/{}/", namespace.as_str());
    let mut checked = vec![(limits.all, ThrottledBy::AllOperations)];
    if let Some(i) = operation {
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
