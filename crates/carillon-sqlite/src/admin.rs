//! The operator's view of the store, its reset and its import
//! ([`carillon_core::store::admin`]), each run on one connection (a reader's, or the writer's
//! inside its transaction).

use carillon_core::store::admin::{
    tags_from_pairs, ImportRefusal, Imported, MeetingFilter, StoredAttendee, StoredMeeting,
};
use carillon_core::store::rows::MeetingRow;
use carillon_core::store::rules;
use carillon_core::{Page, StoreResult};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::Context;
use crate::sql::admin as sql;
use crate::{rows, tags};

/// A row of [`sql::ADMIN_MEETINGS`]'s columns, not yet decoded, and its position.
struct MeetingRowAndMore {
    row: MeetingRow,
    attendee_count: u32,
    idle_since_ms: Option<i64>,
    presence_lease_ms: Option<i64>,
    tags: Option<String>,
    seq: i64,
}

fn read_meeting(row: &Row<'_>) -> rusqlite::Result<MeetingRowAndMore> {
    Ok(MeetingRowAndMore {
        row: rows::meeting_row(row)?,
        attendee_count: row.get(17)?,
        idle_since_ms: row.get(18)?,
        presence_lease_ms: row.get(19)?,
        tags: row.get(20)?,
        seq: row.get(21)?,
    })
}

fn decode_meeting(m: MeetingRowAndMore, what: &str) -> StoreResult<StoredMeeting> {
    Ok(StoredMeeting {
        record: m.row.into_record().context(what)?,
        attendee_count: m.attendee_count,
        tags: tags_from_pairs(m.tags.as_deref()).context(what)?,
        idle_since_ms: m.idle_since_ms,
        presence_lease_ms: m.presence_lease_ms,
    })
}

pub(crate) fn meetings(
    conn: &Connection,
    filter: &MeetingFilter,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<Page<StoredMeeting>> {
    let what = "listing meetings";
    let found: Vec<(MeetingRowAndMore, i64)> = conn
        .prepare_cached(sql::ADMIN_MEETINGS)
        .and_then(|mut stmt| {
            stmt.query_map(
                params![
                    after.unwrap_or(0),
                    filter.account_id,
                    filter.namespace.map(|n| n.as_str()),
                    filter.external_meeting_id,
                    filter.state.code(),
                    rules::rows_for_page(limit),
                ],
                |row| {
                    let m = read_meeting(row)?;
                    let seq = m.seq;
                    Ok((m, seq))
                },
            )?
            .collect()
        })
        .context(what)?;
    rules::page(found, limit, after).try_map(|m| decode_meeting(m, what))
}

/// The meeting and its key.
fn meeting(conn: &Connection, meeting_id: &str) -> StoreResult<Option<(StoredMeeting, i64)>> {
    let what = "reading a meeting";
    conn.prepare_cached(sql::ADMIN_MEETING)
        .and_then(|mut stmt| stmt.query_row([meeting_id], read_meeting).optional())
        .context(what)?
        .map(|m| {
            let seq = m.seq;
            Ok((decode_meeting(m, what)?, seq))
        })
        .transpose()
}

pub(crate) fn meeting_with_events(
    conn: &Connection,
    meeting_id: &str,
) -> StoreResult<Option<(StoredMeeting, u64)>> {
    let Some((found, _)) = meeting(conn, meeting_id)? else {
        return Ok(None);
    };
    let count: i64 = conn
        .prepare_cached(sql::MEETING_EVENT_COUNT)
        .and_then(|mut stmt| {
            stmt.query_row(params![meeting_id, found.record.created_at_ms], |row| {
                row.get(0)
            })
        })
        .context("counting a meeting's events")?;
    Ok(Some((found, u64::try_from(count).unwrap_or(0))))
}

pub(crate) fn attendees(
    conn: &Connection,
    meeting_id: &str,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<Option<Page<StoredAttendee>>> {
    let Some((_, seq)) = meeting(conn, meeting_id)? else {
        return Ok(None);
    };
    let what = "listing attendees";
    let found: Vec<((carillon_core::AttendeeRecord, Option<String>), i64)> = conn
        .prepare_cached(sql::ADMIN_ATTENDEES)
        .and_then(|mut stmt| {
            stmt.query_map(
                params![seq, after.unwrap_or(0), rules::rows_for_page(limit)],
                |row| {
                    let attendee = rows::attendee(row, meeting_id)?;
                    Ok(((attendee, row.get(4)?), row.get(5)?))
                },
            )?
            .collect()
        })
        .context(what)?;
    rules::page(found, limit, after)
        .try_map(|(record, tags)| {
            Ok(StoredAttendee {
                record,
                tags: tags_from_pairs(tags.as_deref()).context(what)?,
            })
        })
        .map(Some)
}

pub(crate) fn is_empty(conn: &Connection) -> StoreResult<bool> {
    let any = conn
        .prepare_cached(sql::ANY_MEETING)
        .and_then(|mut stmt| stmt.exists([]))
        .context("looking for a meeting")?;
    Ok(!any)
}

/// Deletes every row the state is made of.
pub(crate) fn reset(conn: &Connection) -> StoreResult<()> {
    for statement in sql::RESET {
        conn.execute(statement, []).context("resetting the store")?;
    }
    Ok(())
}

/// Writes the items inside a savepoint of its own, rolled back when an item is refused, so that
/// a refused batch leaves nothing behind even inside the writer's group transaction.
pub(crate) fn import(
    conn: &Connection,
    items: Vec<Imported>,
) -> StoreResult<Result<(), ImportRefusal>> {
    conn.execute_batch("SAVEPOINT import")
        .context("starting an import")?;
    let outcome = import_items(conn, items);
    let end = match &outcome {
        Ok(Ok(())) => "RELEASE import",
        _ => "ROLLBACK TO import; RELEASE import",
    };
    conn.execute_batch(end).context("ending an import")?;
    outcome
}

fn import_items(conn: &Connection, items: Vec<Imported>) -> StoreResult<Result<(), ImportRefusal>> {
    for (index, item) in items.into_iter().enumerate() {
        let refused = match item {
            Imported::Meeting(m) => import_meeting(conn, *m)?,
            Imported::Attendee(a) => import_attendee(conn, a)?,
        };
        if let Some(message) = refused {
            return Ok(Err(ImportRefusal::new(index, message)));
        }
    }
    Ok(Ok(()))
}

/// `Some(why)` when refused.
fn import_meeting(conn: &Connection, m: StoredMeeting) -> StoreResult<Option<&'static str>> {
    let what = "importing a meeting";
    if !m.record.is_active() && !m.tags.is_empty() {
        return Ok(Some("an ended meeting has no tags"));
    }
    let r = MeetingRow::from_record(&m.record).context(what)?;
    let max_attendees = i64::from(m.record.max_attendees());
    let mut values = rows::meeting_params(&r);
    values.extend([
        &max_attendees as &dyn rusqlite::ToSql,
        &m.idle_since_ms,
        &m.presence_lease_ms,
    ]);
    let inserted = conn
        .prepare_cached(sql::IMPORT_MEETING)
        .and_then(|mut stmt| stmt.execute(values.as_slice()))
        .context(what)?;
    if inserted == 0 {
        return Ok(Some(
            "a meeting with this MeetingId, or this ClientRequestToken in its scope, is already held",
        ));
    }
    tags::insert(conn, &tags::MEETING, conn.last_insert_rowid(), m.tags)?;
    Ok(None)
}

fn import_attendee(conn: &Connection, a: StoredAttendee) -> StoreResult<Option<&'static str>> {
    let what = "importing an attendee";
    let meeting: Option<(i64, i64, i64, Option<i64>)> = conn
        .prepare_cached(sql::IMPORT_ATTENDEE_MEETING)
        .and_then(|mut stmt| {
            stmt.query_row([&a.record.meeting_id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()
        })
        .context(what)?;
    let Some((seq, max_attendees, count, ended_at_ms)) = meeting else {
        return Ok(Some("no meeting before it has this MeetingId"));
    };
    if ended_at_ms.is_some() {
        return Ok(Some(
            "its meeting has ended (an ended meeting has no attendees)",
        ));
    }
    if count >= max_attendees {
        return Ok(Some(
            "its meeting already has its maximum number of attendees",
        ));
    }
    let r = &a.record;
    let inserted = conn
        .prepare_cached(sql::IMPORT_ATTENDEE)
        .and_then(|mut stmt| {
            stmt.execute(params![
                seq,
                r.attendee_id,
                r.external_user_id,
                rows::join_token_value(&r.attendee_id, &r.join_token),
                r.capabilities.as_ref().map(rows::capabilities_code),
            ])
        })
        .context(what)?;
    if inserted == 0 {
        return Ok(Some(
            "its meeting already has an attendee with this AttendeeId or ExternalUserId",
        ));
    }
    let attendee_seq = conn.last_insert_rowid();
    conn.prepare_cached(crate::sql::SET_ATTENDEE_COUNT)
        .and_then(|mut stmt| stmt.execute(params![seq, count + 1]))
        .context(what)?;
    tags::insert(conn, &tags::ATTENDEE, attendee_seq, a.tags)?;
    Ok(None)
}
