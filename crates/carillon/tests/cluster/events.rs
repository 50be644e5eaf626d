//! Meeting events with several nodes on one database: the nodes share the delivery work, each
//! event reaches the webhook once in normal operation, and in order per meeting.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use carillon_testkit::events::receiver::{self, header, verify, Received, Receiver, SECRET};
use carillon_testkit::*;

use super::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_deliver_each_event_once_in_order_per_meeting() {
    let hooks = Arc::new(Receiver::default());
    let url = receiver::serve(hooks.clone()).await;
    let flags = [
        "--webhook",
        &format!("app={url}"),
        "--webhook-secret",
        SECRET,
    ];
    let Some(cluster) = Cluster::start("events", 2, &flags) else {
        return;
    };
    let clients = cluster.clients();
    // Meetings and attendees created on both nodes at once.
    let mut tasks = tokio::task::JoinSet::new();
    for m in 0..20 {
        let client = clients[m % 2].clone();
        let other = clients[(m + 1) % 2].clone();
        tasks.spawn(async move {
            let meeting = create_meeting(&client).await;
            let id = meeting.meeting_id.unwrap();
            for u in 0..3 {
                let on = if u % 2 == 0 { &client } else { &other };
                create_attendee(on, &id, &format!("user-{u}")).await;
            }
            id
        });
    }
    let meetings = tasks.join_all().await;
    let expected = meetings.len() * 4;

    let deadline = Instant::now() + Duration::from_secs(30);
    while hooks.received.lock().unwrap().len() < expected {
        assert!(Instant::now() < deadline, "not every event arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Anything sent twice would have come by now.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = hooks.received();
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut ids = HashMap::new();
    let mut per_meeting: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for r in &received {
        assert!(
            verify(r, SECRET, now_s),
            "a request not signed as documented"
        );
        *ids.entry(header(r, "x-carillon-event-id").to_owned())
            .or_insert(0) += 1;
        let envelope: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        let detail = &envelope["detail"];
        per_meeting
            .entry(detail["meetingId"].as_str().unwrap().to_owned())
            .or_default()
            .push((
                detail["eventType"].as_str().unwrap().to_owned(),
                detail["timestamp"].as_i64().unwrap(),
            ));
    }
    assert_eq!(received.len(), expected, "each event once");
    assert!(ids.values().all(|n| *n == 1));
    for id in &meetings {
        let events = &per_meeting[id];
        let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "chime:MeetingStarted",
                "chime:AttendeeAdded",
                "chime:AttendeeAdded",
                "chime:AttendeeAdded"
            ],
            "{id}"
        );
        assert!(
            events.windows(2).all(|w| w[0].1 <= w[1].1),
            "{id}: out of order"
        );
    }
}

/// On PostgreSQL as on the embedded store: a meeting that expired while no node ran ends when the
/// next node starts, before its first request, and its `chime:MeetingEnded` is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_meeting_that_expired_while_no_node_ran_ends_at_start_and_says_so() {
    let Some(db) = carillon_postgres::testing::TestDatabase::create("expired") else {
        return;
    };
    let hooks = Arc::new(Receiver::default());
    let url = receiver::serve(hooks.clone()).await;
    let node = |idle: &str| {
        Server::start(
            Options::postgres(&db.url)
                .lifecycle(idle, "off")
                .arg("--webhook")
                .arg(&format!("app={url}"))
                .arg("--webhook-secret")
                .arg(SECRET),
        )
    };
    let first = node("2s");
    let meeting_id = create_meeting(&first.client()).await.meeting_id.unwrap();
    // Its start delivered first: a node killed mid-delivery holds its streams until their lease
    // runs out (30 s), which is not what this test is about.
    received_within(&hooks, "chime:MeetingStarted", &meeting_id).await;
    first.kill();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    let second = node("2s");
    assert!(meeting_ended(&second.client(), &meeting_id).await);
    let ended = received_within(&hooks, "chime:MeetingEnded", &meeting_id).await;
    assert_eq!(
        header(&ended, "x-carillon-event-type"),
        "chime:MeetingEnded"
    );
}

/// The first request carrying this event of this meeting, once it came (within 15 s).
async fn received_within(hooks: &Receiver, event_type: &str, meeting_id: &str) -> Received {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found = hooks.received().into_iter().find(|r| {
            let envelope: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            envelope["detail"]["eventType"] == event_type
                && envelope["detail"]["meetingId"] == meeting_id
        });
        if let Some(found) = found {
            return found;
        }
        assert!(Instant::now() < deadline, "no {event_type}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
