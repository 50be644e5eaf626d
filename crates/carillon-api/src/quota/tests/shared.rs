//! The cluster's buckets: what they are asked, and what their answers become.

use std::sync::Arc;

use carillon_core::{SharedBucket, SharedRateBuckets};

use super::*;

/// Shared buckets that answer from a script and record what they were asked.
struct ScriptedBuckets {
    answer: std::sync::Mutex<Option<carillon_core::StoreResult<Option<Vec<u64>>>>>,
    asked: std::sync::Mutex<Vec<SharedBucket>>,
}

#[async_trait::async_trait]
impl SharedRateBuckets for ScriptedBuckets {
    async fn take(&self, buckets: &[SharedBucket]) -> carillon_core::StoreResult<Option<Vec<u64>>> {
        self.asked.lock().unwrap().extend_from_slice(buckets);
        self.answer.lock().unwrap().take().unwrap_or(Ok(None))
    }
}

fn scripted(answer: carillon_core::StoreResult<Option<Vec<u64>>>) -> Arc<ScriptedBuckets> {
    Arc::new(ScriptedBuckets {
        answer: std::sync::Mutex::new(Some(answer)),
        asked: std::sync::Mutex::new(Vec::new()),
    })
}

#[tokio::test]
async fn shared_buckets_are_asked_for_the_aggregate_and_the_operation() {
    let buckets = scripted(Ok(None));
    let q = Quotas::shared(QuotaConfig::default(), buckets.clone());
    q.admit_request(A, Legacy, "CreateMeeting").await.unwrap();
    let asked = buckets.asked.lock().unwrap().clone();
    let bucket = |key: &str| SharedBucket {
        key: key.to_owned(),
        interval_us: 100_000,
        tolerance_us: 1_900_000,
    };
    assert_eq!(
        asked,
        vec![
            bucket("111122223333/legacy/*"),
            bucket("111122223333/legacy/CreateMeeting")
        ]
    );
    // GetAttendee has no bucket of its own: only the aggregate is asked.
    q.admit_request(A, Meetings, "GetAttendee").await.unwrap();
    assert_eq!(buckets.asked.lock().unwrap().len(), 3);
}

/// What a request of `operation` is told when the shared buckets refuse it with `waits_us`.
async fn shared_refusal(waits_us: Vec<u64>, operation: &str) -> Throttled {
    let q = Quotas::shared(QuotaConfig::default(), scripted(Ok(Some(waits_us))));
    match q.admit_request(A, Meetings, operation).await {
        Err(Refusal::Throttled(t)) => t,
        other => panic!("expected a throttling refusal, not {other:?}"),
    }
}

#[tokio::test]
async fn a_shared_refusal_names_the_longest_wait() {
    let t = shared_refusal(vec![0, 250_400], "CreateAttendee").await;
    assert_eq!(t.limit, ThrottledBy::Operation("CreateAttendee"));
    assert_eq!(t.retry_after_ms, 251);
    assert_eq!((t.rate, t.burst), (10.0, 20));

    let t = shared_refusal(vec![900, 0], "GetMeeting").await;
    assert_eq!(t.limit, ThrottledBy::AllOperations);
    assert_eq!(t.retry_after_ms, 1);

    // A tie names the operation, as the buckets of one process do.
    let t = shared_refusal(vec![500, 500], "GetMeeting").await;
    assert_eq!(t.limit, ThrottledBy::Operation("GetMeeting"));
    assert_eq!(t.retry_after_ms, 1);
}

#[tokio::test]
async fn shared_buckets_out_of_reach_refuse_with_the_store_error() {
    let q = Quotas::shared(
        QuotaConfig::default(),
        scripted(Err(carillon_core::StoreError::unavailable("down"))),
    );
    match q.admit_request(A, Meetings, "GetMeeting").await {
        Err(Refusal::Store(e)) => assert!(e.is_unavailable()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_override_reaches_the_shared_buckets_from_the_next_request() {
    let buckets = scripted(Ok(None));
    let q = Quotas::shared(QuotaConfig::default(), buckets.clone());
    q.set_account(
        A,
        r#"{"operations": {"CreateAttendee": {"rate": 1, "burst": 1}}}"#,
    )
    .unwrap();
    q.admit_request(A, Meetings, "CreateAttendee")
        .await
        .unwrap();
    q.admit_request(B, Meetings, "CreateAttendee")
        .await
        .unwrap();
    let asked = buckets.asked.lock().unwrap().clone();
    let costs: Vec<(&str, i64, i64)> = asked
        .iter()
        .map(|b| (b.key.as_str(), b.interval_us, b.tolerance_us))
        .collect();
    assert_eq!(
        costs,
        [
            ("111122223333/meetings/*", 100_000, 1_900_000),
            // A burst of 1 has no tolerance; the store is sent at least 1 µs.
            ("111122223333/meetings/CreateAttendee", 1_000_000, 1),
            ("444455556666/meetings/*", 100_000, 1_900_000),
            ("444455556666/meetings/CreateAttendee", 100_000, 1_900_000),
        ]
    );
}
