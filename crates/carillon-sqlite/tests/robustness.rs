//! Bad data and failing writes: errors, never panics, and a failing write spoils nothing else.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use std::sync::Arc;

use carillon_core::conformance::{attendee, meeting_record, new_meeting, new_scope};
use carillon_core::{AttendeeOutcome, NewAttendee, Store};
use carillon_sqlite::SqliteStore;

fn open(dir: &tempfile::TempDir) -> SqliteStore {
    SqliteStore::open(&dir.path().join("carillon.db")).unwrap()
}

fn raw(dir: &tempfile::TempDir) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.path().join("carillon.db")).unwrap()
}

#[tokio::test]
async fn corrupt_columns_are_store_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let scope = new_scope();
    let m = meeting_record(&scope);
    let a = attendee(&m, "u");
    store
        .create_meeting(new_meeting(m.clone()), vec![a.clone().into()])
        .await
        .unwrap();

    let raw = raw(&dir);
    raw.execute(
        "UPDATE meetings SET features = '{not json' WHERE meeting_id = ?1",
        [&m.meeting_id],
    )
    .unwrap();
    let err = store.get_meeting(&scope, &m.meeting_id).await.unwrap_err();
    assert!(err.to_string().contains("reading a meeting"), "{err}");
    // The replay reads the same row: an error too, not a panic.
    assert!(store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .is_err());

    raw.execute(
        "UPDATE meetings SET features = NULL, tenant_ids = '[1]' WHERE meeting_id = ?1",
        [&m.meeting_id],
    )
    .unwrap();
    assert!(store.get_meeting(&scope, &m.meeting_id).await.is_err());
    raw.execute(
        "UPDATE meetings SET tenant_ids = '[]', namespace = 'bogus' WHERE meeting_id = ?1",
        [&m.meeting_id],
    )
    .unwrap();
    // Under an unknown namespace the meeting belongs to no scope.
    assert_eq!(
        store.get_meeting(&scope, &m.meeting_id).await.unwrap(),
        None
    );
    raw.execute(
        "UPDATE meetings SET namespace = 'meetings' WHERE meeting_id = ?1",
        [&m.meeting_id],
    )
    .unwrap();
    assert!(store
        .get_meeting(&scope, &m.meeting_id)
        .await
        .unwrap()
        .is_some());

    raw.execute(
        "UPDATE attendees SET capabilities = '{\"Audio\":\"Loud\"}'",
        [],
    )
    .unwrap();
    assert!(store
        .get_attendee(&scope, &m.meeting_id, &a.attendee_id)
        .await
        .is_err());
    assert!(store
        .list_attendees(&scope, &m.meeting_id, None, 10)
        .await
        .is_err());
    // The writer thread is still fine.
    store.ping().await.unwrap();
    store.close().unwrap();
}

#[tokio::test]
async fn corrupt_rows_in_memory_are_store_errors_too() {
    // No raw access to a private in-memory database: a duplicate AttendeeId is the failure.
    let store = SqliteStore::open_in_memory().unwrap();
    let scope = new_scope();
    let m = meeting_record(&scope);
    let a = attendee(&m, "u1");
    store
        .create_meeting(new_meeting(m.clone()), vec![a.clone().into()])
        .await
        .unwrap();
    let mut clash = attendee(&m, "u2");
    clash.attendee_id.clone_from(&a.attendee_id);
    assert!(store
        .create_attendees(&scope, &m.meeting_id, vec![clash.into()])
        .await
        .is_err());
    store.ping().await.unwrap();
}

/// A write that fails inside a batch rolls back alone: its own earlier statements are undone,
/// the writes batched with it are committed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_write_rolls_back_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let scope = new_scope();
    let m = meeting_record(&scope);
    let first = attendee(&m, "first");
    store
        .create_meeting(new_meeting(m.clone()), vec![first.clone().into()])
        .await
        .unwrap();

    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (store, scope, m, first) = (store.clone(), scope.clone(), m.clone(), first.clone());
            tokio::spawn(async move {
                if i % 8 == 0 {
                    // A new attendee, then one whose AttendeeId clashes: the whole call fails.
                    let mut clash = attendee(&m, &format!("clash{i}"));
                    clash.attendee_id = first.attendee_id;
                    let result = store
                        .create_attendees(
                            &scope,
                            &m.meeting_id,
                            vec![attendee(&m, &format!("undone{i}")).into(), clash.into()],
                        )
                        .await;
                    assert!(result.is_err());
                    false
                } else {
                    let out = store
                        .create_attendees(
                            &scope,
                            &m.meeting_id,
                            vec![attendee(&m, &format!("u{i}")).into()],
                        )
                        .await
                        .unwrap()
                        .unwrap();
                    assert!(matches!(out[0], AttendeeOutcome::Created(_)));
                    true
                }
            })
        })
        .collect();
    let mut succeeded = 0;
    for task in tasks {
        succeeded += usize::from(task.await.unwrap());
    }
    assert_eq!(succeeded, 56);
    let page = store
        .list_attendees(&scope, &m.meeting_id, None, 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 1 + 56);
    assert!(page
        .items
        .iter()
        .all(|a| !a.external_user_id.starts_with("undone")));

    // The attendee count was rolled back with the rows: exactly the free slots remain.
    let free = 250 - 57;
    let more: Vec<NewAttendee> = (0..free + 1)
        .map(|i| attendee(&m, &format!("more{i}")).into())
        .collect();
    let out = store
        .create_attendees(&scope, &m.meeting_id, more)
        .await
        .unwrap()
        .unwrap();
    let created = out
        .iter()
        .filter(|o| matches!(o, AttendeeOutcome::Created(_)))
        .count();
    assert_eq!(created, free);
}

/// The conformance cap case, with real parallelism: tasks on several runtime threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_tasks_respect_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(open(&dir));
    let scope = new_scope();
    let m = meeting_record(&scope);
    store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let (store, scope, m) = (store.clone(), scope.clone(), m.clone());
            tokio::spawn(async move {
                let out = store
                    .create_attendees(
                        &scope,
                        &m.meeting_id,
                        vec![attendee(&m, &format!("u{}", i % 280)).into()],
                    )
                    .await
                    .unwrap()
                    .unwrap();
                matches!(out[0], AttendeeOutcome::Created(_))
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.unwrap());
    }
    assert_eq!(created, 250);
    let page = store
        .list_attendees(&scope, &m.meeting_id, None, 1000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.items.len(), 250);
}
