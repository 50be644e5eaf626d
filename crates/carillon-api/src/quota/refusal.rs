//! What a refused request is told: which quota refused, and how long to wait.

use carillon_core::StoreError;

/// Why [`super::Quotas::admit_request`] did not admit a request.
#[derive(Debug)]
pub enum Refusal {
    Throttled(Throttled),
    /// The shared buckets could not be reached.
    Store(StoreError),
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
