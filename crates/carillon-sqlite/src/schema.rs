//! Connection settings and schema migrations.
//!
//! Migrations are the numbered SQL files in `migrations/`, compiled in. At open, the ones newer
//! than the database's `PRAGMA user_version` run in order inside one transaction that also sets
//! the new version, so a failed upgrade leaves the database as it was. A database newer than this
//! build is refused rather than misread.

use std::path::Path;
use std::time::Duration;

use carillon_core::{StoreError, StoreResult};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::Context;

/// `(version, file name, SQL)`, in order; versions start at 1 and have no gaps.
pub(crate) const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "0001_initial.sql",
        include_str!("../migrations/0001_initial.sql"),
    ),
    (
        2,
        "0002_attendee_tags.sql",
        include_str!("../migrations/0002_attendee_tags.sql"),
    ),
    (
        3,
        "0003_compact_attendees.sql",
        include_str!("../migrations/0003_compact_attendees.sql"),
    ),
    (
        4,
        "0004_attendees_by_meeting.sql",
        include_str!("../migrations/0004_attendees_by_meeting.sql"),
    ),
    (
        5,
        "0005_lifecycle.sql",
        include_str!("../migrations/0005_lifecycle.sql"),
    ),
    (
        6,
        "0006_events.sql",
        include_str!("../migrations/0006_events.sql"),
    ),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 6;

/// How long a connection waits for a lock held by another connection (another process, or the
/// checkpoint) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The writer's page cache, in KiB (SQLite's negative `cache_size`). 8 MiB: 32 MiB made
/// CreateAttendee about 7% slower (SQLite walks the cache's hash table when a transaction ends,
/// `pcache1TruncateUnsafe` in a profile) and BatchCreateAttendee no faster, on an empty store and
/// on one of a million attendees alike (BENCHMARKS.md).
const WRITER_CACHE_KIB: i64 = -8 * 1024;

/// WAL pages after which a commit folds the WAL back into the database file. A checkpoint writes
/// each page once, however many commits changed it, and the writes of many meetings at once
/// change the same index pages commit after commit: SQLite's default of 1,000 pages checkpointed
/// every few commits under CreateAttendee load (a twentieth of the server's time) and wrote most
/// pages again each time.
const WAL_AUTOCHECKPOINT_PAGES: i64 = 8_000;

/// Enough for every statement in [`crate::sql`], so that none is ever prepared twice.
const STATEMENT_CACHE: usize = 96;

/// Opens the one read-write connection of a database file: WAL journal (readers never block the
/// writer), `synchronous=FULL` (a commit is on disk before it is acknowledged), foreign keys on.
pub(crate) fn open_writer(path: &Path) -> StoreResult<Connection> {
    let what = || format!("opening {}", path.display());
    let mut conn = Connection::open(path).context(&what())?;
    conn.busy_timeout(BUSY_TIMEOUT).context(&what())?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .context("setting journal_mode=WAL")?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::new(format!(
            "sqlite: {} refused WAL mode (journal_mode is {mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .context("setting synchronous=FULL")?;
    // A batch of jobs can touch more pages than the default 2 MiB cache holds: pages were
    // spilled to the WAL in the middle of the transaction and read back (a profile of
    // BatchCreateAttendee had a quarter of the writer's time there before attendees were indexed
    // by meeting first).
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)
        .context("setting cache_size")?;
    conn.pragma_update(None, "wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
        .context("setting wal_autocheckpoint")?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a private in-memory database; it lives as long as this connection.
pub(crate) fn open_memory() -> StoreResult<Connection> {
    let mut conn = Connection::open_in_memory().context("opening an in-memory database")?;
    configure(&conn)?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a read-only connection to a database the writer has already opened and migrated.
pub(crate) fn open_reader(path: &Path) -> StoreResult<Connection> {
    let what = || format!("opening {} for reading", path.display());
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).context(&what())?;
    conn.busy_timeout(BUSY_TIMEOUT).context(&what())?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    stable_plans(&conn)?;
    Ok(conn)
}

/// Turns on the query planner stability guarantee. Without it SQLite plans with the value bound
/// to a `LIMIT ?` (since 3.47; and to ranges, with STAT4 statistics), and then parses and plans
/// the statement again every time that parameter is bound anew: every claim of deliveries, page
/// of attendees and read of the event log paid a fresh prepare (a sixth of the writer's time in
/// claims under load). No plan here depends on a value: every statement is planned for its index.
fn stable_plans(conn: &Connection) -> StoreResult<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .context("enabling the query planner stability guarantee")?;
    Ok(())
}

fn configure(conn: &Connection) -> StoreResult<()> {
    conn.pragma_update(None, "foreign_keys", true)
        .context("enabling foreign keys")?;
    // Each job of a batch runs in a savepoint, so the first change to a page within it copies
    // the page to a statement journal: in memory, not in a temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY")
        .context("setting temp_store=MEMORY")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    stable_plans(conn)
}

/// Brings the schema up to [`SCHEMA_VERSION`]; returns the version found before.
pub(crate) fn migrate(conn: &mut Connection) -> StoreResult<u32> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("starting the migration transaction")?;
    let found: u32 = tx
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .context("reading user_version")?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::new(format!(
            "sqlite: the database has schema version {found}, newer than the {SCHEMA_VERSION} \
             this build knows; open it with a newer Carillon"
        )));
    }
    for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > found) {
        tx.execute_batch(sql)
            .context(&format!("applying migration {name}"))?;
        tx.pragma_update(None, "user_version", version)
            .context(&format!("recording migration {name}"))?;
        tracing::info!(migration = name, "applied schema migration");
    }
    tx.commit().context("committing the migrations")?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::OptionalExtension;

    /// An in-memory database as a build of schema `version` left it.
    fn database_at(version: u32) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        for (_, _, sql) in &MIGRATIONS[..version as usize] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", version).unwrap();
        conn
    }

    /// A meeting row with the columns every schema version has; its ClientRequestToken is its id.
    fn insert_meeting(conn: &Connection, meeting_id: &str, namespace: &str, max_attendees: i64) {
        conn.execute(
            "INSERT INTO meetings (meeting_id, account_id, namespace, control_region, \
             client_request_token, media_region, tenant_ids, max_attendees, created_at_ms) \
             VALUES (?1, '111122223333', ?2, 'us-east-1', ?1, 'us-east-1', '[]', ?3, 1)",
            rusqlite::params![meeting_id, namespace, max_attendees],
        )
        .unwrap();
    }

    #[test]
    fn migrations_are_numbered_in_order_and_all_compiled_in() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|(_, name, _)| *name).collect();
        assert_eq!(files, listed);
        for (i, (version, name, _)) in MIGRATIONS.iter().enumerate() {
            assert_eq!(*version as usize, i + 1);
            assert!(name.starts_with(&format!("{version:04}_")), "{name}");
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.0), Some(SCHEMA_VERSION));
    }

    #[test]
    fn migrating_twice_changes_nothing() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        assert_eq!(migrate(&mut conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
    }

    /// A database at version 1 takes migration 2 alone, its data kept.
    #[test]
    fn an_older_database_takes_only_the_newer_migrations() {
        let mut conn = database_at(1);
        insert_meeting(&conn, "m", "legacy", 250);
        assert_eq!(migrate(&mut conn).unwrap(), 1);
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let (meetings, tags): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM meetings), (SELECT count(*) FROM attendee_tags)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((meetings, tags), (1, 0));
    }

    /// Migration 3 turns every JSON capabilities value into the letters `rows` reads, keeps
    /// NULL (legacy) as NULL and leaves JoinTokens stored as text readable.
    #[test]
    fn migration_3_keeps_every_attendee_as_it_was() {
        use carillon_core::{AttendeeCapabilities, MediaCapability};
        let media = [
            MediaCapability::SendReceive,
            MediaCapability::Send,
            MediaCapability::Receive,
            MediaCapability::None,
        ];
        let mut all = Vec::new();
        for audio in media {
            for video in media {
                for content in media {
                    all.push(AttendeeCapabilities {
                        audio,
                        video,
                        content,
                    });
                }
            }
        }
        let mut conn = database_at(2);
        insert_meeting(&conn, "m", "meetings", 500);
        let mut before = Vec::new();
        for (i, capabilities) in all.iter().map(Some).chain([None]).enumerate() {
            let attendee_id = carillon_core::ids::new_id();
            let record = carillon_core::AttendeeRecord {
                meeting_id: "m".into(),
                join_token: carillon_core::ids::new_join_token(&attendee_id),
                attendee_id,
                external_user_id: format!("user-{i}"),
                capabilities: capabilities.copied(),
            };
            let json = capabilities.map(|c| serde_json::to_string(c).unwrap());
            conn.execute(
                "INSERT INTO attendees (meeting_seq, attendee_id, external_user_id, join_token, \
                 capabilities) VALUES (1, ?1, ?2, ?3, ?4)",
                rusqlite::params![
                    record.attendee_id,
                    record.external_user_id,
                    record.join_token,
                    json
                ],
            )
            .unwrap();
            before.push(record);
        }
        assert_eq!(migrate(&mut conn).unwrap(), 2);
        let mut stmt = conn
            .prepare(
                "SELECT attendee_id, external_user_id, join_token, capabilities FROM attendees \
                 ORDER BY seq",
            )
            .unwrap();
        let after: Vec<carillon_core::AttendeeRecord> = stmt
            .query_map([], |row| crate::rows::attendee(row, "m"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(after.len(), 65);
        for (a, b) in after.iter().zip(&before) {
            assert_eq!(a.attendee_id, b.attendee_id);
            assert_eq!(a.join_token, b.join_token);
            assert_eq!(a.capabilities, b.capabilities, "{:?}", b.capabilities);
        }
        let codes: Vec<Option<String>> = conn
            .prepare("SELECT capabilities FROM attendees ORDER BY seq")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(codes[0].as_deref(), Some("BBB"));
        assert_eq!(codes[63].as_deref(), Some("NNN"));
        assert_eq!(codes[64], None);
    }

    /// Migration 4, on a version 3 database holding attendees, replaces the index on AttendeeId
    /// alone with one that leads with the meeting (which lookups use: `sql::tests`), and every
    /// attendee is still found under its meeting, and only there.
    #[test]
    fn migration_4_finds_attendees_under_their_meeting() {
        let mut conn = database_at(3);
        for meeting in ["m1", "m2"] {
            insert_meeting(&conn, meeting, "meetings", 250);
        }
        let mut ids = Vec::new();
        for i in 0..10 {
            let id = carillon_core::ids::new_id();
            conn.execute(
                "INSERT INTO attendees (meeting_seq, attendee_id, external_user_id, join_token) \
                 VALUES (?1, ?2, ?3, 'token')",
                rusqlite::params![1 + i % 2, id, format!("user-{i}")],
            )
            .unwrap();
            ids.push((1 + i % 2, id));
        }
        assert_eq!(migrate(&mut conn).unwrap(), 3);

        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'attendees' ORDER BY name")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            indexes,
            [
                "attendees_by_meeting_and_id",
                "attendees_by_position",
                "attendees_by_user"
            ]
        );
        for (meeting_seq, id) in &ids {
            let found: i64 = conn
                .query_row(
                    crate::sql::ATTENDEE_SEQ,
                    rusqlite::params![meeting_seq, id],
                    |row| row.get(0),
                )
                .unwrap();
            assert!(found > 0);
            let elsewhere = conn
                .query_row(
                    crate::sql::ATTENDEE_SEQ,
                    rusqlite::params![3 - meeting_seq, id],
                    |row| row.get::<_, i64>(0),
                )
                .optional()
                .unwrap();
            assert_eq!(elsewhere, None, "found under the other meeting");
        }
    }

    /// A failing later migration rolls back alone: the database stays at the version before.
    #[test]
    fn a_failed_later_migration_keeps_the_earlier_version() {
        let mut conn = database_at(1);
        // A table migration 2 would create makes it fail.
        conn.execute_batch("CREATE TABLE attendee_tags (x)")
            .unwrap();
        assert!(migrate(&mut conn).is_err());
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, 1);
        let index: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'meetings_active_by_scope'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(index, 0);
    }

    #[test]
    fn a_failed_migration_leaves_the_version_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A table the first migration would create makes it fail half-way.
        conn.execute_batch("CREATE TABLE meeting_tags (x)").unwrap();
        assert!(migrate(&mut conn).is_err());
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .unwrap();
        assert_eq!(version, 0);
        let meetings: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'meetings'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(meetings, 0);
    }
}
