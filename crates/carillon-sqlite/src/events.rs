//! The event log: events recorded in the transaction of the write that causes them, with one
//! delivery row per target they owe, and read back in log order.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use carillon_core::events::outbox::{
    ClientEvent, EventPosition, EventRouting, EventSource, LoggedEvent, StoredEvent,
};
use carillon_core::{MeetingEvent, MeetingRecord, StoreResult};
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::Context;
use crate::meetings;
use crate::sql::events as sql;

/// What one write records, routed as the store's [`EventRouting`] said when the write was asked
/// for, and how many events it logged (the store wakes the readers of the log once they are
/// committed).
pub(crate) struct Recorder {
    routing: Arc<EventRouting>,
    logged: Cell<usize>,
}

impl Recorder {
    pub(crate) fn new(routing: Arc<EventRouting>) -> Self {
        Recorder {
            routing,
            logged: Cell::new(0),
        }
    }

    /// Whether events are recorded at all. When not, a write reads nothing for them: events
    /// switched off cost nothing.
    pub(crate) fn on(&self) -> bool {
        self.routing.record
    }

    pub(crate) fn logged(&self) -> usize {
        self.logged.get()
    }

    /// Records `events` of `meeting` with the deliveries its routing owes (none when off).
    pub(crate) fn record(
        &self,
        conn: &Connection,
        meeting: &MeetingRecord,
        events: Vec<MeetingEvent>,
    ) -> StoreResult<()> {
        for entry in self.routing.entries(meeting, events) {
            let seq = self.insert(conn, &entry.event)?;
            for target in &entry.targets {
                conn.prepare_cached(sql::INSERT_DELIVERY)
                    .and_then(|mut stmt| stmt.execute(params![target, seq, meeting.meeting_id]))
                    .context("recording a delivery")?;
            }
        }
        Ok(())
    }

    /// Records events no write caused, each for its meeting in whichever scope holds it (ended
    /// ones too); events of unknown meetings are dropped.
    pub(crate) fn record_for_ids(
        &self,
        conn: &Connection,
        events: Vec<MeetingEvent>,
    ) -> StoreResult<()> {
        if !self.on() {
            return Ok(());
        }
        // A batch usually holds several events of one meeting: read each meeting once.
        let mut meetings: HashMap<String, Option<MeetingRecord>> = HashMap::new();
        for event in events {
            let id = &event.meeting.meeting_id;
            let meeting = match meetings.get(id) {
                Some(found) => found,
                None => {
                    let found = meetings::any_by_id(conn, id)?.map(|(m, _)| m);
                    meetings.entry(id.clone()).or_insert(found)
                }
            };
            if let Some(meeting) = meeting {
                self.record(conn, meeting, vec![event])?;
            }
        }
        Ok(())
    }

    /// Logs client events under their meeting's account (never delivered anywhere); events of
    /// unknown meetings are dropped.
    pub(crate) fn record_client(
        &self,
        conn: &Connection,
        events: Vec<ClientEvent>,
    ) -> StoreResult<()> {
        if !self.on() {
            return Ok(());
        }
        let mut accounts: HashMap<String, Option<String>> = HashMap::new();
        for event in events {
            let account = match accounts.get(&event.meeting_id) {
                Some(found) => found.clone(),
                None => {
                    let found = account_of(conn, &event.meeting_id)?;
                    accounts.insert(event.meeting_id.clone(), found.clone());
                    found
                }
            };
            if let Some(account) = account {
                self.insert(conn, &event.logged(&account))?;
            }
        }
        Ok(())
    }

    fn insert(&self, conn: &Connection, e: &LoggedEvent) -> StoreResult<i64> {
        conn.prepare_cached(sql::INSERT_EVENT)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    e.event_id,
                    e.meeting_id,
                    e.account_id,
                    e.source.as_str(),
                    e.name,
                    e.at_ms,
                    e.body,
                ])
            })
            .context("recording an event")?;
        self.logged.set(self.logged.get() + 1);
        Ok(conn.last_insert_rowid())
    }
}

fn account_of(conn: &Connection, meeting_id: &str) -> StoreResult<Option<String>> {
    conn.prepare_cached(sql::MEETING_ACCOUNT)
        .and_then(|mut stmt| stmt.query_row([meeting_id], |row| row.get(0)).optional())
        .context("looking up a meeting's account")
}

/// Events after `after` in log order, at most `limit`. Every SQLite position has `major` 0, so
/// none follows a position with a greater one.
pub(crate) fn after(
    conn: &Connection,
    after: EventPosition,
    limit: usize,
) -> StoreResult<Vec<StoredEvent>> {
    if after.major > 0 {
        return Ok(Vec::new());
    }
    conn.prepare_cached(sql::EVENTS_AFTER)
        .and_then(|mut stmt| {
            stmt.query_map(params![after.minor, sql_limit(limit)], |row| {
                stored_event(row, 0)
            })?
            .collect()
        })
        .context("reading the event log")
}

/// The position of the last event ever logged, [`EventPosition::START`] before the first.
pub(crate) fn last_position(conn: &Connection) -> StoreResult<EventPosition> {
    let seq: Option<i64> = conn
        .prepare_cached(sql::LAST_EVENT_SEQ)
        .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)).optional())
        .context("reading the last event position")?;
    Ok(seq.map_or(EventPosition::START, position))
}

/// SQLite's position for the event with this seq: the single writer commits in seq order.
fn position(seq: i64) -> EventPosition {
    EventPosition {
        major: 0,
        minor: seq,
    }
}

/// Reads the event columns of [`crate::sql::events`], starting at column `first`.
pub(crate) fn stored_event(row: &Row<'_>, first: usize) -> rusqlite::Result<StoredEvent> {
    let seq: i64 = row.get(first)?;
    let source: String = row.get(first + 4)?;
    let source = EventSource::parse(&source).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            first + 4,
            Type::Text,
            format!("unknown event source {source:?}").into(),
        )
    })?;
    Ok(StoredEvent {
        position: position(seq),
        seq,
        event: LoggedEvent {
            event_id: row.get(first + 1)?,
            meeting_id: row.get(first + 2)?,
            account_id: row.get(first + 3)?,
            source,
            name: row.get(first + 5)?,
            at_ms: row.get(first + 6)?,
            body: row.get(first + 7)?,
        },
    })
}

/// A `LIMIT` parameter.
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
