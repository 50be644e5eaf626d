//! The storage conformance suite against a database file and against an in-memory database.

use std::sync::Arc;

use carillon_sqlite::SqliteStore;

/// A store on a new file in a new temporary directory (removed with the guard).
fn file_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(&dir.path().join("carillon.db")).expect("open");
    (store, dir)
}

mod file {
    use super::*;
    carillon_core::store_conformance_tests!(file_store());
}

mod memory {
    use super::*;
    carillon_core::store_conformance_tests!((SqliteStore::open_in_memory().expect("open"), ()));
}

/// Every case, one after the other, on one shared store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_on_one_file() {
    let (store, _dir) = file_store();
    carillon_core::conformance::run_all(Arc::new(store)).await;
}
