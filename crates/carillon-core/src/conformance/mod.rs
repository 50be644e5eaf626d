//! The storage conformance suite: what every [`Store`] backend must do, written once.
//!
//! Each case is a public async function taking a store (fresh or shared: every case works in its
//! own newly drawn accounts, so cases never see each other's data) and panicking on the first
//! broken rule. [`run_all`] runs them all in turn; [`crate::store_conformance_tests!`] turns each
//! into its own `#[tokio::test]` in a backend's test crate:
//!
//! ```ignore
//! carillon_core::store_conformance_tests!((MyStore::open_in_memory().unwrap(), ()));
//! ```
//!
//! Concurrent requests are issued with [`join_all`], which polls all of them from one task: each
//! operation is in flight at once, so a backend that checks then writes without holding its
//! invariant across the two is caught.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::store::Store;

mod admin;
mod attendees;
mod builders;
mod concurrency;
mod events;
mod import;
mod legacy;
mod lifecycle;
mod live;
mod meeting_state;
mod meetings;
mod quota;

pub use admin::*;
pub use attendees::*;
pub use builders::*;
pub use concurrency::*;
pub use events::*;
pub use import::*;
pub use legacy::*;
pub use lifecycle::*;
pub use live::*;
pub use meeting_state::*;
pub use meetings::*;
pub use quota::*;

// ------------------------------------------------------------------------------------------------
// Cases
// ------------------------------------------------------------------------------------------------

/// Generates one `#[tokio::test]` per conformance case (multi-threaded runtime, two workers).
///
/// `$make` is evaluated afresh for every case and must give a `(store, guard)` pair: the store's
/// type implements [`Store`], and the guard (a temporary directory, say, or `()`) is kept alive
/// until the case ends. The calling crate needs `tokio` with the `macros` and `rt-multi-thread`
/// features.
#[macro_export]
macro_rules! store_conformance_tests {
    ($make:expr) => {
        $crate::store_conformance_tests!(@each tests ($make));
    };
    // The one list of cases; `@tests` and `@list` receive it.
    (@each $then:ident ($($args:tt)*)) => {
        $crate::store_conformance_tests! { @$then ($($args)*)
            meeting_lifecycle,
            token_replay,
            scope_isolation,
            replicas,
            attendees,
            attendee_cap,
            pagination,
            pagination_never_reuses_positions,
            attendee_capabilities,
            transcription,
            tags,
            attendee_tags_on_creation,
            attendee_tags,
            list_meetings,
            ended_meetings_are_invisible,
            concurrent_attendee_cap,
            concurrent_external_user_id,
            concurrent_client_request_token,
            concurrent_replicas,
            concurrent_delete_and_create_at_cap,
            concurrent_tags,
            concurrent_attendee_tags,
            meeting_quota,
            meeting_quota_scopes,
            concurrent_meeting_quota,
            join_lookup_and_changes,
            lifecycle_idle_from_creation,
            lifecycle_presence_leases,
            lifecycle_max_duration,
            lifecycle_replicas,
            lifecycle_per_account,
            lifecycle_delete_reason,
            lifecycle_stray_marks,
            lifecycle_batch_bound,
            lifecycle_concurrent_sweeps,
            events_of_writes,
            refused_writes_record_nothing,
            delivery_streams,
            concurrent_claims,
            recorded_events,
            event_pruning,
            event_positions,
            admin_listing,
            admin_reset,
            admin_import,
        }
    };
    (@tests ($make:expr) $($case:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, _guard) = $make;
                $crate::conformance::$case(&store).await;
            }
        )*
    };
    (@list () $($case:ident),* $(,)?) => {
        vec![$(
            $crate::conformance::Case {
                name: stringify!($case),
                run: |store| Box::pin($crate::conformance::$case(store)),
            },
        )*]
    };
}

/// A case's future, borrowing the store.
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One named conformance case.
pub struct Case {
    pub name: &'static str,
    pub run: for<'a> fn(&'a dyn Store) -> CaseFuture<'a>,
}

/// Every case, in the order [`run_all`] runs them.
pub fn cases() -> Vec<Case> {
    crate::store_conformance_tests!(@each list ())
}

/// Runs every case against `store`, one after the other; panics (naming the case) on the first
/// broken rule.
pub async fn run_all(store: Arc<dyn Store>) {
    for case in cases() {
        let guard = NameOnPanic(case.name);
        (case.run)(&*store).await;
        std::mem::forget(guard);
    }
}

/// Says which case failed when dropped by a panic.
struct NameOnPanic(&'static str);

impl Drop for NameOnPanic {
    fn drop(&mut self) {
        eprintln!("store conformance case `{}` failed", self.0);
    }
}
