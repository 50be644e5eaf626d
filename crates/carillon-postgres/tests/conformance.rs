//! The storage conformance suite against PostgreSQL: each case on a database of its own, and all
//! cases in turn on one shared database. Skipped, loudly, when no PostgreSQL server is reachable
//! (a failure in CI); see `carillon_postgres::testing`.

use std::sync::Arc;

use carillon_postgres::testing::TestDatabase;
use carillon_postgres::{PgConfig, PgStore};

/// A store on a new database (dropped with the guard), or `None` to skip.
async fn store(label: &str) -> Option<(PgStore, TestDatabase)> {
    let db = TestDatabase::create(label)?;
    let store = PgStore::connect(&PgConfig::new(db.url.clone()))
        .await
        .expect("connect");
    Some((store, db))
}

mod postgres {
    use super::*;

    carillon_core::store_conformance_tests!(match store("case").await {
        Some(pair) => pair,
        None => return,
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all_on_one_database() {
    let Some((store, _db)) = store("all").await else {
        return;
    };
    carillon_core::conformance::run_all(Arc::new(store)).await;
}
