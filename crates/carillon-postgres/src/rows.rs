//! Mapping between rows and records. A value that does not decode (bad JSON, an unknown
//! namespace) is a fault reported with its column, never a panic.

use carillon_core::{
    AttendeeCapabilities, AttendeeRecord, MeetingRecord, Namespace, Scope, StoreError, StoreResult,
    Tag,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use crate::error::Context;

fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> StoreResult<T> {
    row.try_get(idx).context("reading a column")
}

/// Reads a row of [`crate::sql::GET_MEETING`]'s columns.
pub(crate) fn meeting(row: &Row) -> StoreResult<MeetingRecord> {
    let namespace: &str = get(row, 2)?;
    let namespace = Namespace::parse(namespace)
        .ok_or_else(|| StoreError::new(format!("postgres: unknown namespace {namespace:?}")))?;
    Ok(MeetingRecord {
        meeting_id: get(row, 0)?,
        scope: Scope {
            account_id: get(row, 1)?,
            namespace,
        },
        control_region: get(row, 3)?,
        client_request_token: get(row, 4)?,
        media_region: get(row, 5)?,
        external_meeting_id: get(row, 6)?,
        meeting_host_id: get(row, 7)?,
        primary_meeting_id: get(row, 8)?,
        tenant_ids: json(get(row, 9)?)?,
        features: optional_json(get(row, 10)?)?,
        notifications: optional_json(get(row, 11)?)?,
        media_placement_network_type: get(row, 12)?,
        transcription: optional_json(get(row, 13)?)?,
        created_at_ms: get(row, 14)?,
        ended_at_ms: get(row, 15)?,
    })
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
    Ok(Some(AttendeeRecord {
        meeting_id: meeting_id.to_owned(),
        attendee_id,
        external_user_id: get(row, first + 1)?,
        join_token: get(row, first + 2)?,
        capabilities: optional_json::<AttendeeCapabilities>(get(row, first + 3)?)?,
    }))
}

pub(crate) fn tag(row: &Row) -> StoreResult<Tag> {
    Ok(Tag {
        key: get(row, 0)?,
        value: get(row, 1)?,
    })
}

pub(crate) fn to_json<T: Serialize>(value: &T, what: &str) -> StoreResult<String> {
    serde_json::to_string(value).context(what)
}

pub(crate) fn to_optional_json<T: Serialize>(
    value: Option<&T>,
    what: &str,
) -> StoreResult<Option<String>> {
    value.map(|v| to_json(v, what)).transpose()
}

fn json<T: DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).context("decoding a JSON column")
}

fn optional_json<T: DeserializeOwned>(text: Option<&str>) -> StoreResult<Option<T>> {
    text.map(json).transpose()
}
