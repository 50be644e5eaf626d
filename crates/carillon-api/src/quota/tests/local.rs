//! The rate algorithm through the buckets of one process: bursts, refills, the aggregate, one
//! account or API against another, and the memory bound.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

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
