//! The quotas' tests, by concern like the module: the policy, the buckets of one process, the
//! quota file and the cluster's buckets. The helpers here drive the buckets of one process at
//! chosen instants.

mod file;
mod local;
mod overrides;
mod policy;
mod shared;

use std::time::{Duration, Instant};

use carillon_core::Namespace::{Legacy, Meetings};

use super::*;

const A: &str = "111122223333";
const B: &str = "444455556666";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn aws_defaults() -> Quotas {
    Quotas::new(QuotaConfig::default())
}

fn from_json(text: &str) -> Quotas {
    Quotas::new(QuotaConfig::from_json(text).unwrap_or_else(|e| panic!("{e}")))
}

impl Quotas {
    /// Admits as [`Quotas::admit_request`] does with this process's buckets, at `now` rather
    /// than the clock's time.
    fn admit(
        &self,
        account_id: &str,
        namespace: Namespace,
        operation: &str,
        now: Instant,
    ) -> Result<(), Throttled> {
        match &*self.mode {
            Mode::Off => Ok(()),
            Mode::PerProcess { table, buckets } => {
                let drawn = table.load().limits(account_id).drawn(operation);
                buckets.admit(account_id, namespace, &drawn, now)
            }
            Mode::Shared { .. } => panic!("shared buckets are asked through admit_request"),
        }
    }

    fn local_buckets(&self) -> &LocalBuckets {
        match &*self.mode {
            Mode::PerProcess { buckets, .. } => buckets,
            _ => panic!("no buckets in this process"),
        }
    }
}

/// Accounts with an entry in the buckets of this process.
fn tracked_accounts(q: &Quotas) -> usize {
    q.local_buckets().tracked_accounts()
}

/// How many of `n` calls at `now` are admitted.
fn admitted(q: &Quotas, account: &str, ns: Namespace, op: &str, now: Instant, n: usize) -> usize {
    (0..n)
        .filter(|_| q.admit(account, ns, op, now).is_ok())
        .count()
}
