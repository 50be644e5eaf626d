//! A rough measure of durable CreateAttendee throughput on a database file, with events off, with
//! each event logged, and with each also owed to a webhook. Ignored by default; run with
//! `cargo test --release -p carillon-sqlite --test throughput -- --ignored --nocapture`.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::sync::Arc;
use std::time::Instant;

use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope};
use carillon_core::events::outbox::{EventRouting, Target};
use carillon_core::{AttendeeOutcome, Store};
use carillon_sqlite::SqliteStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check"]
async fn create_attendee_throughput() {
    let webhook = EventRouting {
        everywhere: vec![Target::Webhook("bench".into())],
        ..EventRouting::default()
    };
    for (label, routing) in [
        ("events off", EventRouting::off()),
        ("events logged", EventRouting::default()),
        ("events logged and owed to a webhook", webhook),
    ] {
        measure(label, routing).await;
    }
}

async fn measure(label: &str, routing: EventRouting) {
    const MEETINGS: usize = 200;
    const CLIENTS: usize = 512;
    const PER_MEETING: usize = 250;

    let dir =
        tempfile::tempdir_in(std::env::var("CARILLON_BENCH_DIR").unwrap_or(".".into())).unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap());
    store.set_event_routing(routing);
    let scope = new_scope();
    let mut meetings = Vec::new();
    for _ in 0..MEETINGS {
        let m = meeting_record(&scope);
        store
            .create_meeting(new_meeting(m.clone()), vec![])
            .await
            .unwrap();
        meetings.push(m);
    }
    let meetings = Arc::new(meetings);
    let total = MEETINGS * PER_MEETING;
    let start = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (store, scope, meetings) = (store.clone(), scope.clone(), meetings.clone());
            tokio::spawn(async move {
                let mut created = 0;
                for n in (client..total).step_by(CLIENTS) {
                    let m = &meetings[n % MEETINGS];
                    let out = store
                        .create_attendees(
                            &scope,
                            &m.meeting_id,
                            vec![attendee(m, &format!("u{n}")).into()],
                        )
                        .await
                        .unwrap()
                        .unwrap();
                    created += usize::from(matches!(out[0], AttendeeOutcome::Created(_)));
                }
                created
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += task.await.unwrap();
    }
    let elapsed = start.elapsed();
    assert_eq!(created, total);
    eprintln!(
        "{label}: {total} durable CreateAttendee calls from {CLIENTS} clients in {elapsed:?}: \
         {:.0}/s",
        total as f64 / elapsed.as_secs_f64()
    );
}
