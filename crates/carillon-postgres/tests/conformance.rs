//! The storage conformance suite against PostgreSQL: each case on a database of its own, and all
//! cases in turn on one shared database. Skipped, loudly, when no PostgreSQL server is reachable
//! (a failure in CI); see `carillon_postgres::testing`.

use std::sync::Arc;

use carillon_postgres::testing::TestDatabase;
use carillon_postgres::{PgConfig, PgStore};

/// A store on a new database (dropped with the guard), or `None` to skip.
async fn store(label: &str) -> Option<(PgStore, TestDatabase)> {
    let db = TestDatabase::create(label)?;
    // The cases check rules under concurrency, not latency: hundreds of writes to one meeting
    // queue on its row lock, and on a busy machine the default 2 s wait for a connection can
    // pass before their turn comes.
    let mut config = PgConfig::new(db.url.clone());
    config.acquire_timeout = std::time::Duration::from_secs(30);
    let store = PgStore::connect(&config).await.expect("connect");
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
