//! The rate algorithm every limit of Carillon runs on (the API's rate quotas, the signaling
//! plane's data-message limits), and the rate-quota buckets kept outside the process, so that
//! every node of a cluster draws from the same buckets (the PostgreSQL store provides them and
//! runs the same algorithm in SQL). Which quotas exist is the API layer's business.

use async_trait::async_trait;

use crate::store::StoreResult;

/// A generic cell rate algorithm (GCRA): the token bucket kept as one number.
///
/// A bucket is its "next free time" (TAT): the instant from which it would be full again. A
/// request costs one interval (1 / rate) and pushes that time forward; the bucket admits while
/// the time is at most `(burst - 1)` intervals ahead of now. Integer nanoseconds throughout, so
/// there is no floating-point drift, and a bucket whose time is not after now is full, whatever
/// its age.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Requests per second, as configured.
    pub rate: f64,
    pub burst: u32,
    /// Time one request "costs": 1 / rate.
    pub interval_ns: u64,
    /// How far ahead of now a bucket's next free time may be and still admit:
    /// (burst - 1) × interval.
    pub tolerance_ns: u64,
}

impl Rate {
    /// `rate` requests a second (above 0, at most 1e9), at most `burst` (at least 1) at once.
    pub fn new(rate: f64, burst: u32) -> Rate {
        let interval_ns = ((1e9 / rate).round() as u64).max(1);
        Rate {
            rate,
            burst,
            interval_ns,
            tolerance_ns: interval_ns.saturating_mul(u64::from(burst.saturating_sub(1))),
        }
    }

    /// `Ok(new next free time)` when a request at `now` is admitted by a bucket whose next free
    /// time is `tat`, else `Err(wait)`: how long until it would be. Any fixed origin of time
    /// works, as long as `tat` and `now` share it.
    pub fn check(&self, tat: u64, now: u64) -> Result<u64, u64> {
        let tat = tat.max(now);
        if tat - now <= self.tolerance_ns {
            Ok(tat.saturating_add(self.interval_ns))
        } else {
            Err(tat - self.tolerance_ns - now)
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::Rate;

    const SECOND: u64 = 1_000_000_000;

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let rate = Rate::new(10.0, 20);
        let mut tat = 0;
        for _ in 0..20 {
            tat = rate.check(tat, SECOND).expect("within the burst");
        }
        // The 21st waits one interval, and is admitted once that has passed.
        assert_eq!(rate.check(tat, SECOND), Err(SECOND / 10));
        assert!(rate.check(tat, SECOND + SECOND / 10).is_ok());
        // Idle long enough, the bucket is full again whatever came before.
        let later = tat + 10 * SECOND;
        let mut full = tat;
        for _ in 0..20 {
            full = rate.check(full, later).expect("full again");
        }
        assert!(rate.check(full, later).is_err());
    }

    #[test]
    fn extreme_rates_do_not_overflow() {
        let fast = Rate::new(1e9, u32::MAX);
        assert_eq!(fast.interval_ns, 1);
        assert!(fast.check(u64::MAX - 1, u64::MAX - 1).is_ok());
        let slow = Rate::new(1e-9, 1);
        assert_eq!(slow.tolerance_ns, 0);
        assert!(slow.check(0, 0).is_ok());
    }
}
