//! The event log on a database file: events and deliveries survive reopening (a dead letter with
//! its error, positions that keep growing), the store wakes the log's readers after a write that
//! logged events, and events switched off write nothing at all.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::path::Path;

use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope, ENDED_AT_MS};
use carillon_core::events::outbox::{
    Claim, DeliveryOutcome, EventPosition, EventRouting, Settlement, Target,
};
use carillon_core::{Scope, Store};
use carillon_sqlite::SqliteStore;

const HOOK: &str = "webhook:durable";

fn routing() -> EventRouting {
    EventRouting {
        everywhere: vec![Target::Webhook("durable".into())],
        ..EventRouting::default()
    }
}

fn claim(now_ms: i64, per_stream: usize) -> Claim {
    Claim {
        now_ms,
        lease_until_ms: now_ms + 1_000,
        streams: 10,
        per_stream,
        targets: vec![HOOK.into()],
    }
}

/// A meeting with two attendees, one deleted, then ended: five events.
async fn busy_meeting(store: &SqliteStore, scope: &Scope) {
    let m = meeting_record(scope);
    let (a, b) = (attendee(&m, "a"), attendee(&m, "b"));
    let people = vec![a.into(), b.clone().into()];
    let id = &m.meeting_id;
    store
        .create_meeting(new_meeting(m.clone()), people)
        .await
        .unwrap();
    store
        .delete_attendee(scope, id, &b.attendee_id)
        .await
        .unwrap();
    store.end_meeting(scope, id, ENDED_AT_MS).await.unwrap();
}

fn count(path: &Path, table: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
            row.get(0)
        })
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_deliveries_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let scope = new_scope();
    let (logged, last, dead_key) = {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.last_event_position().await.unwrap(),
            EventPosition::START
        );
        store.set_event_routing(routing());
        busy_meeting(&store, &scope).await;
        let logged = store.events_after(EventPosition::START, 100).await.unwrap();
        let names: Vec<&str> = logged.iter().map(|e| e.event.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "chime:MeetingStarted",
                "chime:AttendeeAdded",
                "chime:AttendeeAdded",
                "chime:AttendeeDeleted",
                "chime:MeetingEnded"
            ]
        );
        let head = store.claim_deliveries(&claim(1_000, 1)).await.unwrap();
        assert_eq!(head.len(), 1);
        let dead = Settlement {
            key: head[0].key.clone(),
            claim: head[0].claim,
            outcome: DeliveryOutcome::Dead {
                error: "HTTP 410".into(),
                at_ms: 1_000,
            },
        };
        store.settle_deliveries(vec![dead]).await.unwrap();
        let last = store.last_event_position().await.unwrap();
        store.close().unwrap();
        (logged, last, head[0].key.clone())
    };
    assert_eq!(count(&path, "events"), 5);
    assert_eq!(count(&path, "event_deliveries"), 5);

    // A process that dies holding leases: the next one to open the file delivers at once.
    let leased = {
        let store = SqliteStore::open(&path).unwrap();
        let leased = store.claim_deliveries(&claim(2_000, 10)).await.unwrap();
        assert_eq!(leased.len(), 4);
        store.close().unwrap();
        leased
    };

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.events_after(EventPosition::START, 100).await.unwrap(),
        logged
    );
    assert_eq!(store.last_event_position().await.unwrap(), last);
    let dead = store.dead_letters(None, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (&dead[0].key, dead[0].attempts, dead[0].last_error.as_str()),
        (&dead_key, 1, "HTTP 410")
    );
    assert_eq!(dead[0].event, logged[0]);
    // The dead head no longer holds the stream back: the other four are claimed, in order.
    let rest = store.claim_deliveries(&claim(2_000, 10)).await.unwrap();
    assert_eq!(
        rest.iter().map(|d| &d.key).collect::<Vec<_>>(),
        leased.iter().map(|d| &d.key).collect::<Vec<_>>(),
        "claimed again within the old lease"
    );
    let seqs: Vec<i64> = rest.iter().map(|d| d.key.seq).collect();
    let expected: Vec<i64> = logged[1..].iter().map(|e| e.seq).collect();
    assert_eq!(seqs, expected);
    assert!(rest.iter().all(|d| d.attempts == 0));
    assert_eq!(store.replay_dead_letters(None, 2_000).await.unwrap(), 1);

    // New events come after the ones logged before reopening.
    store.set_event_routing(routing());
    store
        .create_meeting(new_meeting(meeting_record(&scope)), vec![])
        .await
        .unwrap();
    let newer = store.events_after(last, 10).await.unwrap();
    assert_eq!(newer.len(), 1);
    assert!(newer[0].position > last);
    store.close().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_of_the_log_are_woken_only_by_writes_that_log() {
    let store = SqliteStore::open_in_memory().unwrap();
    let mut logged = store.events_logged();
    let scope = new_scope();
    let m = meeting_record(&scope);
    store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    assert!(logged.has_changed().unwrap());
    logged.borrow_and_update();

    let tags = vec![carillon_core::conformance::tag("k", "v")];
    store
        .tag_meeting(&scope, &m.meeting_id, tags, 50)
        .await
        .unwrap();
    assert!(
        !logged.has_changed().unwrap(),
        "a write that causes no event"
    );
    store.set_event_routing(EventRouting::off());
    store
        .create_meeting(new_meeting(meeting_record(&scope)), vec![])
        .await
        .unwrap();
    assert!(!logged.has_changed().unwrap(), "events are off");
}

/// With events off no write leaves a row in the log or owes a delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_off_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let store = SqliteStore::open(&path).unwrap();
    store.set_event_routing(EventRouting {
        record: false,
        ..routing()
    });
    busy_meeting(&store, &new_scope()).await;
    store.close().unwrap();
    assert_eq!(count(&path, "events"), 0);
    assert_eq!(count(&path, "event_deliveries"), 0);
}
