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
//! - Events are recorded by the writes that cause them, in their transaction (`events`), and
//!   their deliveries claimed and settled on the writer (`deliveries`).

mod admin;
mod attendees;
mod deliveries;
mod error;
mod events;
mod hot;
mod lifecycle;
mod meetings;
mod readers;
mod rows;
mod schema;
mod scoped;
mod sql;
mod store;
mod tags;
mod writer;

use std::path::Path;
use std::sync::{Arc, RwLock};

use carillon_core::events::outbox::EventRouting;
use carillon_core::{ChangeBus, StoreResult};
use rusqlite::Connection;
use tokio::sync::watch;

use crate::events::Recorder;
use crate::hot::{Changed, Hot};
use crate::readers::ReadPool;
use crate::writer::{OnCommit, Writer};

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
    /// What writes record from now on; each write takes the routing current when it is asked.
    routing: RwLock<Arc<EventRouting>>,
    /// Bumped once a committed write has logged events.
    logged: Arc<watch::Sender<u64>>,
    /// Hot meetings and attendees; every write forgets there what it changed.
    hot: Arc<Hot>,
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
        let released = deliveries::release_all(&conn)?;
        if released > 0 {
            tracing::info!(
                deliveries = released,
                "event deliveries left leased by a stopped process are due again"
            );
        }
        let reads = Reads::Pool(ReadPool::open(path, READERS)?);
        Ok(SqliteStore::with(reads, Writer::spawn(conn, true)?))
    }

    /// A private in-memory database, gone when the store is dropped.
    pub fn open_in_memory() -> StoreResult<Self> {
        let conn = schema::open_memory()?;
        Ok(SqliteStore::with(
            Reads::Writer,
            Writer::spawn(conn, false)?,
        ))
    }

    fn with(reads: Reads, writer: Writer) -> Self {
        SqliteStore {
            reads,
            writer,
            changes: ChangeBus::default(),
            routing: RwLock::new(Arc::new(EventRouting::default())),
            logged: Arc::new(watch::channel(0).0),
            hot: Arc::default(),
        }
    }

    /// Finishes the queued writes, checkpoints and closes the database, reporting any failure
    /// (dropping the store does the same and logs it).
    pub fn close(mut self) -> StoreResult<()> {
        self.reads = Reads::Writer;
        self.writer.close()
    }

    /// A write; once committed, the records it `changed` (given its result) are forgotten by the
    /// hot cache, before the write is acknowledged.
    async fn write<T, F, C>(&self, changed: C, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
        C: FnOnce(&T) -> Changed + Send + 'static,
    {
        let hot = self.hot.clone();
        let forget: OnCommit<T> = Box::new(move |value| hot.forget(&changed(value)));
        self.writer.run_then(work, Some(forget)).await
    }

    /// A write that may record events: `work` records them through the [`Recorder`] it is given,
    /// routed as the store's routing is now. Once committed, the records it `changed` are
    /// forgotten as by [`Self::write`], `then` sees the result, and the readers of the log are
    /// woken when the write logged any.
    async fn write_recording<T, F, C>(
        &self,
        changed: C,
        work: F,
        then: Option<OnCommit<T>>,
    ) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &Recorder) -> StoreResult<T> + Send + 'static,
        C: FnOnce(&T) -> Changed + Send + 'static,
    {
        let routing = self.routing();
        let logged = self.logged.clone();
        let hot = self.hot.clone();
        let (value, _) = self
            .writer
            .run_then(
                move |conn| {
                    let rec = Recorder::new(routing);
                    let value = work(conn, &rec)?;
                    Ok((value, rec.logged()))
                },
                Some(Box::new(move |(value, count): &(T, usize)| {
                    hot.forget(&changed(value));
                    if *count > 0 {
                        logged.send_modify(|n| *n = n.wrapping_add(1));
                    }
                    if let Some(then) = then {
                        then(value);
                    }
                })),
            )
            .await?;
        Ok(value)
    }

    fn routing(&self) -> Arc<EventRouting> {
        // A panic while the lock was held cannot have left a half-written Arc behind.
        match self.routing.read() {
            Ok(routing) => routing.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set_routing(&self, routing: EventRouting) {
        let routing = Arc::new(routing);
        match self.routing.write() {
            Ok(mut current) => *current = routing,
            Err(poisoned) => *poisoned.into_inner() = routing,
        }
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

    /// As [`Self::read`], for a read whose answer comes from one statement (see
    /// [`ReadPool::run_statement`]). Any further statement only feeds the hot cache, which
    /// checks by itself that nothing changed meanwhile (`hot::Ticket`).
    async fn read_statement<T, F>(&self, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        match &self.reads {
            Reads::Pool(pool) => pool.run_statement(read),
            Reads::Writer => self.writer.run(read).await,
        }
    }
}
