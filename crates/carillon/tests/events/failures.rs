//! At least once and in order per meeting, whatever the receiver does: fails, is slow, or is not
//! there yet.

use std::collections::BTreeMap;
use std::time::Duration;

use carillon_postgres::testing::TestDatabase;
use carillon_testkit::*;

use crate::hook::{Hook, Request};
use crate::{all_delivered, assert_in_order_per_meeting, by_meeting, with_hook, Logged, PATIENCE};

/// Two meetings' events, interleaved: their streams are delivered side by side.
async fn workload(server: &Server) {
    let api = server.client();
    let a = create_meeting(&api).await.meeting_id.unwrap();
    let b = create_meeting(&api).await.meeting_id.unwrap();
    let mut a_attendees = Vec::new();
    for i in 0..3 {
        a_attendees.push(create_attendee(&api, &a, &format!("a{i}")).await);
        create_attendee(&api, &b, &format!("b{i}")).await;
    }
    let first = a_attendees[0].attendee_id().unwrap();
    api.delete_attendee()
        .meeting_id(&a)
        .attendee_id(first)
        .send()
        .await
        .unwrap();
    api.delete_meeting().meeting_id(&b).send().await.unwrap();
}

/// Every event of the log was delivered in the log's order per meeting; an event was sent again
/// only when the receiver had not acknowledged it, and none was sent before its predecessor in
/// the meeting was acknowledged.
fn assert_retried_in_order(hook: &Hook, log: &[Logged]) {
    assert_in_order_per_meeting(hook, log);
    let requests = hook.requests();
    let mut per_event: BTreeMap<&str, Vec<&Request>> = BTreeMap::new();
    for r in &requests {
        per_event.entry(&r.event_id).or_default().push(r);
    }
    for (id, attempts) in &per_event {
        let (last, before) = attempts.split_last().unwrap();
        assert!(last.ok(), "{id}: the last attempt failed");
        assert!(
            before.iter().all(|r| !r.ok()),
            "{id} was sent again after it was acknowledged"
        );
    }
    // Collapsing each event's attempts leaves the log's order: no event went out while one
    // before it in its meeting was still owed.
    let mut sent = by_meeting(requests.iter().map(|r| (&*r.meeting_id, &*r.event_id)));
    for attempts in sent.values_mut() {
        attempts.dedup();
    }
    let expected = by_meeting(log.iter().map(|e| (&*e.meeting_id, &*e.event_id)));
    assert_eq!(sent, expected, "attempts per meeting");
}

#[tokio::test]
async fn a_failing_receiver_gets_every_event_in_order() {
    failing_receiver(Options::in_memory()).await;
}

#[tokio::test]
async fn a_failing_receiver_gets_every_event_in_order_from_postgresql() {
    let Some(db) = TestDatabase::create("events_failing") else {
        return;
    };
    failing_receiver(Options::postgres(&db.url)).await;
}

/// The receiver fails its first five requests.
async fn failing_receiver(options: Options) {
    let hook = Hook::start().await;
    hook.fail_next(5);
    let server = Server::start(with_hook(options, &hook.url()));
    workload(&server).await;
    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_eq!(log.len(), 2 + 6 + 2, "{log:#?}");
    assert_retried_in_order(&hook, &log);
    let failed = hook.requests().iter().filter(|r| r.status == 500).count();
    assert_eq!(failed, 5, "the receiver's first five answers were failures");
    assert_eq!(
        hook.requests().len(),
        log.len() + 5,
        "each failure retried once"
    );
}

#[tokio::test]
async fn a_slow_receiver_gets_every_event_once_in_order() {
    let hook = Hook::start().await;
    hook.delay(Duration::from_millis(300));
    let server = Server::start(with_hook(Options::in_memory(), &hook.url()));
    workload(&server).await;
    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_retried_in_order(&hook, &log);
    assert_eq!(hook.requests().len(), log.len(), "nothing sent twice");
}

#[tokio::test]
async fn a_receiver_that_comes_up_late_gets_every_event_in_order() {
    let hook = Hook::unbound();
    let server = Server::start(with_hook(Options::in_memory(), &hook.url()));
    workload(&server).await;
    // Down long enough for several attempts of each stream to fail (the backoff tops at 500 ms).
    tokio::time::sleep(Duration::from_secs(2)).await;
    hook.listen().await;
    let log = all_delivered(&server, &hook, PATIENCE).await;
    assert_retried_in_order(&hook, &log);
    assert_eq!(hook.requests().len(), log.len(), "nothing sent twice");
}
