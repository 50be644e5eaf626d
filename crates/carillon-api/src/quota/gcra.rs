//! The rate algorithm: a generic cell rate algorithm (GCRA), the token bucket kept as one number.
//!
//! A bucket is its "next free time": the instant from which it would be full again. A request
//! costs one interval (1 / rate) and pushes that time forward; the bucket admits while the time is
//! at most `(burst - 1)` intervals ahead of now. Integer nanoseconds throughout, so there is no
//! floating-point drift, and a bucket whose time is not after now is full, whatever its age.

/// One quota's parameters, as the algorithm sees them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rate {
    /// Requests per second, as configured.
    pub(super) rate: f64,
    pub(super) burst: u32,
    /// Time one request "costs": 1 / rate.
    pub(super) interval_ns: u64,
    /// How far ahead of now a bucket's next free time may be and still admit: (burst - 1) ×
    /// interval.
    pub(super) tolerance_ns: u64,
}

impl Rate {
    /// `rate` is validated (above 0, at most 1e9) and `burst` at least 1.
    pub(super) fn new(rate: f64, burst: u32) -> Rate {
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
    pub(super) fn check(&self, tat: u64, now: u64) -> Result<u64, u64> {
        let tat = tat.max(now);
        if tat - now <= self.tolerance_ns {
            Ok(tat.saturating_add(self.interval_ns))
        } else {
            Err(tat - self.tolerance_ns - now)
        }
    }
}
