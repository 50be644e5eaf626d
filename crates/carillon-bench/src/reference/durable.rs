//! The unavoidable-work mode's storage: every write is committed to a SQLite file before it is
//! answered, with group commit.
//!
//! One writer thread owns the only connection. Handlers send it their write and wait; it takes
//! the first write waiting and every other one queued behind it, inserts them all in one
//! transaction, commits once (one fsync for the whole group) and only then answers each of them.
//! A write never waits for a timer to fill a group: under light load a group is one write, under
//! heavy load the writes that arrived during the previous commit.
//!
//! In the [`Layout::Append`] layout the tables hold what each write creates and nothing to look
//! it up by: the reads are answered from memory, so an index would be work the mode never uses.
//! The [`Layout::Indexed`] layout ([`super::indexed`]) adds what the API's rules need found.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Writes waiting for the writer before handlers have to wait for room (back-pressure), and
/// the most one transaction takes.
const QUEUE: usize = 1024;

/// How long the writer waits for a lock another connection holds on the file.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How the writes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Each write appends its rows to a table with no index (`--work unavoidable`).
    Append,
    /// The rows, the indexes the API's rules need and the meeting events
    /// (`--work indexed`, [`super::indexed`]).
    Indexed,
}

/// What a committed write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Done,
    /// A meeting with the write's ClientRequestToken exists already, with this MeetingId; nothing
    /// was written (indexed layout only).
    MeetingExists(Uuid),
    /// The attendees' meeting does not exist (indexed layout only); nothing was written.
    NoSuchMeeting,
}

const APPEND_SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS meetings (
        meeting_id BLOB NOT NULL,
        client_request_token TEXT NOT NULL,
        external_meeting_id TEXT NOT NULL,
        media_region TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS attendees (
        meeting_id BLOB NOT NULL,
        attendee_id BLOB NOT NULL,
        external_user_id TEXT NOT NULL
    );
";

/// What one request creates.
#[derive(Debug)]
pub(super) enum Write {
    /// CreateMeeting.
    Meeting {
        meeting_id: Uuid,
        client_request_token: String,
        external_meeting_id: String,
        media_region: String,
    },
    /// CreateAttendee (one) or BatchCreateAttendee (up to 100): (AttendeeId, ExternalUserId).
    Attendees {
        meeting_id: Uuid,
        attendees: Vec<(Uuid, String)>,
    },
}

struct Job {
    write: Write,
    committed: oneshot::Sender<Result<Outcome, String>>,
}

#[derive(Debug, Default)]
struct Counts {
    writes: AtomicU64,
    transactions: AtomicU64,
}

/// The SQLite file and its writer thread. Dropping it lets the writer commit what is queued,
/// closes the database, and removes the file's directory when it is a temporary one.
#[derive(Debug)]
pub struct Durable {
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
    counts: Arc<Counts>,
    path: PathBuf,
    /// Declared last: removed after the writer has closed the database in it.
    _temp_dir: Option<tempfile::TempDir>,
}

impl Durable {
    /// Opens (or creates) the database at `path`, or in a new temporary directory when `None`,
    /// with the tables of `layout`, and starts the writer thread.
    pub fn open(path: Option<&Path>, layout: Layout) -> Result<Durable, String> {
        let (temp_dir, path) = match path {
            Some(path) => (None, path.to_owned()),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("carillon-bench-reference-")
                    .tempdir()
                    .map_err(|e| format!("cannot create a temporary directory: {e}"))?;
                let path = dir.path().join("reference.db");
                (Some(dir), path)
            }
        };
        let conn = open_connection(&path, layout)
            .map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
        let (jobs, queue) = mpsc::channel(QUEUE);
        let counts = Arc::new(Counts::default());
        let writer = {
            let counts = Arc::clone(&counts);
            std::thread::Builder::new()
                .name("reference-writer".into())
                .spawn(move || write_loop(conn, layout, queue, &counts))
                .map_err(|e| format!("cannot start the writer thread: {e}"))?
        };
        Ok(Durable {
            jobs: Some(jobs),
            writer: Some(writer),
            counts,
            path,
            _temp_dir: temp_dir,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes committed so far, and the transactions that committed them.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.writes.load(Ordering::Relaxed),
            self.counts.transactions.load(Ordering::Relaxed),
        )
    }

    /// Returns once `write` is committed (on disk), or why it could not be.
    pub(super) async fn commit(&self, write: Write) -> Result<Outcome, String> {
        let (committed, answer) = oneshot::channel();
        let jobs = self.jobs.as_ref().ok_or("the database is closed")?;
        jobs.send(Job { write, committed })
            .await
            .map_err(|_| "the writer thread has stopped")?;
        answer
            .await
            .map_err(|_| "the writer thread dropped the write")?
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        // The writer ends once the queue is closed and empty.
        self.jobs = None;
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// The one read-write connection, with the durability of Carillon's embedded store
/// (`carillon-sqlite`'s `open_writer`): the WAL journal and `synchronous=FULL`, so that a
/// commit is on disk (the WAL fsynced) before the write is answered. The indexed layout also
/// takes the two settings with which Carillon's writer keeps its indexes' pages (an 8 MiB page
/// cache, a checkpoint every 8,000 WAL pages), so that it is the least a store with those
/// indexes spends, not a worse-tuned one; the append layout has no index to keep and leaves
/// them at SQLite's defaults, as it leaves Carillon's in-memory statement journals.
fn open_connection(path: &Path, layout: Layout) -> Result<Connection, String> {
    let text = |e: rusqlite::Error| e.to_string();
    let conn = Connection::open(path).map_err(text)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(text)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
        .map_err(text)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(format!("it refused WAL mode (journal_mode is {mode})"));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(text)?;
    let schema = match layout {
        Layout::Append => APPEND_SCHEMA,
        Layout::Indexed => {
            conn.pragma_update(None, "cache_size", -8 * 1024)
                .map_err(text)?;
            conn.pragma_update(None, "wal_autocheckpoint", 8_000)
                .map_err(text)?;
            super::indexed::SCHEMA
        }
    };
    conn.execute_batch(schema).map_err(text)?;
    Ok(conn)
}

fn write_loop(
    mut conn: Connection,
    layout: Layout,
    mut queue: mpsc::Receiver<Job>,
    counts: &Counts,
) {
    let mut group = Vec::with_capacity(QUEUE);
    while let Some(first) = queue.blocking_recv() {
        group.push(first);
        while group.len() < QUEUE {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let result = commit_group(&mut conn, layout, &group).map_err(|e| e.to_string());
        if result.is_ok() {
            counts
                .writes
                .fetch_add(group.len() as u64, Ordering::Relaxed);
            counts.transactions.fetch_add(1, Ordering::Relaxed);
        }
        for (i, job) in group.drain(..).enumerate() {
            let outcome = match &result {
                Ok(outcomes) => Ok(outcomes[i]),
                Err(e) => Err(e.clone()),
            };
            // A handler whose client went away no longer waits; its write stands regardless.
            let _ = job.committed.send(outcome);
        }
    }
}

/// Applies every write of `group` in one transaction and commits it; on an error nothing of the
/// group is committed.
fn commit_group(
    conn: &mut Connection,
    layout: Layout,
    group: &[Job],
) -> rusqlite::Result<Vec<Outcome>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let outcomes = group
        .iter()
        .map(|job| match layout {
            Layout::Append => append(&tx, &job.write),
            Layout::Indexed => super::indexed::apply(&tx, &job.write),
        })
        .collect::<rusqlite::Result<_>>()?;
    tx.commit()?;
    Ok(outcomes)
}

/// Appends the write's rows.
fn append(tx: &Transaction<'_>, write: &Write) -> rusqlite::Result<Outcome> {
    match write {
        Write::Meeting {
            meeting_id,
            client_request_token,
            external_meeting_id,
            media_region,
        } => {
            tx.prepare_cached(
                "INSERT INTO meetings (meeting_id, client_request_token, external_meeting_id, \
                 media_region) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                meeting_id.as_bytes(),
                client_request_token,
                external_meeting_id,
                media_region
            ])?;
        }
        Write::Attendees {
            meeting_id,
            attendees,
        } => {
            let mut insert = tx.prepare_cached(
                "INSERT INTO attendees (meeting_id, attendee_id, external_user_id) \
                 VALUES (?1, ?2, ?3)",
            )?;
            for (attendee_id, external_user_id) in attendees {
                insert.execute(params![
                    meeting_id.as_bytes(),
                    attendee_id.as_bytes(),
                    external_user_id
                ])?;
            }
        }
    }
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attendee(meeting_id: Uuid, name: &str) -> Write {
        Write::Attendees {
            meeting_id,
            attendees: vec![(Uuid::new_v4(), name.to_owned())],
        }
    }

    #[tokio::test]
    async fn writes_are_committed_with_carillons_durability() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.db");
        let store = Durable::open(Some(&path), Layout::Append).unwrap();
        let meeting_id = Uuid::new_v4();
        store
            .commit(Write::Meeting {
                meeting_id,
                client_request_token: "tok-1".into(),
                external_meeting_id: "ext-1".into(),
                media_region: "us-east-1".into(),
            })
            .await
            .unwrap();
        store.commit(attendee(meeting_id, "u-1")).await.unwrap();
        assert_eq!(store.counts(), (2, 2));

        let reader = Connection::open(&path).unwrap();
        let mode: String = reader
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let token: String = reader
            .query_row(
                "SELECT client_request_token FROM meetings WHERE meeting_id = ?1",
                [meeting_id.as_bytes()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(token, "tok-1");
        let user: String = reader
            .query_row(
                "SELECT external_user_id FROM attendees WHERE meeting_id = ?1",
                [meeting_id.as_bytes()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(user, "u-1");
    }

    #[tokio::test]
    async fn writes_queued_behind_a_commit_share_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.db");
        let store = Arc::new(Durable::open(Some(&path), Layout::Append).unwrap());
        // Another connection holds the write lock: the writer's first transaction waits for it
        // while the other writes queue up.
        let blocker = Connection::open(&path).unwrap();
        blocker.execute_batch("BEGIN IMMEDIATE").unwrap();
        let meeting_id = Uuid::new_v4();
        let writes: Vec<_> = (0..50)
            .map(|i| {
                let store = Arc::clone(&store);
                tokio::spawn(
                    async move { store.commit(attendee(meeting_id, &format!("u-{i}"))).await },
                )
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        blocker.execute_batch("COMMIT").unwrap();
        for write in writes {
            write.await.unwrap().unwrap();
        }
        let (writes, transactions) = store.counts();
        assert_eq!(writes, 50);
        assert!(
            transactions <= 3,
            "{transactions} transactions for 50 writes"
        );
        let rows: i64 = blocker
            .query_row("SELECT count(*) FROM attendees", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 50);
    }

    #[test]
    fn a_temporary_database_is_removed_when_dropped() {
        let store = Durable::open(None, Layout::Append).unwrap();
        let dir = store.path().parent().unwrap().to_owned();
        assert!(store.path().exists());
        drop(store);
        assert!(!dir.exists());
    }
}
