//! Mapping between rows and records. A value that does not decode (bad JSON, an unknown
//! namespace) is a fault reported with what was being read, never a panic.

use carillon_core::store::rows::{from_optional_json, MeetingRow};
use carillon_core::{AttendeeRecord, MeetingRecord, StoreResult, Tag};
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use crate::error::Context;

pub(crate) fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).context("reading a column")
}

/// Reads a row of [`crate::sql::GET_MEETING`]'s columns.
pub(crate) fn meeting(row: &Row) -> StoreResult<MeetingRecord> {
    MeetingRow {
        meeting_id: get(row, 0)?,
        account_id: get(row, 1)?,
        namespace: get(row, 2)?,
        control_region: get(row, 3)?,
        client_request_token: get(row, 4)?,
        media_region: get(row, 5)?,
        external_meeting_id: get(row, 6)?,
        meeting_host_id: get(row, 7)?,
        primary_meeting_id: get(row, 8)?,
        tenant_ids: get(row, 9)?,
        features: get(row, 10)?,
        notifications: get(row, 11)?,
        media_placement_network_type: get(row, 12)?,
        transcription: get(row, 13)?,
        created_at_ms: get(row, 14)?,
        ended_at_ms: get(row, 15)?,
        end_reason: get(row, 16)?,
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
