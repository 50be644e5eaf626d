//! Reading the event log while transactions that write it are still running: a reader never
//! passes an event that commits later, and a transaction of another database holds nothing
//! back. Skipped, loudly, without PostgreSQL (a failure in CI).

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use carillon_core::conformance::{meeting_record, new_meeting, new_scope};
use carillon_core::events::outbox::{EventPosition, StoredEvent};
use carillon_core::Store;
use carillon_postgres::testing::TestDatabase;
use carillon_postgres::{PgConfig, PgStore};
use tokio_postgres::NoTls;

async fn raw(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

async fn read_all(store: &PgStore, from: EventPosition) -> Vec<StoredEvent> {
    let mut out = Vec::new();
    let mut after = from;
    loop {
        let page = store.events_after(after, 100).await.unwrap();
        let Some(last) = page.last() else {
            return out;
        };
        after = last.position;
        out.extend(page);
    }
}

/// Logs one event in a transaction of its own that stays open until the client commits it.
async fn open_transaction_with_event(client: &tokio_postgres::Client, meeting_id: &str) {
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute(
            "INSERT INTO events (event_id, meeting_id, account_id, source, name, at_ms, body) \
             VALUES (gen_random_uuid()::text, $1, '111122223333', 'client', 'slow', 0, '{}')",
            &[&meeting_id],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_never_passes_an_event_that_commits_later() {
    let Some(db) = TestDatabase::create("log") else {
        return;
    };
    let store = PgStore::connect(&PgConfig::new(db.url.clone()))
        .await
        .unwrap();
    let start = store.last_event_position().await.unwrap();

    // The slow transaction takes its id first, then a meeting is created and committed.
    let slow = raw(&db.url).await;
    open_transaction_with_event(&slow, "slow-meeting").await;
    let scope = new_scope();
    let record = meeting_record(&scope);
    store
        .create_meeting(new_meeting(record.clone()), vec![])
        .await
        .unwrap();
    assert!(
        read_all(&store, start).await.is_empty(),
        "the committed event is held back while an older transaction may still log one"
    );

    // Another database's open transaction holds nothing back here.
    let Some(other) = TestDatabase::create("log_other") else {
        return;
    };
    drop(
        PgStore::connect(&PgConfig::new(other.url.clone()))
            .await
            .unwrap(),
    );
    let elsewhere = raw(&other.url).await;
    open_transaction_with_event(&elsewhere, "elsewhere").await;

    slow.batch_execute("COMMIT").await.unwrap();
    let events = read_all(&store, start).await;
    let meetings: Vec<&str> = events.iter().map(|e| e.event.meeting_id.as_str()).collect();
    assert_eq!(meetings, ["slow-meeting", record.meeting_id.as_str()]);
    assert!(events[0].position < events[1].position);
    assert!(events[1].position < store.last_event_position().await.unwrap());
    elsewhere.batch_execute("ROLLBACK").await.unwrap();
}
