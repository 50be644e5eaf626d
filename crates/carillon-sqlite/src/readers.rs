//! Reads on a small pool of read-only connections (file databases only).
//!
//! WAL lets these read while the writer writes, each from the last committed state, and the
//! writer answers only after committing, so a read always sees every write acknowledged before
//! it started. Reads run through `tokio::task::spawn_blocking` rather than on dedicated reader
//! threads: a read is one or two indexed lookups (a page of at most a few hundred rows), so one
//! hop to tokio's pool of blocking threads costs the same as a hop to a reader thread, needs no
//! multi-consumer queue, and leaves no idle threads behind. A semaphore with one permit per
//! connection bounds the reads in flight, so a read that holds a permit always finds a
//! connection (each keeps its prepared statements cached); a connection lost to a panic is
//! replaced by a fresh one.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use carillon_core::{StoreError, StoreResult};
use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::error::Context;
use crate::schema;

pub(crate) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
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
            permits: Arc::new(Semaphore::new(size)),
        }))
    }

    /// Runs `read` in one read transaction, so that its statements see one state.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, read: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::new("sqlite: the read pool is closed"))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = pool.take()?;
            let result = conn
                .transaction()
                .context("starting a read transaction")
                .and_then(|tx| read(&tx));
            pool.give_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::new(format!("sqlite: a read failed: {e}")))?
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
