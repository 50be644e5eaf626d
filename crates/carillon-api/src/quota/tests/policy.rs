//! The operation index, and which quota a refusal names.

use crate::quota::policy::{operation_index, operations, slots_per_api};

use super::*;

#[test]
fn the_operation_index_is_both_models_operations_sorted() {
    let index = operations();
    assert!(index.windows(2).all(|w| w[0] < w[1]), "{index:?}");
    // Operations of the current API only, of the legacy API only, and of both.
    for name in [
        "BatchUpdateAttendeeCapabilitiesExcept",
        "ListMeetings",
        "TagAttendee",
    ] {
        assert!(operation_index(name).is_some(), "{name}");
    }
    // Every operation AWS gives a rate quota is one of them: a misspelt name here would leave
    // its operation without its own bucket.
    for name in AWS_RATE_LIMITED {
        assert!(operation_index(name).is_some(), "{name}");
    }
    assert_eq!(slots_per_api(), 1 + index.len());
}

/// One rule names the quota that refused, for the buckets of one process and the cluster's.
#[test]
fn the_longest_wait_names_the_refusing_quota_and_a_tie_names_the_operation() {
    let config = QuotaConfig::default();
    let drawn = config.default.drawn("GetMeeting");
    assert_eq!(drawn.len(), 2);
    let tie = drawn.refusal(&[5_000_000, 5_000_000]);
    assert_eq!(tie.limit, ThrottledBy::Operation("GetMeeting"));
    assert_eq!(tie.retry_after_ms, 5);
    let aggregate = drawn.refusal(&[5_000_001, 5_000_000]);
    assert_eq!(aggregate.limit, ThrottledBy::AllOperations);
    assert_eq!(aggregate.retry_after_ms, 6);
    // Without waits (a store that refused without saying why), the aggregate, in a millisecond.
    let unknown = drawn.refusal(&[]);
    assert_eq!(unknown.limit, ThrottledBy::AllOperations);
    assert_eq!(unknown.retry_after_ms, 1);
    // GetAttendee and names outside both models draw from the aggregate alone.
    assert_eq!(config.default.drawn("GetAttendee").len(), 1);
    assert_eq!(config.default.drawn("NoSuchOperation").len(), 1);
}
