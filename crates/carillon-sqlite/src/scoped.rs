//! Operations under an active meeting of a scope: the lookups every one starts with, and the
//! attendee writes that record the events they cause. Each write reads the meeting's whole
//! record only when events are recorded, in the lookup it makes anyway.

use carillon_core::clock::now_ms;
use carillon_core::store::rules::{caused, ActiveMeeting};
use carillon_core::{
    AttendeeCapabilities, AttendeeLookup, AttendeeOutcome, AttendeeRecord, MeetingRecord,
    NewAttendee, Scope, StoreResult,
};
use rusqlite::Connection;

use crate::events::Recorder;
use crate::{attendees, meetings};

/// [`attendees::create_in`], then `chime:AttendeeAdded` for each attendee created.
pub(crate) fn create_attendees(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    new: Vec<NewAttendee>,
) -> StoreResult<Option<Vec<AttendeeOutcome>>> {
    with_recorded_meeting(conn, rec, scope, meeting_id, |meeting, record| {
        let outcomes = attendees::create_in(conn, meeting, new)?;
        if let Some(record) = record {
            let events = caused::attendees_added(record, &outcomes, now_ms());
            rec.record(conn, record, events)?;
        }
        Ok(outcomes)
    })
}

/// Deletes the attendee; when events are recorded, reads it in the same statement for its
/// `chime:AttendeeDeleted`.
pub(crate) fn delete_attendee(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    attendee_id: &str,
) -> StoreResult<AttendeeLookup<()>> {
    with_recorded_meeting(conn, rec, scope, meeting_id, |meeting, record| {
        let Some(record) = record else {
            return attendees::delete(conn, meeting, attendee_id);
        };
        let deleted = attendees::delete_returning(conn, meeting, attendee_id)?;
        if let Some(attendee) = &deleted {
            let events = caused::attendee_deleted(record, attendee, now_ms());
            rec.record(conn, record, events)?;
        }
        Ok(deleted.map(drop))
    })
    .map(AttendeeLookup::from)
}

pub(crate) fn update_capabilities(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    attendee_id: &str,
    capabilities: &AttendeeCapabilities,
) -> StoreResult<AttendeeLookup<AttendeeRecord>> {
    with_recorded_meeting(conn, rec, scope, meeting_id, |meeting, record| {
        let updated = attendees::update_capabilities(conn, meeting, attendee_id, capabilities)?;
        if let (Some(record), Some(attendee)) = (record, &updated) {
            let attendees = std::slice::from_ref(attendee);
            let events = caused::capabilities_updated(record, attendees, now_ms());
            rec.record(conn, record, events)?;
        }
        Ok(updated)
    })
    .map(AttendeeLookup::from)
}

/// Sets the capabilities of every attendee but the excluded; when events are recorded, one
/// `chime:AttendeeCapabilitiesUpdated` per attendee changed, in creation order.
pub(crate) fn update_capabilities_except(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    excluded: &[String],
    capabilities: &AttendeeCapabilities,
) -> StoreResult<Option<()>> {
    with_recorded_meeting(conn, rec, scope, meeting_id, |meeting, record| {
        let Some(record) = record else {
            return attendees::update_capabilities_except(conn, meeting, excluded, capabilities);
        };
        let updated =
            attendees::update_capabilities_except_returning(conn, meeting, excluded, capabilities)?;
        let events = caused::capabilities_updated(record, &updated, now_ms());
        rec.record(conn, record, events)
    })
}

/// Runs `op` on the active meeting of the scope with this id; `None` when there is none.
pub(crate) fn with_meeting<T>(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    op: impl FnOnce(&ActiveMeeting) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    meetings::active(conn, scope, meeting_id)?
        .map(|meeting| op(&meeting))
        .transpose()
}

/// As [`with_meeting`], with the meeting's record when `rec` records events (read in the same
/// lookup); without it when not, so that events switched off cost nothing.
fn with_recorded_meeting<T>(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    op: impl FnOnce(&ActiveMeeting, Option<&MeetingRecord>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    if !rec.on() {
        return with_meeting(conn, scope, meeting_id, |meeting| op(meeting, None));
    }
    meetings::active_record(conn, scope, meeting_id)?
        .map(|(meeting, record)| op(&meeting, Some(&record)))
        .transpose()
}

/// Runs `op` on the key of an attendee of an active meeting of the scope, or says which of the
/// two is missing.
pub(crate) fn with_attendee<T>(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    attendee_id: &str,
    op: impl FnOnce(i64) -> StoreResult<T>,
) -> StoreResult<AttendeeLookup<T>> {
    let found = with_meeting(conn, scope, meeting_id, |meeting| {
        attendees::seq(conn, meeting, attendee_id)
    })?;
    let done = found.map(|seq| seq.map(op).transpose()).transpose()?;
    Ok(AttendeeLookup::from(done))
}
