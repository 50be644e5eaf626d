//! Schema migrations at open: `user_version` records them, reopening changes nothing, and a
//! database from a newer build is refused.

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
