//! Attendee operations, each run on one connection inside the caller's transaction. Callers look
//! the meeting up first ([`crate::meetings::active`]), which also checks the scope.

use carillon_core::store::rows::to_json;
use carillon_core::store::rules::{self, ActiveMeeting, Seats};
use carillon_core::store::AttendeeLookup;
use carillon_core::{
    AttendeeCapabilities, AttendeeOutcome, AttendeePage, AttendeeRecord, NewAttendee, Scope,
    StoreResult,
};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Context;
use crate::rows;
use crate::{sql, tags};

/// Creates attendees in order: an undeleted one with the same ExternalUserId is returned instead
/// (its tags untouched), and a new one is refused once the meeting is full. A new one is stored
/// with its tags.
pub(crate) fn create_in(
    conn: &Connection,
    meeting: &ActiveMeeting,
    attendees: Vec<NewAttendee>,
) -> StoreResult<Vec<AttendeeOutcome>> {
    let mut seats = Seats::of(meeting);
    let mut outcomes = Vec::with_capacity(attendees.len());
    for NewAttendee {
        record: mut attendee,
        tags: attendee_tags,
    } in attendees
    {
        attendee.meeting_id.clone_from(&meeting.meeting_id);
        // With a seat free, the insert itself detects a repeated ExternalUserId (one index probe
        // fewer on the common path); with none, only a repeat can succeed.
        let inserted = if seats.free() {
            insert(conn, meeting.seq, &attendee)?
        } else {
            None
        };
        if let Some(seq) = inserted {
            tags::insert(conn, &tags::ATTENDEE, seq, attendee_tags)?;
            seats.take();
            outcomes.push(AttendeeOutcome::Created(attendee));
        } else {
            let existing = by_user(conn, meeting, &attendee.external_user_id)?;
            outcomes.push(rules::not_inserted(existing, attendee.external_user_id));
        }
    }
    if let Some(count) = seats.changed() {
        set_count(conn, meeting.seq, count)?;
    }
    Ok(outcomes)
}

/// The new attendee's key; `None` when the meeting already has an attendee with this
/// ExternalUserId.
fn insert(conn: &Connection, meeting_seq: i64, a: &AttendeeRecord) -> StoreResult<Option<i64>> {
    let inserted = conn
        .prepare_cached(sql::INSERT_ATTENDEE)
        .and_then(|mut stmt| {
            stmt.execute(params![
                meeting_seq,
                a.attendee_id,
                a.external_user_id,
                rows::join_token_value(&a.attendee_id, &a.join_token),
                a.capabilities.as_ref().map(rows::capabilities_code),
            ])
        })
        .context("inserting an attendee")?;
    Ok((inserted > 0).then(|| conn.last_insert_rowid()))
}

fn by_user(
    conn: &Connection,
    meeting: &ActiveMeeting,
    external_user_id: &str,
) -> StoreResult<Option<AttendeeRecord>> {
    conn.prepare_cached(sql::ATTENDEE_BY_USER)
        .and_then(|mut stmt| {
            stmt.query_row(params![meeting.seq, external_user_id], |row| {
                rows::attendee(row, &meeting.meeting_id)
            })
            .optional()
        })
        .context("looking up an attendee by ExternalUserId")
}

fn set_count(conn: &Connection, meeting_seq: i64, count: i64) -> StoreResult<()> {
    conn.prepare_cached(sql::SET_ATTENDEE_COUNT)
        .and_then(|mut stmt| stmt.execute(params![meeting_seq, count]))
        .context("counting attendees")?;
    Ok(())
}

/// The key of the meeting's attendee with this id, which its tags reference.
pub(crate) fn seq(
    conn: &Connection,
    meeting: &ActiveMeeting,
    attendee_id: &str,
) -> StoreResult<Option<i64>> {
    conn.prepare_cached(sql::ATTENDEE_SEQ)
        .and_then(|mut stmt| {
            stmt.query_row(params![meeting.seq, attendee_id], |row| row.get(0))
                .optional()
        })
        .context("looking up an attendee")
}

/// The attendee with this id of the meeting with this seq (and id).
pub(crate) fn find(
    conn: &Connection,
    meeting_seq: i64,
    meeting_id: &str,
    attendee_id: &str,
) -> StoreResult<Option<AttendeeRecord>> {
    conn.prepare_cached(sql::GET_ATTENDEE)
        .and_then(|mut stmt| {
            stmt.query_row(params![meeting_seq, attendee_id], |row| {
                rows::attendee(row, meeting_id)
            })
            .optional()
        })
        .context("reading an attendee")
}

/// GetAttendee's lookup, the meeting's and the attendee's in one statement
/// ([`sql::GET_ATTENDEE_OF_MEETING`]).
pub(crate) fn find_in_meeting(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    attendee_id: &str,
) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
    let found = conn
        .prepare_cached(sql::GET_ATTENDEE_OF_MEETING)
        .and_then(|mut stmt| {
            stmt.query_row(
                params![
                    meeting_id,
                    scope.account_id,
                    scope.namespace.as_str(),
                    attendee_id
                ],
                |row| match row.get_ref(0)? {
                    ValueRef::Null => Ok(None),
                    _ => rows::attendee(row, meeting_id).map(Some),
                },
            )
            .optional()
        })
        .context("reading an attendee")?;
    Ok(AttendeeLookup::from(found))
}

/// ListAttendees' read, the meeting's lookup and the page in one statement
/// ([`sql::LIST_ATTENDEES_OF_MEETING`]); `None` when the scope has no such active meeting.
pub(crate) fn list_in_meeting(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<Option<AttendeePage>> {
    let rows = rows_in_meeting(conn, scope, meeting_id, after, limit)?;
    Ok(rows.map(|rows| rules::page(rows, limit, after)))
}

/// The rows [`list_in_meeting`] cuts its page from: at most [`rules::rows_for_page`]`(limit)`
/// attendees after position `after`, in order, each with its position.
pub(crate) fn rows_in_meeting(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<Option<Vec<(AttendeeRecord, i64)>>> {
    let mut meeting_found = false;
    let rows: Vec<(AttendeeRecord, i64)> = conn
        .prepare_cached(sql::LIST_ATTENDEES_OF_MEETING)
        .and_then(|mut stmt| {
            let params = params![
                meeting_id,
                scope.account_id,
                scope.namespace.as_str(),
                after.unwrap_or(0),
                rules::rows_for_page(limit),
            ];
            let mut rows = stmt.query(params)?;
            let mut page = Vec::new();
            while let Some(row) = rows.next()? {
                meeting_found = true;
                if row.get_ref(0)? != ValueRef::Null {
                    page.push((rows::attendee(row, meeting_id)?, row.get(4)?));
                }
            }
            Ok(page)
        })
        .context("listing attendees")?;
    Ok(meeting_found.then_some(rows))
}

/// Deletes the attendee and, with its row, its tags; `None` when the meeting has no such
/// attendee.
pub(crate) fn delete(
    conn: &Connection,
    meeting: &ActiveMeeting,
    attendee_id: &str,
) -> StoreResult<Option<()>> {
    let deleted = conn
        .prepare_cached(sql::DELETE_ATTENDEE)
        .and_then(|mut stmt| stmt.execute(params![meeting.seq, attendee_id]))
        .context("deleting an attendee")?;
    if deleted == 0 {
        return Ok(None);
    }
    set_count(conn, meeting.seq, meeting.attendee_count - 1)?;
    Ok(Some(()))
}

/// As [`delete`], returning the attendee deleted (what its event names).
pub(crate) fn delete_returning(
    conn: &Connection,
    meeting: &ActiveMeeting,
    attendee_id: &str,
) -> StoreResult<Option<AttendeeRecord>> {
    let deleted = conn
        .prepare_cached(sql::events::DELETE_ATTENDEE_RETURNING)
        .and_then(|mut stmt| {
            stmt.query_row(params![meeting.seq, attendee_id], |row| {
                rows::attendee(row, &meeting.meeting_id)
            })
            .optional()
        })
        .context("deleting an attendee")?;
    if deleted.is_some() {
        set_count(conn, meeting.seq, meeting.attendee_count - 1)?;
    }
    Ok(deleted)
}

/// Deletes the meeting's attendees and, with their rows, their tags.
pub(crate) fn delete_all(conn: &Connection, meeting_seq: i64) -> StoreResult<()> {
    conn.prepare_cached(sql::DELETE_MEETING_ATTENDEES)
        .and_then(|mut stmt| stmt.execute([meeting_seq]))
        .context("deleting a meeting's attendees")?;
    Ok(())
}

/// The attendee as updated; `None` when the meeting has no such attendee.
pub(crate) fn update_capabilities(
    conn: &Connection,
    meeting: &ActiveMeeting,
    attendee_id: &str,
    capabilities: &AttendeeCapabilities,
) -> StoreResult<Option<AttendeeRecord>> {
    let code = rows::capabilities_code(capabilities);
    conn.prepare_cached(sql::UPDATE_CAPABILITIES)
        .and_then(|mut stmt| {
            stmt.query_row(params![meeting.seq, attendee_id, code], |row| {
                rows::attendee(row, &meeting.meeting_id)
            })
            .optional()
        })
        .context("updating attendee capabilities")
}

pub(crate) fn update_capabilities_except(
    conn: &Connection,
    meeting: &ActiveMeeting,
    excluded_attendee_ids: &[String],
    capabilities: &AttendeeCapabilities,
) -> StoreResult<()> {
    let what = "updating attendee capabilities";
    let code = rows::capabilities_code(capabilities);
    let excluded = to_json(&excluded_attendee_ids, "the excluded AttendeeIds").context(what)?;
    conn.prepare_cached(sql::UPDATE_CAPABILITIES_EXCEPT)
        .and_then(|mut stmt| stmt.execute(params![meeting.seq, code, excluded]))
        .context(what)?;
    Ok(())
}

/// As [`update_capabilities_except`], returning the attendees updated in creation order.
pub(crate) fn update_capabilities_except_returning(
    conn: &Connection,
    meeting: &ActiveMeeting,
    excluded_attendee_ids: &[String],
    capabilities: &AttendeeCapabilities,
) -> StoreResult<Vec<AttendeeRecord>> {
    let what = "updating attendee capabilities";
    let code = rows::capabilities_code(capabilities);
    let excluded = to_json(&excluded_attendee_ids, "the excluded AttendeeIds").context(what)?;
    let mut updated: Vec<(AttendeeRecord, i64)> = conn
        .prepare_cached(sql::events::UPDATE_CAPABILITIES_EXCEPT_RETURNING)
        .and_then(|mut stmt| {
            stmt.query_map(params![meeting.seq, code, excluded], |row| {
                Ok((rows::attendee(row, &meeting.meeting_id)?, row.get(4)?))
            })?
            .collect()
        })
        .context(what)?;
    // RETURNING gives rows in no promised order.
    updated.sort_by_key(|(_, seq)| *seq);
    Ok(updated.into_iter().map(|(a, _)| a).collect())
}
