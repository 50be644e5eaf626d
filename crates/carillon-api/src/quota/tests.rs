use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_core::Namespace::{Legacy, Meetings};
use carillon_core::{SharedBucket, SharedRateBuckets};

use super::gcra::Rate;
use super::policy::{operation_index, operations, slots_per_api};
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
    Quotas::new(Quotas::from_json(text).unwrap_or_else(|e| panic!("{e}")))
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
        match &self.mode {
            Mode::Off => Ok(()),
            Mode::PerProcess { config, buckets } => {
                let drawn = config.limits(account_id).drawn(operation);
                buckets.admit(account_id, namespace, &drawn, now)
            }
            Mode::Shared { .. } => panic!("shared buckets are asked through admit_request"),
        }
    }

    fn local_buckets(&self) -> &LocalBuckets {
        match &self.mode {
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

#[test]
fn burst_then_steady_rate() {
    let q = aws_defaults();
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 20), 20);
    let refused = q.admit(A, Meetings, "GetMeeting", t0).unwrap_err();
    assert_eq!(refused.retry_after_ms, 100);
    assert_eq!(refused.retry_after_secs(), 1);
    assert_eq!((refused.rate, refused.burst), (10.0, 20));
    assert_eq!(
        refused.to_string(),
        "Rate exceeded: GetMeeting is limited to 10 requests per second (burst 20) for this \
         account; retry in 100 ms"
    );

    // One token every 100 ms.
    let refused = q.admit(A, Meetings, "GetMeeting", t0 + ms(60)).unwrap_err();
    assert_eq!(refused.retry_after_ms, 40);
    assert!(q.admit(A, Meetings, "GetMeeting", t0 + ms(100)).is_ok());
    assert!(q.admit(A, Meetings, "GetMeeting", t0 + ms(100)).is_err());
    // A second later, ten more.
    assert_eq!(
        admitted(&q, A, Meetings, "GetMeeting", t0 + ms(1100), 30),
        10
    );

    // Steady 10/s is always admitted; 20/s only half of the time.
    let t1 = t0 + Duration::from_secs(10);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t1, 20), 20);
    for i in 1..=50 {
        assert!(
            q.admit(A, Meetings, "GetMeeting", t1 + ms(100 * i)).is_ok(),
            "{i}"
        );
    }
    let t2 = t1 + Duration::from_secs(20);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t2, 20), 20);
    let every_50ms = (1..=100)
        .filter(|i| q.admit(A, Meetings, "GetMeeting", t2 + ms(50 * i)).is_ok())
        .count();
    assert_eq!(every_50ms, 50);
}

#[test]
fn a_full_bucket_does_not_save_up_more_than_its_burst() {
    let q = aws_defaults();
    let t0 = Instant::now();
    assert!(q.admit(A, Meetings, "GetMeeting", t0).is_ok());
    let later = t0 + Duration::from_secs(3600);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", later, 100), 20);
}

#[test]
fn every_operation_draws_from_the_aggregate() {
    let q = aws_defaults();
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 10), 10);
    // GetAttendee has no quota of its own, but counts toward the aggregate.
    assert_eq!(admitted(&q, A, Meetings, "GetAttendee", t0, 10), 10);
    let refused = q.admit(A, Meetings, "ListAttendees", t0).unwrap_err();
    assert_eq!(refused.limit, ThrottledBy::AllOperations);
    assert_eq!(refused.retry_after_ms, 100);
    assert!(
        refused
            .to_string()
            .starts_with("Rate exceeded: all meeting management operations together"),
        "{refused}"
    );
    // An unknown operation name (not in either model) is held by the aggregate alone.
    assert!(q.admit(A, Meetings, "NoSuchOperation", t0).is_err());
    assert!(q
        .admit(A, Meetings, "NoSuchOperation", t0 + ms(100))
        .is_ok());
}

#[test]
fn an_operation_bucket_holds_its_operation_only() {
    let q = from_json(r#"{"default": {"all_operations": {"rate": 1000, "burst": 1000}}}"#);
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 30), 20);
    let refused = q.admit(A, Meetings, "GetMeeting", t0).unwrap_err();
    assert_eq!(refused.limit, ThrottledBy::Operation("GetMeeting"));
    assert_eq!(admitted(&q, A, Meetings, "CreateMeeting", t0, 30), 20);
    assert_eq!(admitted(&q, A, Meetings, "GetAttendee", t0, 100), 100);
}

/// Whichever bucket refuses, the other keeps its token.
#[test]
fn a_refused_request_takes_no_token() {
    // The operation refuses: the aggregate keeps its tokens.
    let q = from_json(r#"{"default": {"all_operations": {"rate": 10, "burst": 25}}}"#);
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, A, Meetings, "GetAttendee", t0, 100), 5);

    // The aggregate refuses: the operation keeps its tokens.
    let q = from_json(
        r#"{"default": {"all_operations": {"rate": 10, "burst": 5},
                        "operations": {"GetMeeting": {"rate": 1, "burst": 10}}}}"#,
    );
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 5);
    let refused = q.admit(A, Meetings, "GetMeeting", t0).unwrap_err();
    assert_eq!(refused.limit, ThrottledBy::AllOperations);
    assert_eq!(
        admitted(&q, A, Meetings, "GetMeeting", t0 + ms(500), 100),
        5
    );
    // Now the operation's bucket is empty (10 taken, 1/s): one more after a second.
    let refused = q
        .admit(A, Meetings, "GetMeeting", t0 + ms(600))
        .unwrap_err();
    assert_eq!(refused.limit, ThrottledBy::Operation("GetMeeting"));
    assert_eq!(refused.retry_after_ms, 400);
    assert_eq!(
        admitted(&q, A, Meetings, "GetMeeting", t0 + ms(1000), 100),
        1
    );
}

#[test]
fn when_both_refuse_the_longer_wait_is_reported() {
    let q = from_json(
        r#"{"default": {"all_operations": {"rate": 10, "burst": 5},
                        "operations": {"GetMeeting": {"rate": 1, "burst": 5}}}}"#,
    );
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 10), 5);
    let refused = q.admit(A, Meetings, "GetMeeting", t0).unwrap_err();
    assert_eq!(refused.limit, ThrottledBy::Operation("GetMeeting"));
    assert_eq!(refused.retry_after_ms, 1000);
    assert_eq!((refused.rate, refused.burst), (1.0, 5));
    // Waiting that long is enough.
    assert!(q.admit(A, Meetings, "GetMeeting", t0 + ms(1000)).is_ok());
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

#[test]
fn accounts_are_separate_and_overrides_apply_to_their_account() {
    let q = from_json(
        r#"{"accounts": {"111122223333": {
              "all_operations": {"rate": 100, "burst": 100},
              "operations": {"GetMeeting": {"rate": 50, "burst": 50}},
              "max_active_meetings": 3}}}"#,
    );
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 50);
    // CreateMeeting keeps AWS's 20; the aggregate is the account's 100.
    assert_eq!(admitted(&q, A, Meetings, "CreateMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, A, Meetings, "GetAttendee", t0, 100), 30);
    assert_eq!(admitted(&q, B, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(q.max_active_meetings(A, Meetings), Some(3));
    assert_eq!(q.max_active_meetings(A, Legacy), Some(250));
    assert_eq!(q.max_active_meetings(B, Meetings), Some(250));
}

#[test]
fn an_account_falls_back_member_by_member() {
    let config = Quotas::from_json(
        r#"{"default": {"all_operations": {"burst": 7},
                        "operations": {"GetMeeting": {"rate": 2}, "GetAttendee": {"burst": 3}},
                        "max_active_meetings": 9, "legacy_max_active_meetings": 8},
            "accounts": {"111122223333": {"all_operations": {"rate": 0.5},
                                          "operations": {"GetMeeting": {"burst": 4}},
                                          "legacy_max_active_meetings": 1}}}"#,
    )
    .unwrap();
    let get_meeting = operation_index("GetMeeting").unwrap();
    let get_attendee = operation_index("GetAttendee").unwrap();
    let create = operation_index("CreateMeeting").unwrap();
    let stop = operation_index("StopMeetingTranscription").unwrap();

    let own = &config.accounts[A];
    assert_eq!(own.all, Rate::new(0.5, 7));
    assert_eq!(own.operations[get_meeting], Some(Rate::new(2.0, 4)));
    assert_eq!(own.operations[get_attendee], Some(Rate::new(10.0, 3)));
    assert_eq!(own.operations[create], Some(Rate::new(10.0, 20)));
    assert_eq!(own.operations[stop], None);
    assert_eq!(own.max_active_meetings, [9, 1]);

    let default = &config.default;
    assert_eq!(default.all, Rate::new(10.0, 7));
    assert_eq!(default.operations[get_meeting], Some(Rate::new(2.0, 20)));
    assert_eq!(default.max_active_meetings, [9, 8]);
}

#[test]
fn the_two_apis_count_separately() {
    let q = from_json(r#"{"default": {"legacy_max_active_meetings": 7}}"#);
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, A, Legacy, "GetMeeting", t0, 100), 20);
    assert_eq!(
        admitted(&q, A, Legacy, "ListMeetings", t0 + ms(1000), 100),
        10
    );
    assert_eq!(q.max_active_meetings(A, Meetings), Some(250));
    assert_eq!(q.max_active_meetings(A, Legacy), Some(7));
}

#[test]
fn disabled_never_throttles_and_has_no_meeting_quota() {
    let q = Quotas::disabled();
    assert!(!q.is_enabled());
    let t0 = Instant::now();
    assert_eq!(
        admitted(&q, A, Meetings, "CreateMeeting", t0, 10_000),
        10_000
    );
    assert_eq!(q.max_active_meetings(A, Meetings), None);
    assert_eq!(q.max_active_meetings(A, Legacy), None);
    assert!(aws_defaults().is_enabled());
    assert_eq!(aws_defaults().max_active_meetings(A, Meetings), Some(250));
}

#[test]
fn concurrent_callers_share_one_burst() {
    let q = Arc::new(aws_defaults());
    let now = Instant::now();
    let admitted_total = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (q, total) = (Arc::clone(&q), Arc::clone(&admitted_total));
            std::thread::spawn(move || {
                let n = admitted(&q, A, Meetings, "CreateAttendee", now, 1000);
                total.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(admitted_total.load(Ordering::Relaxed), 20);
}

#[test]
fn idle_accounts_are_dropped_busy_ones_kept() {
    let q = Quotas::with_shards(QuotaConfig::default(), 1);
    let t0 = Instant::now();
    // 1000 accounts call once: the size rule sweeps along the way, but nobody is idle yet.
    for i in 0..1000 {
        assert!(q
            .admit(&format!("{i:012}"), Meetings, "GetMeeting", t0)
            .is_ok());
    }
    assert_eq!(tracked_accounts(&q), 1000);

    // Shortly before the next sweep, A empties its bucket.
    let t1 = t0 + ms(10_500);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t1, 100), 20);
    // Ten seconds after the last sweep, a new account sweeps the shard: the idle accounts go, A
    // (still refilling) stays.
    let t2 = t0 + ms(11_000);
    assert!(q.admit(B, Meetings, "GetMeeting", t2).is_ok());
    assert_eq!(tracked_accounts(&q), 2);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t2, 100), 5);

    // Later still, A and B are idle and go too; a dropped account starts afresh, exactly as if
    // it had been kept.
    let t3 = t0 + ms(30_000);
    assert!(q.admit("777777777777", Meetings, "GetMeeting", t3).is_ok());
    assert_eq!(tracked_accounts(&q), 1);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t3, 100), 20);
}

#[test]
fn a_sweep_keeps_accounts_that_are_still_refilling() {
    let q = Quotas::with_shards(QuotaConfig::default(), 1);
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 20);
    // 1.5 s later A has 15 tokens back, not 20: a sweep must not reset it.
    let t1 = t0 + ms(1500);
    q.local_buckets().sweep_all(t1);
    assert_eq!(tracked_accounts(&q), 1);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t1, 100), 15);
}

#[test]
fn many_accounts_stay_bounded_without_sweeps_by_time() {
    let q = Quotas::with_shards(QuotaConfig::default(), 4);
    let start = Instant::now();
    // 100 000 accounts, one call each, 10 µs apart (one second in all): each is idle 100 ms
    // after its call, so about 10 000 are alive at any time.
    for i in 0..100_000u64 {
        let now = start + Duration::from_micros(i * 10);
        assert!(q
            .admit(&format!("{i:012}"), Meetings, "GetMeeting", now)
            .is_ok());
    }
    let tracked = tracked_accounts(&q);
    assert!((10_000..=30_000).contains(&tracked), "{tracked}");
}

// ------------------------------------------------------------------------------------------------
// The quota file
// ------------------------------------------------------------------------------------------------

/// The example of the quota file guide.
fn documented_example() -> String {
    let guide = include_str!("../../../../docs/quotas.md");
    let start = guide.find("```json\n").expect("a json example") + "```json\n".len();
    let end = start + guide[start..].find("```\n").expect("its end");
    guide[start..end].to_owned()
}

#[test]
fn the_documented_example_parses_and_means_what_the_doc_says() {
    let q = from_json(&documented_example());
    let t0 = Instant::now();
    let other = "999988887777";
    assert_eq!(admitted(&q, A, Meetings, "CreateMeeting", t0, 100), 40);
    assert_eq!(admitted(&q, A, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, A, Meetings, "DeleteMeeting", t0, 100), 20);
    let big = "123456789012";
    assert_eq!(admitted(&q, big, Meetings, "GetMeeting", t0, 100), 20);
    assert_eq!(admitted(&q, big, Meetings, "GetAttendee", t0, 100), 10);
    assert_eq!(admitted(&q, big, Meetings, "CreateMeeting", t0, 100), 40);
    // GetMeeting refills at 100/s: one every 10 ms (10/s would refuse it).
    let t1 = t0 + ms(1000);
    assert_eq!(admitted(&q, big, Meetings, "GetMeeting", t1, 100), 20);
    assert!(q.admit(big, Meetings, "GetMeeting", t1 + ms(10)).is_ok());
    assert_eq!(q.max_active_meetings(big, Meetings), Some(5000));
    assert_eq!(q.max_active_meetings(big, Legacy), Some(10));
    assert_eq!(q.max_active_meetings(other, Meetings), Some(1000));
    assert_eq!(q.max_active_meetings(other, Legacy), Some(250));
    // Every other account: 100 together.
    let mut together = 0;
    for op in [
        "DeleteMeeting",
        "GetMeeting",
        "ListAttendees",
        "GetAttendee",
    ] {
        together += admitted(&q, other, Meetings, op, t0, 100);
    }
    assert_eq!(together, 20 + 20 + 20 + 40);
    assert!(q
        .admit(other, Meetings, "StopMeetingTranscription", t0)
        .is_err());
}

#[test]
fn an_empty_file_is_aws_defaults() {
    assert_eq!(Quotas::from_json("{}").unwrap(), QuotaConfig::default());
    let config = QuotaConfig::default();
    assert_eq!(config.default.all, Rate::new(10.0, 20));
    assert_eq!(config.default.max_active_meetings, [250, 250]);
    let limited = config.default.operations.iter().flatten().count();
    assert_eq!(limited, AWS_RATE_LIMITED.len());
}

#[test]
fn bad_files_are_refused_naming_the_member() {
    let cases: &[(&str, &str)] = &[
        ("", "quota file"),
        ("[]", "quota file: expected a JSON object"),
        (r#"{"defaults": {}}"#, "unknown field `defaults`"),
        (
            r#"{"default": {"max_meetings": 3}}"#,
            "unknown field `max_meetings`",
        ),
        (
            r#"{"default": {"max_active_meetings": -1}}"#,
            "invalid value",
        ),
        (
            r#"{"default": {"max_active_meetings": "3"}}"#,
            "invalid type",
        ),
        (
            r#"{"default": {"operations": {"GetMeting": {"rate": 1}}}}"#,
            "default.operations: unknown operation \"GetMeting\"",
        ),
        (
            r#"{"default": {"operations": {"GetMeeting": {"rate": 0}}}}"#,
            "default.operations.GetMeeting.rate",
        ),
        (
            r#"{"default": {"all_operations": {"rate": -5}}}"#,
            "default.all_operations.rate",
        ),
        (
            r#"{"default": {"all_operations": {"rate": 1e10}}}"#,
            "default.all_operations.rate",
        ),
        (
            r#"{"default": {"all_operations": {"burst": 0}}}"#,
            "default.all_operations.burst: must be at least 1",
        ),
        (
            r#"{"default": {"all_operations": {"burst": 2.5}}}"#,
            "invalid type",
        ),
        (
            r#"{"default": {"all_operations": {"rate": 1, "bust": 2}}}"#,
            "unknown field `bust`",
        ),
        (
            r#"{"accounts": {"12345": {}}}"#,
            "\"12345\" is not a 12-digit account id",
        ),
        (
            r#"{"accounts": {"12345678901a": {}}}"#,
            "is not a 12-digit account id",
        ),
        (
            r#"{"accounts": {"111122223333": {"operations": {"getmeeting": {}}}}}"#,
            "accounts.111122223333.operations: unknown operation \"getmeeting\"",
        ),
        (
            r#"{"accounts": {"111122223333": {"operations": {"GetMeeting": {"burst": 0}}}}}"#,
            "accounts.111122223333.operations.GetMeeting.burst",
        ),
    ];
    for (text, expected) in cases {
        match Quotas::from_json(text) {
            Ok(config) => panic!("{text} was accepted: {config:?}"),
            Err(e) => assert!(e.contains(expected), "{text}: {e}"),
        }
    }
}

#[test]
fn fractional_rates_and_huge_bursts_are_fine() {
    let q = from_json(r#"{"default": {"all_operations": {"rate": 0.5, "burst": 4294967295}}}"#);
    let t0 = Instant::now();
    assert_eq!(admitted(&q, A, Meetings, "GetAttendee", t0, 1000), 1000);
    let q = from_json(r#"{"default": {"all_operations": {"rate": 0.5, "burst": 1}}}"#);
    let t0 = Instant::now();
    assert!(q.admit(A, Meetings, "GetAttendee", t0).is_ok());
    let refused = q.admit(A, Meetings, "GetAttendee", t0).unwrap_err();
    assert_eq!(refused.retry_after_ms, 2000);
    assert_eq!(refused.retry_after_secs(), 2);
    assert!(q.admit(A, Meetings, "GetAttendee", t0 + ms(2000)).is_ok());
}

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

#[tokio::test]
async fn a_shared_refusal_names_the_longest_wait() {
    let q = Quotas::shared(QuotaConfig::default(), scripted(Ok(Some(vec![0, 250_400]))));
    let Err(Refusal::Throttled(t)) = q.admit_request(A, Meetings, "CreateAttendee").await else {
        panic!("expected a throttling refusal");
    };
    assert_eq!(t.limit, ThrottledBy::Operation("CreateAttendee"));
    assert_eq!(t.retry_after_ms, 251);
    assert_eq!((t.rate, t.burst), (10.0, 20));

    let q = Quotas::shared(QuotaConfig::default(), scripted(Ok(Some(vec![900, 0]))));
    let Err(Refusal::Throttled(t)) = q.admit_request(A, Meetings, "GetMeeting").await else {
        panic!("expected a throttling refusal");
    };
    assert_eq!(t.limit, ThrottledBy::AllOperations);
    assert_eq!(t.retry_after_ms, 1);
}

#[tokio::test]
async fn a_shared_tie_names_the_operation_as_the_local_buckets_do() {
    let q = Quotas::shared(QuotaConfig::default(), scripted(Ok(Some(vec![500, 500]))));
    let Err(Refusal::Throttled(t)) = q.admit_request(A, Meetings, "GetMeeting").await else {
        panic!("expected a throttling refusal");
    };
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
