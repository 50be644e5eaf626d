//! A server killed while deliveries are in flight delivers, once restarted on its data, every
//! event of every API call that succeeded before the kill: at least once, in order per meeting.

use std::collections::HashSet;
use std::time::Duration;

use carillon_testkit::*;

use crate::hook::Hook;
use crate::{assert_in_order_per_meeting, counts, log, wait_until, with_hook, PATIENCE};

/// Long enough for the leases the killed process held to end (30 s) and what they held to be
/// delivered after them.
const AFTER_RESTART: Duration = Duration::from_secs(120);

#[tokio::test]
async fn events_acknowledged_before_a_kill_are_delivered_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let hook = Hook::start().await;
    hook.delay(Duration::from_millis(150));
    let options = || with_hook(Options::data_dir(dir.path()), &hook.url());
    let server = Server::start(options());
    let api = server.client();

    let with = api
        .create_meeting_with_attendees()
        .client_request_token(unique("tok"))
        .media_region(REGION)
        .external_meeting_id(unique("crash"))
        .set_attendees(Some((0..10).map(|i| item(&format!("first-{i}"))).collect()))
        .send()
        .await
        .unwrap();
    let big = with.meeting().unwrap().meeting_id().unwrap();
    let batch = api
        .batch_create_attendee()
        .meeting_id(big)
        .set_attendees(Some((0..40).map(|i| item(&format!("more-{i}"))).collect()))
        .send()
        .await
        .unwrap();
    assert_eq!(batch.attendees().len(), 40);
    let (small, _) = meeting_with(&server, ["xavier", "yvonne", "zoe"]).await;
    let small = small.meeting_id().unwrap();
    api.delete_meeting().meeting_id(small).send().await.unwrap();

    // Every call above succeeded: each of their events is owed.
    let owed = log(&server).await;
    assert_eq!(owed.len(), 1 + 10 + 40 + 1 + 3 + 1);
    wait_until("deliveries under way", PATIENCE, || async {
        (hook.requests().len() >= 5).then_some(())
    })
    .await;
    server.kill();
    let before = hook.requests().len();
    assert!(
        before < owed.len(),
        "the kill came after everything was delivered ({before} requests)"
    );

    hook.delay(Duration::ZERO);
    let server = Server::start(options());
    let owed_ids: HashSet<String> = owed.iter().map(|e| e.event_id.clone()).collect();
    wait_until("every owed event delivered", AFTER_RESTART, || async {
        let delivered = hook.delivered_ids();
        owed_ids.is_subset(&delivered).then_some(())
    })
    .await;
    // The log survived the kill as it was.
    let after: Vec<String> = log(&server).await.into_iter().map(|e| e.event_id).collect();
    let owed_in_order: Vec<String> = owed.iter().map(|e| e.event_id.clone()).collect();
    assert_eq!(after, owed_in_order);
    assert_in_order_per_meeting(&hook, &owed);
    // At least once: an event comes again only when the killed server may not have seen it
    // acknowledged, that is when it had been sent before the kill.
    let sent_before: HashSet<String> = hook.requests()[..before]
        .iter()
        .map(|r| r.event_id.clone())
        .collect();
    for (id, n) in counts(&hook) {
        assert!(n == 1 || sent_before.contains(&id), "{id} came {n} times");
    }
}
