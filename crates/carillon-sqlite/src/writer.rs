//! The writer thread: the only connection that writes, and group commit.
//!
//! Callers send jobs over a bounded channel (a full channel makes them wait: back-pressure). The
//! thread takes whatever is queued, up to [`MAX_BATCH`] jobs, runs them in one transaction, each
//! inside its own SAVEPOINT so that a job that fails rolls back alone, commits once (one fsync
//! for the whole batch) and only then answers each job. Serializing every write on this thread
//! is what makes the check-then-insert invariants (ClientRequestToken, ExternalUserId, attendee
//! and replica caps) safe without further locking.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

use carillon_core::{StoreError, StoreResult};
use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

/// The most jobs one transaction holds. Bounds how long the first job of a batch waits for the
/// commit and how much a failed commit takes down with it.
const MAX_BATCH: usize = 256;

/// Jobs waiting for the writer before senders have to wait.
const QUEUE: usize = 4 * MAX_BATCH;

/// Answers a job once its batch is committed (`None`) or has failed (`Some(error)`).
type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;

trait Job: Send {
    /// Runs on the writer's connection inside the batch transaction; says whether it succeeded
    /// (else its savepoint is rolled back) and how to answer it once the batch is decided.
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply);

    /// Answers without running.
    fn fail(self: Box<Self>, error: &StoreError);
}

/// Told of a job's result once it is committed, whether or not its caller still waits.
pub(crate) type OnCommit<T> = Box<dyn FnOnce(&T) + Send>;

struct Work<T, F> {
    work: F,
    on_commit: Option<OnCommit<T>>,
    answer: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Work<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> (bool, Reply) {
        let Work {
            work,
            on_commit,
            answer,
        } = *self;
        let result = work(conn);
        let ok = result.is_ok();
        let reply: Reply = Box::new(move |failed| {
            let result = match (failed, result) {
                (Some(e), Ok(_)) => Err(not_committed(e)),
                (_, result) => result,
            };
            if let (Ok(value), Some(on_commit)) = (&result, on_commit) {
                on_commit(value);
            }
            // The caller may have gone away; the write stands regardless.
            let _ = answer.send(result);
        });
        (ok, reply)
    }

    fn fail(self: Box<Self>, error: &StoreError) {
        let _ = self.answer.send(Err(not_committed(error)));
    }
}

fn not_committed(e: &StoreError) -> StoreError {
    StoreError::new(format!("sqlite: the transaction was not committed: {e}"))
}

pub(crate) struct Writer {
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<StoreResult<()>>>,
}

impl Writer {
    /// Starts the thread that owns `conn`. `checkpoint` asks for a WAL checkpoint at shutdown.
    pub(crate) fn spawn(conn: Connection, checkpoint: bool) -> StoreResult<Self> {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("carillon-sqlite-writer".into())
            .spawn(move || run(conn, queue, checkpoint))
            .map_err(|e| StoreError::new(format!("sqlite: starting the writer thread: {e}")))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `work` in the writer's next transaction and returns its result once committed. A
    /// failed commit turns a success into an error: nothing is acknowledged that is not on disk.
    pub(crate) async fn run<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.run_then(work, None).await
    }

    /// As [`Writer::run`], and `on_commit` sees the result once committed, on the writer thread,
    /// even when the caller has stopped waiting: what must follow every committed write (telling
    /// live sessions) cannot be skipped by a client that went away.
    pub(crate) async fn run_then<T, F>(
        &self,
        work: F,
        on_commit: Option<OnCommit<T>>,
    ) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Box<dyn Job> = Box::new(Work {
            work,
            on_commit,
            answer,
        });
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| StoreError::new("sqlite: the store is closed"))?;
        jobs.send(job)
            .await
            .map_err(|_| StoreError::new("sqlite: the writer thread has stopped"))?;
        answered
            .await
            .map_err(|_| StoreError::new("sqlite: the write was abandoned without an answer"))?
    }

    /// Lets the thread finish the queued jobs, checkpoint and close its connection; waits for it.
    pub(crate) fn close(&mut self) -> StoreResult<()> {
        self.jobs = None;
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| StoreError::new("sqlite: the writer thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::error!(error = %e, "closing the sqlite store");
        }
    }
}

fn run(
    conn: Connection,
    mut queue: mpsc::Receiver<Box<dyn Job>>,
    checkpoint: bool,
) -> StoreResult<()> {
    let mut batch = VecDeque::with_capacity(MAX_BATCH);
    while let Some(first) = queue.blocking_recv() {
        batch.push_back(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push_back(job),
                Err(_) => break,
            }
        }
        while !batch.is_empty() {
            run_batch(&conn, &mut batch);
        }
    }
    if checkpoint {
        // Fold the WAL back into the database so that the file alone is complete.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| StoreError::new(format!("sqlite: checkpoint at shutdown: {e}")))?;
    }
    conn.close()
        .map_err(|(_, e)| StoreError::new(format!("sqlite: closing the database: {e}")))
}

/// Runs jobs from the front of `batch` in one transaction and answers them. Returns with jobs
/// still queued only when the transaction was lost half-way (SQLite rolls back the whole
/// transaction on some errors, e.g. a full disk); those get a fresh transaction.
fn run_batch(conn: &Connection, batch: &mut VecDeque<Box<dyn Job>>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        let e = context("starting a transaction", e);
        batch.drain(..).for_each(|job| job.fail(&e));
        return;
    }
    let mut replies: Vec<Reply> = Vec::with_capacity(batch.len());
    let mut lost = None;
    while let Some(job) = batch.pop_front() {
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            let e = context("starting a savepoint", e);
            job.fail(&e);
            lost = Some(e);
            break;
        }
        // A panicking job (a bug) fails alone: its savepoint is rolled back and its caller,
        // whose answer channel is dropped, gets an error; the thread and the batch carry on.
        let (ok, reply) = std::panic::catch_unwind(AssertUnwindSafe(|| job.run(conn)))
            .unwrap_or_else(|_| {
                tracing::error!("a sqlite write job panicked");
                (false, Box::new(|_| {}))
            });
        replies.push(reply);
        let end = if ok {
            exec(conn, "RELEASE job")
        } else {
            exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
        };
        if let Err(e) = end {
            lost = Some(context("ending a savepoint", e));
            break;
        }
        if conn.is_autocommit() {
            lost = Some(StoreError::new(
                "sqlite: the transaction was rolled back by an error",
            ));
            break;
        }
    }
    let outcome = match lost {
        Some(e) => Err(e),
        None => exec(conn, "COMMIT").map_err(|e| context("committing", e)),
    };
    match outcome {
        Ok(()) => {
            tracing::trace!(jobs = replies.len(), "sqlite batch committed");
            replies.into_iter().for_each(|reply| reply(None));
        }
        Err(e) => {
            tracing::error!(error = %e, jobs = replies.len(), "sqlite batch failed");
            if !conn.is_autocommit() {
                if let Err(e) = exec(conn, "ROLLBACK") {
                    tracing::error!(error = %e, "sqlite rollback failed");
                }
            }
            replies.into_iter().for_each(|reply| reply(Some(&e)));
        }
    }
}

fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn context(what: &str, e: rusqlite::Error) -> StoreError {
    StoreError::new(format!("sqlite: {what}: {e}"))
}
