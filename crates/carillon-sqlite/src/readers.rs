//! Reads on a pool of read-only connections (file databases only).
//!
//! WAL lets these read while the writer writes, each from the last committed state, and the
//! writer answers only after committing, so a read always sees every write acknowledged before
//! it started.
//!
//! A read runs on the task's own thread, not on a thread of its own. A read is one or two
//! indexed lookups in pages that are almost always in SQLite's cache (a few microseconds), and
//! WAL readers never wait for the writer; handing each read to another thread
//! (`spawn_blocking`) cost two context switches per request, which profiles showed as the
//! largest single cost of a GetAttendee (a third of the CPU time, in the scheduler). A
//! connection is taken from the idle list for the read and put back after; at most one per
//! runtime thread is in use at once, and one is opened when none is idle. Each keeps its prepared
//! statements cached.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use carillon_core::StoreResult;
use rusqlite::Connection;

use crate::error::Context;
use crate::schema;

pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReadPool {
    /// Opens `size` read-only connections to a database the writer has migrated.
    pub(crate) fn open(path: &Path, size: usize) -> StoreResult<Arc<Self>> {
        let idle = (0..size)
            .map(|_| schema::open_reader(path))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Arc::new(ReadPool {
            path: path.to_owned(),
            idle: Mutex::new(idle),
        }))
    }

    /// Runs `read` in one read transaction, so that its statements see one state. BEGIN and
    /// COMMIT are cached statements like the others (`Connection::transaction` parses them
    /// anew each time). A connection left inside a transaction is not reused.
    pub(crate) fn run<T, F>(&self, read: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T>,
    {
        self.run_statement(|conn| {
            execute_cached(conn, "BEGIN").and_then(|()| {
                let read = read(conn);
                // Nothing to commit: this ends the transaction and lets go of its snapshot. A
                // failed read reports its own error first.
                let ended = execute_cached(conn, "COMMIT");
                read.and_then(|value| ended.map(|()| value))
            })
        })
    }

    /// Runs `read`, which runs a single statement, outside an explicit transaction: one
    /// statement is atomic and reads one state by itself, so BEGIN and COMMIT would be two
    /// statements more for nothing.
    pub(crate) fn run_statement<T, F>(&self, read: F) -> StoreResult<T>
    where
        F: FnOnce(&Connection) -> StoreResult<T>,
    {
        let conn = self.take()?;
        let result = read(&conn);
        if conn.is_autocommit() {
            self.give_back(conn);
        }
        result
    }

    fn take(&self) -> StoreResult<Connection> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(conn) => Ok(conn),
            None => schema::open_reader(&self.path),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(conn);
        }
    }
}

fn execute_cached(conn: &Connection, statement: &str) -> StoreResult<()> {
    conn.prepare_cached(statement)
        .and_then(|mut stmt| stmt.execute([]))
        .map(drop)
        .context(statement)
}
