//! What recording events costs CreateAttendee: the same run of single-attendee creations with
//! events recorded (the default routing, and with a webhook owed each event) and with events
//! off, alternated so that neither gets a warmer database. A measurement, run by hand:
//!
//! ```text
//! cargo test -p carillon-postgres --release --test events_cost -- --ignored --nocapture
//! ```

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::time::{Duration, Instant};

use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope};
use carillon_core::events::outbox::{EventRouting, Target};
use carillon_core::Store;
use carillon_postgres::testing::TestDatabase;
use carillon_postgres::{PgConfig, PgStore};

const CREATIONS: usize = 2000;
/// Attendees per meeting (under the default cap of 250).
const PER_MEETING: usize = 200;

/// `CREATIONS` CreateAttendee calls of one attendee each, one after another.
async fn run(store: &PgStore) -> Duration {
    let scope = new_scope();
    let mut meetings = Vec::new();
    for _ in 0..CREATIONS.div_ceil(PER_MEETING) {
        let record = meeting_record(&scope);
        store
            .create_meeting(new_meeting(record.clone()), vec![])
            .await
            .unwrap();
        meetings.push(record);
    }
    let started = Instant::now();
    for i in 0..CREATIONS {
        let meeting = &meetings[i / PER_MEETING];
        let one = vec![attendee(meeting, &format!("user-{i}")).into()];
        let created = store
            .create_attendees(&scope, &meeting.meeting_id, one)
            .await
            .unwrap();
        assert!(created.is_some());
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, run by hand"]
async fn create_attendees_with_and_without_events() {
    let Some(db) = TestDatabase::create("cost") else {
        return;
    };
    let store = PgStore::connect(&PgConfig::new(db.url.clone()))
        .await
        .unwrap();
    let webhook = EventRouting {
        everywhere: vec![Target::Webhook("bench".into())],
        ..EventRouting::default()
    };
    let modes = [
        ("events off", EventRouting::off()),
        ("events logged", EventRouting::default()),
        ("events logged + 1 delivery", webhook),
    ];
    store.set_event_routing(EventRouting::off());
    run(&store).await; // warm-up
    for round in 1..=3 {
        for (name, routing) in &modes {
            store.set_event_routing(routing.clone());
            let took = run(&store).await;
            let per_call = took / CREATIONS as u32;
            println!("round {round}: {name:<28} {CREATIONS} calls in {took:>10.2?} ({per_call:.1?}/call)");
        }
    }
}
