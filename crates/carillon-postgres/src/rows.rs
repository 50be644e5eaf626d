//! Mapping between rows and records. A value that does not decode (bad JSON, an unknown
//! namespace) is a fault reported with what was being read, never a panic.

use carillon_core::events::outbox::{EventPosition, EventSource, LoggedEvent, StoredEvent};
use carillon_core::store::rows::{from_optional_json, MeetingRow};
use carillon_core::{AttendeeRecord, MeetingRecord, StoreError, StoreResult, Tag};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use crate::error::Context;

pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).context("reading a column")
}

/// The meeting columns of `INSERT_MEETING` and `IMPORT_MEETING` (`$1` to `$17`), in order; each
/// statement's own parameters follow.
pub(crate) fn meeting_params(r: &MeetingRow) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    vec![
        &r.meeting_id,
        &r.account_id,
        &r.namespace,
        &r.control_region,
        &r.client_request_token,
        &r.media_region,
        &r.external_meeting_id,
        &r.meeting_host_id,
        &r.primary_meeting_id,
        &r.tenant_ids,
        &r.features,
        &r.notifications,
        &r.media_placement_network_type,
        &r.transcription,
        &r.created_at_ms,
        &r.ended_at_ms,
        &r.end_reason,
    ]
}

/// Reads a row of [`crate::sql::GET_MEETING`]'s columns.
pub(crate) fn meeting(row: &Row) -> StoreResult<MeetingRecord> {
    meeting_from(row, 0)
}

/// As [`meeting`], with the meeting columns starting at column `first`.
pub(crate) fn meeting_from(row: &Row, first: usize) -> StoreResult<MeetingRecord> {
    MeetingRow {
        meeting_id: get(row, first)?,
        account_id: get(row, first + 1)?,
        namespace: get(row, first + 2)?,
        control_region: get(row, first + 3)?,
        client_request_token: get(row, first + 4)?,
        media_region: get(row, first + 5)?,
        external_meeting_id: get(row, first + 6)?,
        meeting_host_id: get(row, first + 7)?,
        primary_meeting_id: get(row, first + 8)?,
        tenant_ids: get(row, first + 9)?,
        features: get(row, first + 10)?,
        notifications: get(row, first + 11)?,
        media_placement_network_type: get(row, first + 12)?,
        transcription: get(row, first + 13)?,
        created_at_ms: get(row, first + 14)?,
        ended_at_ms: get(row, first + 15)?,
        end_reason: get(row, first + 16)?,
    }
    .into_record()
    .context("decoding a meeting")
}

/// Reads the attendee columns starting at column 0, or `None` when they are NULL (an outer
/// join that found no attendee). The meeting id is the one the caller looked under.
pub(crate) fn attendee(row: &Row, meeting_id: &str) -> StoreResult<Option<AttendeeRecord>> {
    attendee_from(row, 0, meeting_id)
}

/// As [`attendee`], with the attendee columns starting at column `first`.
pub(crate) fn attendee_from(
    row: &Row,
    first: usize,
    meeting_id: &str,
) -> StoreResult<Option<AttendeeRecord>> {
    let Some(attendee_id) = get::<Option<String>>(row, first)? else {
        return Ok(None);
    };
    let capabilities =
        from_optional_json(get(row, first + 3)?, "capabilities").context("decoding an attendee")?;
    Ok(Some(AttendeeRecord {
        meeting_id: meeting_id.to_owned(),
        attendee_id,
        external_user_id: get(row, first + 1)?,
        join_token: get(row, first + 2)?,
        capabilities,
    }))
}

pub(crate) fn tag(row: &Row) -> StoreResult<Tag> {
    Ok(Tag {
        key: get(row, 0)?,
        value: get(row, 1)?,
    })
}

/// Reads the event columns of [`crate::sql::EVENTS_AFTER`] starting at column `first`.
pub(crate) fn stored_event(row: &Row, first: usize) -> StoreResult<StoredEvent> {
    let seq: i64 = get(row, first)?;
    let source: String = get(row, first + 5)?;
    let source = EventSource::parse(&source)
        .ok_or_else(|| StoreError::new(format!("postgres: unknown event source {source:?}")))?;
    Ok(StoredEvent {
        position: EventPosition {
            major: get(row, first + 1)?,
            minor: seq,
        },
        seq,
        event: LoggedEvent {
            event_id: get(row, first + 2)?,
            meeting_id: get(row, first + 3)?,
            account_id: get(row, first + 4)?,
            source,
            name: get(row, first + 6)?,
            at_ms: get(row, first + 7)?,
            body: get(row, first + 8)?,
        },
    })
}

/// A count of attempts as stored (never negative).
pub(crate) fn attempts(row: &Row, idx: usize) -> StoreResult<u32> {
    let n: i32 = get(row, idx)?;
    u32::try_from(n).map_err(|_| StoreError::new(format!("postgres: {n} delivery attempts")))
}
