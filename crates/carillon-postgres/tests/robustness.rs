//! What the PostgreSQL store does beyond the conformance suite: several nodes migrating one new
//! database at once, a database from a newer Carillon, a saturated pool, a lock that outlasts
//! the operation timeout, and an unreachable server. Skipped, loudly, without PostgreSQL (a
//! failure in CI).

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::time::{Duration, Instant};

use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope};
use carillon_core::{CreateMeetingOutcome, Store};
use carillon_postgres::testing::TestDatabase;
use carillon_postgres::{PgConfig, PgStore, SCHEMA_VERSION};
use tokio_postgres::NoTls;

async fn raw(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await.unwrap();
    tokio::spawn(connection);
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    let Some(db) = TestDatabase::create("migrate") else {
        return;
    };
    let config = PgConfig::new(db.url.clone());
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let config = config.clone();
            tokio::spawn(async move { PgStore::connect(&config).await })
        })
        .collect();
    let mut stores = Vec::new();
    for start in starts {
        stores.push(start.await.unwrap().expect("every node starts"));
    }
    let client = raw(&db.url).await;
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM carillon_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    // Every node works on the same data.
    let scope = new_scope();
    let m = meeting_record(&scope);
    stores[0]
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    for store in &stores {
        assert!(store
            .get_meeting(&scope, &m.meeting_id)
            .await
            .unwrap()
            .is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_a_newer_carillon_is_refused() {
    let Some(db) = TestDatabase::create("newer") else {
        return;
    };
    drop(
        PgStore::connect(&PgConfig::new(db.url.clone()))
            .await
            .unwrap(),
    );
    raw(&db.url)
        .await
        .execute(
            "INSERT INTO carillon_migrations (version, name) VALUES ($1, 'future')",
            &[&(SCHEMA_VERSION + 1)],
        )
        .await
        .unwrap();
    let err = PgStore::connect(&PgConfig::new(db.url.clone()))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(!err.is_unavailable());
}

/// One pooled connection, stuck behind a row lock held elsewhere: the next request gets 503
/// after the acquire timeout instead of queueing forever, the stuck one after the operation
/// timeout, and once the lock goes the store serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saturated_pool_answers_unavailable_and_recovers() {
    let Some(db) = TestDatabase::create("pool") else {
        return;
    };
    let mut config = PgConfig::new(db.url.clone());
    config.max_connections = 1;
    config.acquire_timeout = Duration::from_millis(300);
    config.operation_timeout = Duration::from_millis(1500);
    let store = std::sync::Arc::new(PgStore::connect(&config).await.unwrap());
    let scope = new_scope();
    let m = meeting_record(&scope);
    let outcome = store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    assert!(matches!(outcome, CreateMeetingOutcome::Created { .. }));

    let mut locker = raw(&db.url).await;
    let tx = locker.transaction().await.unwrap();
    tx.execute(
        "SELECT 1 FROM meetings WHERE meeting_id = $1 FOR UPDATE",
        &[&m.meeting_id],
    )
    .await
    .unwrap();

    let stuck = {
        let (store, scope, m) = (store.clone(), scope.clone(), m.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let result = store
                .create_attendees(&scope, &m.meeting_id, vec![attendee(&m, "u1").into()])
                .await;
            (result, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let err = store.get_meeting(&scope, &m.meeting_id).await.unwrap_err();
    let waited = started.elapsed();
    assert!(err.is_unavailable(), "{err}");
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_millis(1200),
        "{waited:?}"
    );
    let (result, took) = stuck.await.unwrap();
    let err = result.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(took < Duration::from_secs(3), "{took:?}");

    tx.rollback().await.unwrap();
    // The timed-out attempt left nothing behind, and the store serves again.
    let outcomes = store
        .create_attendees(&scope, &m.meeting_id, vec![attendee(&m, "u1").into()])
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        outcomes[0],
        carillon_core::AttendeeOutcome::Created(_)
    ));
    assert!(store
        .get_meeting(&scope, &m.meeting_id)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // A port nothing listens on (bound then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = PgConfig::new(format!("postgres://postgres@127.0.0.1:{port}/none"));
    config.acquire_timeout = Duration::from_millis(500);
    let err = PgStore::connect(&config).await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
}
