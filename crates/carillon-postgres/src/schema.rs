//! Migrations: the SQL files of `migrations/`, applied in order at start, each in its own
//! transaction with its version recorded in `carillon_migrations`.
//!
//! Several nodes may start at once against a new database: each takes the same session-level
//! advisory lock before looking at the applied versions, so exactly one applies a migration and
//! the others find it done. A database migrated by a newer Carillon (a version this binary does
//! not know) is refused rather than used with a schema it does not understand.

use carillon_core::{StoreError, StoreResult};
use tokio_postgres::Client;

use crate::error::Context;

/// The migrations, in order; the version of each is its position (from 1).
const MIGRATIONS: &[(&str, &str)] = &[
    ("initial", include_str!("../migrations/0001_initial.sql")),
    (
        "rate_buckets",
        include_str!("../migrations/0002_rate_buckets.sql"),
    ),
    (
        "lookup_indexes",
        include_str!("../migrations/0003_lookup_indexes.sql"),
    ),
    ("nodes", include_str!("../migrations/0004_nodes.sql")),
    (
        "lifecycle",
        include_str!("../migrations/0005_lifecycle.sql"),
    ),
    ("events", include_str!("../migrations/0006_events.sql")),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Held while migrating: "carillon" in ASCII.
const MIGRATION_LOCK: i64 = 0x6361_7269_6c6c_6f6e;

/// Brings the database to [`SCHEMA_VERSION`].
pub(crate) async fn migrate(client: &mut Client) -> StoreResult<()> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .context("waiting for the migration lock")?;
    let result = apply(client).await;
    let unlocked = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .context("releasing the migration lock");
    result.and(unlocked.map(drop))
}

async fn apply(client: &mut Client) -> StoreResult<()> {
    let exists: bool = client
        .query_one("SELECT to_regclass('carillon_migrations') IS NOT NULL", &[])
        .await
        .context("looking for the migrations table")?
        .get(0);
    if !exists {
        client
            .batch_execute(
                "CREATE TABLE carillon_migrations (
                 version    BIGINT      PRIMARY KEY,
                 name       TEXT        NOT NULL,
                 applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
             )",
            )
            .await
            .context("creating the migrations table")?;
    }
    let current: i64 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM carillon_migrations",
            &[],
        )
        .await
        .context("reading the schema version")?
        .get(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::new(format!(
            "postgres: the database is at schema version {current}, newer than this Carillon's \
             {SCHEMA_VERSION}: run a newer Carillon"
        )));
    }
    for (version, (name, sql)) in (1_i64..).zip(MIGRATIONS).skip(current as usize) {
        let tx = client.transaction().await.context("starting a migration")?;
        tx.batch_execute(sql)
            .await
            .context(&format!("applying migration {version} ({name})"))?;
        tx.execute(
            "INSERT INTO carillon_migrations (version, name) VALUES ($1, $2)",
            &[&version, name],
        )
        .await
        .context("recording a migration")?;
        tx.commit().await.context("committing a migration")?;
        tracing::info!(version, name, "applied a database migration");
    }
    Ok(())
}
