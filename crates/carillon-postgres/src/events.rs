//! The event log: what a write records in its own transaction, and how the log is read.
//!
//! A write collects its events in a [`Pending`] while it runs and writes them, with the
//! deliveries they owe, in one statement just before it commits: the change and its events
//! commit together or not at all. With events off (`EventRouting::record` false) a write reads
//! nothing more than it would without events and writes nothing.
//!
//! # Positions
//!
//! A `BIGSERIAL` value is taken at insert but becomes visible at commit, and transactions commit
//! in any order: a reader that walked the log by `seq` could pass a value whose transaction
//! commits a moment later, and never see it. So each event records the id of the transaction
//! that wrote it (`xid`), the log is read in `(xid, seq)` order (an [`EventPosition`] is
//! `{ major: xid, minor: seq }`), and a read stops before the oldest transaction still running
//! in this database: every transaction with a smaller id has committed (its events are visible
//! to the read) or aborted (it has none), and any transaction that starts later gets a larger
//! id. So once a read has passed a position, no event can commit behind it. A transaction of
//! another database on the same server cannot write this log, so it holds no read back
//! (`pg_stat_activity` tells which database a running transaction belongs to; one it does not
//! show, for want of privileges, is waited for like one of ours).
//!
//! [`last_position`] is the snapshot's xmax, the first transaction id not yet handed out: every
//! event committed before the call is below it, every event of a transaction that starts after
//! the call is above it (an event of a transaction running across the call may fall on either
//! side, as it may be called either way).

use std::collections::HashMap;
use std::sync::Arc;

use carillon_core::events::outbox::{
    ClientEvent, EventPosition, EventRouting, LoggedEvent, OutboxEntry, StoredEvent,
};
use carillon_core::{MeetingEvent, MeetingRecord, StoreResult};
use deadpool_postgres::GenericClient;

use crate::db::{execute, query, query_opt};
use crate::rows;
use crate::sql;
use crate::PgStore;

/// The events of one write, routed as the store's [`EventRouting`] said when the write began.
pub(crate) struct Pending {
    routing: Arc<EventRouting>,
    /// The meeting the write locked, read in full only when events are recorded.
    meeting: Option<MeetingRecord>,
    entries: Vec<OutboxEntry>,
}

impl Pending {
    pub(crate) fn new(routing: Arc<EventRouting>) -> Self {
        Pending {
            routing,
            meeting: None,
            entries: Vec::new(),
        }
    }

    /// Whether the write records anything (and so must read what its events need).
    pub(crate) fn records(&self) -> bool {
        self.routing.record
    }

    /// The meeting the write holds locked, as read for its events.
    pub(crate) fn set_meeting(&mut self, meeting: MeetingRecord) {
        self.meeting = Some(meeting);
    }

    /// Adds what `caused` says the locked meeting's change caused; `caused` is not called when
    /// events are off.
    pub(crate) fn caused(&mut self, caused: impl FnOnce(&MeetingRecord) -> Vec<MeetingEvent>) {
        if let Some(meeting) = &self.meeting {
            let events = caused(meeting);
            self.entries.extend(self.routing.entries(meeting, events));
        }
    }

    /// Adds events of `meeting` (one the write did not lock first).
    pub(crate) fn add(&mut self, meeting: &MeetingRecord, events: Vec<MeetingEvent>) {
        self.entries.extend(self.routing.entries(meeting, events));
    }

    /// Adds a client event of a meeting of `account_id` (owed to no target).
    pub(crate) fn add_client(&mut self, event: ClientEvent, account_id: &str) {
        if self.records() {
            self.entries.push(OutboxEntry {
                event: event.logged(account_id),
                targets: Vec::new(),
            });
        }
    }

    /// Writes the events collected so far and their deliveries, in one statement; true when
    /// there were any.
    pub(crate) async fn write<C: GenericClient>(&mut self, c: &C) -> StoreResult<bool> {
        if self.entries.is_empty() {
            return Ok(false);
        }
        let entries = std::mem::take(&mut self.entries);
        let n = entries.len();
        let mut columns = EventColumns::with_capacity(n);
        let (mut owed_ids, mut owed_targets) = (Vec::new(), Vec::new());
        for entry in &entries {
            let e = &entry.event;
            columns.push(e);
            for target in &entry.targets {
                owed_ids.push(e.event_id.as_str());
                owed_targets.push(target.as_str());
            }
        }
        execute(
            c,
            sql::INSERT_EVENTS,
            &[
                &columns.ids,
                &columns.meetings,
                &columns.accounts,
                &columns.sources,
                &columns.names,
                &columns.at,
                &columns.bodies,
                &owed_ids,
                &owed_targets,
            ],
            "recording events",
        )
        .await?;
        Ok(true)
    }
}

/// The events of one insert, a column per array.
struct EventColumns<'a> {
    ids: Vec<&'a str>,
    meetings: Vec<&'a str>,
    accounts: Vec<&'a str>,
    sources: Vec<&'a str>,
    names: Vec<&'a str>,
    at: Vec<i64>,
    bodies: Vec<&'a str>,
}

impl<'a> EventColumns<'a> {
    fn with_capacity(n: usize) -> Self {
        EventColumns {
            ids: Vec::with_capacity(n),
            meetings: Vec::with_capacity(n),
            accounts: Vec::with_capacity(n),
            sources: Vec::with_capacity(n),
            names: Vec::with_capacity(n),
            at: Vec::with_capacity(n),
            bodies: Vec::with_capacity(n),
        }
    }

    fn push(&mut self, e: &'a LoggedEvent) {
        self.ids.push(&e.event_id);
        self.meetings.push(&e.meeting_id);
        self.accounts.push(&e.account_id);
        self.sources.push(e.source.as_str());
        self.names.push(&e.name);
        self.at.push(e.at_ms);
        self.bodies.push(&e.body);
    }
}

impl PgStore {
    /// [`carillon_core::Store::record_events`]: one statement after the lookup, so the events and
    /// their deliveries are one write.
    pub(crate) async fn log_meeting_events(&self, events: Vec<MeetingEvent>) -> StoreResult<()> {
        let mut pending = self.pending();
        if !pending.records() || events.is_empty() {
            return Ok(());
        }
        let logged = self
            .run(async |client| {
                let ids = unique(events.iter().map(|e| e.meeting.meeting_id.as_str()));
                let meetings = meetings_by_id(&*client, &ids).await?;
                for event in events {
                    if let Some(meeting) = meetings.get(&event.meeting.meeting_id) {
                        pending.add(meeting, vec![event]);
                    }
                }
                pending.write(&*client).await
            })
            .await?;
        self.announce(logged);
        Ok(())
    }

    /// [`carillon_core::Store::record_client_events`], as [`PgStore::log_meeting_events`].
    pub(crate) async fn log_client_events(&self, events: Vec<ClientEvent>) -> StoreResult<()> {
        let mut pending = self.pending();
        if !pending.records() || events.is_empty() {
            return Ok(());
        }
        let logged = self
            .run(async |client| {
                let ids = unique(events.iter().map(|e| e.meeting_id.as_str()));
                let meetings = meetings_by_id(&*client, &ids).await?;
                for event in events {
                    if let Some(meeting) = meetings.get(&event.meeting_id) {
                        pending.add_client(event, &meeting.scope.account_id);
                    }
                }
                pending.write(&*client).await
            })
            .await?;
        self.announce(logged);
        Ok(())
    }
}

/// Each value once, in the order first seen.
fn unique<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = std::collections::HashSet::new();
    values.filter(|v| seen.insert(*v)).collect()
}

/// The meetings with these ids, in whichever scope, active or ended, by id.
pub(crate) async fn meetings_by_id<C: GenericClient>(
    c: &C,
    ids: &[&str],
) -> StoreResult<HashMap<String, MeetingRecord>> {
    let rows = query(c, sql::MEETINGS_BY_ID, &[&ids], "finding meetings by id").await?;
    rows.iter()
        .map(|row| rows::meeting(row).map(|m| (m.meeting_id.clone(), m)))
        .collect()
}

/// Events after `after` in log order, at most `limit`, up to the boundary the module doc
/// describes.
pub(crate) async fn after<C: GenericClient>(
    c: &C,
    after: EventPosition,
    limit: usize,
) -> StoreResult<Vec<StoredEvent>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = query(
        c,
        sql::EVENTS_AFTER,
        &[&after.major, &after.minor, &limit],
        "reading events",
    )
    .await?;
    rows.iter().map(|row| rows::stored_event(row, 0)).collect()
}

/// Where a reader that wants only the events to come starts (see the module doc).
pub(crate) async fn last_position<C: GenericClient>(c: &C) -> StoreResult<EventPosition> {
    let row = query_opt(c, sql::LAST_EVENT_POSITION, &[], "reading the log's end").await?;
    let major = match row {
        Some(row) => rows::get(&row, 0)?,
        None => 0,
    };
    Ok(EventPosition { major, minor: 0 })
}
