//! Schema migrations at open: `user_version` records them, reopening changes nothing, and a
//! database from a newer build is refused.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

use carillon_core::conformance::{meeting_record, new_meeting, new_scope};
use carillon_core::Store;
use carillon_sqlite::{SqliteStore, SCHEMA_VERSION};

fn user_version(path: &std::path::Path) -> u32 {
    rusqlite::Connection::open(path)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

#[tokio::test]
async fn open_sets_the_version_and_reopening_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let scope = new_scope();
    let m = meeting_record(&scope);
    let store = SqliteStore::open(&path).unwrap();
    store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    store.close().unwrap();
    assert_eq!(user_version(&path), SCHEMA_VERSION);

    for _ in 0..2 {
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(
            store.get_meeting(&scope, &m.meeting_id).await.unwrap(),
            Some(m.clone())
        );
        store.close().unwrap();
        assert_eq!(user_version(&path), SCHEMA_VERSION);
    }
}

#[test]
fn a_newer_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    SqliteStore::open(&path).unwrap().close().unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = SqliteStore::open(&path).err().expect("refused");
    assert!(err.to_string().contains("newer"), "{err}");
    assert_eq!(user_version(&path), SCHEMA_VERSION + 1, "left untouched");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    std::fs::write(&path, vec![0x5a; 8192]).unwrap();
    assert!(SqliteStore::open(&path).is_err());
}

#[test]
fn in_memory_stores_are_separate() {
    let _a = SqliteStore::open_in_memory().unwrap();
    let _b = SqliteStore::open_in_memory().unwrap();
}

/// What the current version writes for an attendee: capabilities as three letters, a JoinToken
/// as the 16 bytes of its random half; both read back as they were given.
#[tokio::test]
async fn attendees_are_stored_compactly() {
    use carillon_core::conformance::{attendee, with_tags};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carillon.db");
    let scope = new_scope();
    let m = meeting_record(&scope);
    let a = attendee(&m, "compact");
    let store = SqliteStore::open(&path).unwrap();
    store
        .create_meeting(new_meeting(m.clone()), vec![])
        .await
        .unwrap();
    store
        .create_attendees(&scope, &m.meeting_id, vec![with_tags(a.clone(), vec![])])
        .await
        .unwrap();
    store.close().unwrap();

    let (token_type, token_len, capabilities): (String, i64, String) =
        rusqlite::Connection::open(&path)
            .unwrap()
            .query_row(
                "SELECT typeof(join_token), length(join_token), capabilities FROM attendees",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .unwrap();
    assert_eq!((token_type.as_str(), token_len), ("blob", 16));
    assert_eq!(capabilities, "BBB");

    let store = SqliteStore::open(&path).unwrap();
    let found = store
        .get_attendee(&scope, &m.meeting_id, &a.attendee_id)
        .await
        .unwrap();
    assert!(found == carillon_core::AttendeeLookup::Found(a.clone()));
    store.close().unwrap();
}
