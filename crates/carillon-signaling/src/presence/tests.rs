use std::sync::atomic::{AtomicBool, Ordering};

use carillon_core::StoreError;

use super::*;

fn id(s: &str) -> Arc<str> {
    s.into()
}

fn pending(queue: &Queue) -> Vec<(String, Mark)> {
    queue
        .order
        .values()
        .map(|m| (m.to_string(), queue.pending[m].1))
        .collect()
}

#[test]
fn occupancy_reports_only_changes() {
    let mut occupancy = Occupancy::default();
    let never = || panic!("the clock is read only when the room is vacated");
    assert_eq!(occupancy.update(false, never), None);
    assert_eq!(occupancy.update(true, never), Some(Transition::Occupied));
    assert_eq!(occupancy.update(true, never), None);
    assert_eq!(
        occupancy.update(false, || 42),
        Some(Transition::Vacated { at_ms: 42 })
    );
    assert_eq!(occupancy.update(false, never), None);
}

#[test]
fn a_content_share_alone_does_not_keep_a_meeting_alive() {
    assert!(keeps_meeting_alive(false));
    assert!(!keeps_meeting_alive(true));
}

#[test]
fn the_latest_mark_of_a_meeting_is_written_in_its_first_place() {
    let mut q = Queue::default();
    q.record(&id("a"), Transition::Occupied);
    q.record(&id("b"), Transition::Occupied);
    q.record(&id("a"), Transition::Vacated { at_ms: 5 });
    assert_eq!(
        pending(&q),
        [
            ("a".into(), Mark::Idle { since_ms: 5 }),
            ("b".into(), Mark::Connected)
        ]
    );
    q.record(&id("a"), Transition::Occupied);
    assert_eq!(pending(&q)[0], ("a".into(), Mark::Connected));
    assert_eq!(q.occupied.len(), 2);
}

#[test]
fn batches_are_bounded_and_oldest_first() {
    let mut q = Queue::default();
    for i in 0..2500 {
        q.record(&id(&format!("m{i}")), Transition::Occupied);
    }
    let first = q.take(MAX_BATCH);
    assert_eq!(first.len(), MAX_BATCH);
    assert_eq!(&*first[0].1, "m0");
    assert_eq!(&*first[MAX_BATCH - 1].1, format!("m{}", MAX_BATCH - 1));
    assert_eq!(q.take(MAX_BATCH).len(), MAX_BATCH);
    assert_eq!(q.take(MAX_BATCH).len(), 500);
    assert!(q.take(MAX_BATCH).is_empty());
}

#[test]
fn a_failed_write_goes_back_unless_a_newer_mark_came() {
    let mut q = Queue::default();
    q.record(&id("a"), Transition::Occupied);
    q.record(&id("b"), Transition::Occupied);
    let failed = q.take(MAX_BATCH);
    // Meanwhile `a` was vacated and `c` occupied.
    q.record(&id("a"), Transition::Vacated { at_ms: 9 });
    q.record(&id("c"), Transition::Occupied);
    q.restore(failed);
    // `b` goes back first (its place is the oldest); `a`'s newer Idle is not replaced by the
    // Connected that failed.
    assert_eq!(
        pending(&q),
        [
            ("b".into(), Mark::Connected),
            ("a".into(), Mark::Idle { since_ms: 9 }),
            ("c".into(), Mark::Connected)
        ]
    );
    // An Idle that failed is not lost behind the renewals that came meanwhile, and goes first.
    let failed = q.take(MAX_BATCH);
    q.renew();
    q.restore(failed);
    let after = pending(&q);
    assert_eq!(after[0], ("a".into(), Mark::Idle { since_ms: 9 }));
    assert_eq!(after.len(), 3);
}

#[test]
fn renewals_cover_the_occupied_meetings_and_shutdown_vacates_them() {
    let mut q = Queue::default();
    q.record(&id("a"), Transition::Occupied);
    q.record(&id("b"), Transition::Occupied);
    q.record(&id("b"), Transition::Vacated { at_ms: 3 });
    q.take(MAX_BATCH);
    q.renew();
    assert_eq!(pending(&q), [("a".into(), Mark::Connected)]);
    q.vacate_all(7);
    assert_eq!(pending(&q), [("a".into(), Mark::Idle { since_ms: 7 })]);
    assert!(q.occupied.is_empty());
}

#[test]
fn a_connected_mark_carries_a_lease_from_the_write() {
    let taken = vec![
        (0, id("a"), Mark::Connected),
        (1, id("b"), Mark::Idle { since_ms: 4 }),
    ];
    assert_eq!(
        to_marks(&taken, 1_000),
        [
            PresenceMark::Connected {
                meeting_id: "a".into(),
                lease_until_ms: 61_000
            },
            PresenceMark::Idle {
                meeting_id: "b".into(),
                since_ms: 4
            }
        ]
    );
}

/// A store that records each write and fails while told to.
#[derive(Default)]
struct FakeStore {
    writes: Mutex<Vec<Vec<PresenceMark>>>,
    failing: AtomicBool,
}

impl FakeStore {
    fn writes(&self) -> Vec<Vec<PresenceMark>> {
        self.writes.lock().unwrap().clone()
    }
}

struct Running {
    reports: Arc<PresenceReports>,
    store: Arc<FakeStore>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    metrics: SignalingMetrics,
    _server_stop: watch::Sender<bool>,
}

fn start() -> Running {
    let reports = Arc::new(PresenceReports::default());
    let store = Arc::new(FakeStore::default());
    let metrics = SignalingMetrics::default();
    let (server_stop, server_stopped) = watch::channel(false);
    let (stop, stopped) = watch::channel(false);
    let fake = store.clone();
    let task = tokio::spawn(run(
        reports.clone(),
        move |marks| {
            let fake = fake.clone();
            async move {
                if fake.failing.load(Ordering::SeqCst) {
                    return Err(StoreError::unavailable("the database is away"));
                }
                fake.writes.lock().unwrap().push(marks);
                Ok(())
            }
        },
        metrics.clone(),
        [server_stopped, stopped],
        Duration::from_secs(1),
    ));
    Running {
        reports,
        store,
        stop,
        task,
        metrics,
        _server_stop: server_stop,
    }
}

/// Lets the task run until `done` holds, in paused time (at most a minute of it).
async fn until(done: impl Fn() -> bool) {
    for _ in 0..6000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not done in time");
}

#[tokio::test(start_paused = true)]
async fn transitions_are_written_at_once_renewed_and_vacated_at_shutdown() {
    let r = start();
    r.reports.record(&id("a"), Transition::Occupied);
    until(|| r.store.writes().len() == 1).await;
    assert!(matches!(
        &r.store.writes()[0][..],
        [PresenceMark::Connected { meeting_id, .. }] if meeting_id == "a"
    ));
    // A third of the lease later, the occupied meeting is renewed.
    tokio::time::sleep(RENEW_EVERY).await;
    until(|| r.store.writes().len() == 2).await;
    assert!(matches!(
        &r.store.writes()[1][..],
        [PresenceMark::Connected { .. }]
    ));
    assert_eq!(r.metrics.presence_counts().0, 2);

    let _ = r.stop.send(true);
    r.task.await.unwrap();
    let last = r.store.writes().pop().unwrap();
    assert!(matches!(&last[..], [PresenceMark::Idle { meeting_id, .. }] if meeting_id == "a"));
}

#[tokio::test(start_paused = true)]
async fn a_store_away_loses_no_meetings_latest_state() {
    let r = start();
    r.store.failing.store(true, Ordering::SeqCst);
    r.reports.record(&id("a"), Transition::Occupied);
    r.reports.record(&id("b"), Transition::Occupied);
    until(|| r.metrics.presence_counts().1 >= 2).await;
    r.reports
        .record(&id("a"), Transition::Vacated { at_ms: 11 });
    r.store.failing.store(false, Ordering::SeqCst);
    until(|| r.reports.pending() == 0 && !r.store.writes().is_empty()).await;
    let written: Vec<PresenceMark> = r.store.writes().concat();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written.contains(&PresenceMark::Idle {
        meeting_id: "a".into(),
        since_ms: 11
    }));
    assert!(written
        .iter()
        .any(|m| matches!(m, PresenceMark::Connected { meeting_id, .. } if meeting_id == "b")));
}

#[tokio::test(start_paused = true)]
async fn a_flush_returns_once_every_mark_queued_before_it_is_written() {
    let r = start();
    // Nothing queued: done at once.
    assert!(r.reports.flush(Duration::from_secs(1)).await);

    r.store.failing.store(true, Ordering::SeqCst);
    r.reports.record(&id("a"), Transition::Vacated { at_ms: 7 });
    // The store is away: the flush gives up, the mark stays queued.
    assert!(!r.reports.flush(Duration::from_secs(1)).await);
    assert_eq!(r.reports.pending(), 1);

    r.store.failing.store(false, Ordering::SeqCst);
    assert!(r.reports.flush(Duration::from_secs(30)).await);
    assert!(r.store.writes().concat().contains(&PresenceMark::Idle {
        meeting_id: "a".into(),
        since_ms: 7
    }));

    // Leases for a jump: the occupied meetings only, a lease past the instant given.
    r.reports.record(&id("b"), Transition::Occupied);
    assert_eq!(
        r.reports.occupied_marks(1_000),
        vec![PresenceMark::Connected {
            meeting_id: "b".into(),
            lease_until_ms: 61_000
        }]
    );
}
