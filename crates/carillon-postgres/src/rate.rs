//! The cluster's shared rate-quota buckets, one row each (migration 0002).

use async_trait::async_trait;
use carillon_core::{SharedBucket, SharedRateBuckets, StoreResult};

use crate::db::query_opt;
use crate::{sql, PgStore};

#[async_trait]
impl SharedRateBuckets for PgStore {
    /// One statement, one round trip: the function locks the rows, checks and advances them.
    async fn take(&self, buckets: &[SharedBucket]) -> StoreResult<Option<Vec<u64>>> {
        let keys: Vec<&str> = buckets.iter().map(|b| b.key.as_str()).collect();
        let intervals: Vec<i64> = buckets.iter().map(|b| b.interval_us).collect();
        let tolerances: Vec<i64> = buckets.iter().map(|b| b.tolerance_us).collect();
        self.run(async |client| {
            let row = query_opt(
                &*client,
                sql::TAKE_RATE,
                &[&keys, &intervals, &tolerances],
                "taking from rate buckets",
            )
            .await?;
            let waits: Option<Vec<i64>> = row.and_then(|row| row.get(0));
            Ok(waits.map(|w| w.into_iter().map(|us| us.max(0) as u64).collect()))
        })
        .await
    }
}
