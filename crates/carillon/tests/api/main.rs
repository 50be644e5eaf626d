//! The two APIs of one server: every operation of the Chime SDK Meetings API through the
//! official AWS SDK for Rust, invariants under concurrent requests and across restarts, wire
//! details with raw HTTP requests, a table of hostile requests, and the legacy `chime` meeting
//! API. Most tests share one in-memory server ([`carillon_testkit::shared_server`]); those
//! that restart or damage one start their own.

#![allow(clippy::unwrap_used)] // Helpers of tests unwrap as tests do.

mod admin_cli;
mod attendees;
mod capabilities;
mod concurrency;
mod durability;
mod harness;
mod hostile;
mod isolation;
mod legacy;
mod lifecycle;
mod meetings;
mod pagination;
mod quotas_cli;
mod tags;
mod time;
mod transcription;
mod validation;
mod wire;

use carillon_postgres::testing::TestDatabase;
use carillon_testkit::Options;

/// Both stores: the embedded one (in memory), and PostgreSQL in a database of its own when a
/// server is reachable. Keep the database until the server is stopped.
pub fn each_store(label: &str) -> Vec<(Options, Option<TestDatabase>)> {
    let mut stores = vec![(Options::in_memory(), None)];
    if let Some(db) = TestDatabase::create(label) {
        stores.push((Options::postgres(&db.url), Some(db)));
    }
    stores
}
