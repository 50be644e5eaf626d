//! Carillon's embedded store: one SQLite database file (or a throwaway in-memory database).
//!
//! - One writer thread owns the only read-write connection and commits the writes queued by
//!   concurrent requests together (group commit, one fsync per batch); see the `writer` module.
//! - Reads of a file database run on a small pool of read-only connections; see the `readers`
//!   module.
//!   An in-memory database exists only inside its one connection, so there every operation goes
//!   through the writer.
//! - The schema is migrated at open; see the `schema` module and the `migrations/` directory.
//! - [`carillon_core::Store`] is implemented in the `store` module, each operation by the
//!   function of the `meetings`, `attendees` or `tags` module that holds its statements.

mod attendees;
mod error;
mod lifecycle;
mod meetings;
mod readers;
mod rows;
mod schema;
mod sql;
mod store;
mod tags;
mod writer;

use std::path::Path;
use std::sync::Arc;

use carillon_core::{ChangeBus, StoreResult};
use rusqlite::Connection;

use crate::readers::ReadPool;
use crate::writer::Writer;

pub use schema::SCHEMA_VERSION;

/// Read-only connections of a file database opened at start (more are opened if every one is in
/// use at once, which takes more runtime threads than that).
const READERS: usize = 4;

/// The SQLite implementation of [`carillon_core::Store`]. Dropping it (or [`SqliteStore::close`]) lets the writer
/// finish the queued writes, then checkpoints the WAL into the database file.
pub struct SqliteStore {
    // Dropped before the writer, so that the shutdown checkpoint is not held back by readers.
    reads: Reads,
    writer: Writer,
    changes: ChangeBus,
}

enum Reads {
    Pool(Arc<ReadPool>),
    /// In memory: reads go through the writer thread, which owns the only connection.
    Writer,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file at `path`, migrating its schema. WAL journal,
    /// `synchronous=FULL`: an acknowledged write survives a crash or power loss.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let conn = schema::open_writer(path)?;
        let reads = Reads::Pool(ReadPool::open(path, READERS)?);
        Ok(SqliteStore {
            reads,
            writer: Writer::spawn(conn, true)?,
            changes: ChangeBus::default(),
        })
    }

    /// A private in-memory database, gone when the store is dropped.
    pub fn open_in_memory() -> StoreResult<Self> {
        let conn = schema::open_memory()?;
        Ok(SqliteStore {
            reads: Reads::Writer,
            writer: Writer::spawn(conn, false)?,
            changes: ChangeBus::default(),
        })
    }

    /// Finishes the queued writes, checkpoints and closes the database, reporting any failure
    /// (dropping the store does the same and logs it).
    pub fn close(mut self) -> StoreResult<()> {
        self.reads = Reads::Writer;
        self.writer.close()
    }

    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.writer.run(work).await
    }

    async fn read<T, F>(&self, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        match &self.reads {
            Reads::Pool(pool) => pool.run(read),
            Reads::Writer => self.writer.run(read).await,
        }
    }
}
