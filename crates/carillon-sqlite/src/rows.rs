//! Mapping between rows and records. A value that does not decode (bad JSON, an unknown
//! namespace) is reported as a conversion error of its column, never a panic.

use carillon_core::{AttendeeCapabilities, AttendeeRecord, MeetingRecord, Namespace, Scope, Tag};
use rusqlite::types::{ToSqlOutput, Type, Value};
use rusqlite::Row;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::Context;

/// Reads a row of [`crate::sql::GET_MEETING`]'s columns.
pub(crate) fn meeting(row: &Row<'_>) -> rusqlite::Result<MeetingRecord> {
    let namespace: String = row.get(2)?;
    let namespace = Namespace::parse(&namespace)
        .ok_or_else(|| conversion_error(2, format!("unknown namespace {namespace:?}").into()))?;
    Ok(MeetingRecord {
        meeting_id: row.get(0)?,
        scope: Scope {
            account_id: row.get(1)?,
            namespace,
        },
        control_region: row.get(3)?,
        client_request_token: row.get(4)?,
        media_region: row.get(5)?,
        external_meeting_id: row.get(6)?,
        meeting_host_id: row.get(7)?,
        primary_meeting_id: row.get(8)?,
        tenant_ids: json(row, 9)?,
        features: optional_json(row, 10)?,
        notifications: optional_json(row, 11)?,
        media_placement_network_type: row.get(12)?,
        transcription: optional_json(row, 13)?,
        created_at_ms: row.get(14)?,
        ended_at_ms: row.get(15)?,
    })
}

/// Reads a row of the attendee columns; the meeting id is the one the caller looked under.
pub(crate) fn attendee(row: &Row<'_>, meeting_id: &str) -> rusqlite::Result<AttendeeRecord> {
    Ok(AttendeeRecord {
        meeting_id: meeting_id.to_owned(),
        attendee_id: row.get(0)?,
        external_user_id: row.get(1)?,
        join_token: row.get(2)?,
        capabilities: optional_json::<AttendeeCapabilities>(row, 3)?,
    })
}

pub(crate) fn tag(row: &Row<'_>) -> rusqlite::Result<Tag> {
    Ok(Tag {
        key: row.get(0)?,
        value: row.get(1)?,
    })
}

/// A struct-valued member as JSON text.
pub(crate) fn to_json<T: Serialize>(
    value: &T,
    what: &str,
) -> Result<String, carillon_core::StoreError> {
    serde_json::to_string(value).context(what)
}

/// An optional struct-valued member as JSON text or NULL.
pub(crate) fn to_optional_json<T: Serialize>(
    value: Option<&T>,
    what: &str,
) -> Result<ToSqlOutput<'static>, carillon_core::StoreError> {
    Ok(match value {
        Some(v) => ToSqlOutput::Owned(Value::Text(to_json(v, what)?)),
        None => ToSqlOutput::Owned(Value::Null),
    })
}

fn json<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<T> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| conversion_error(idx, Box::new(e)))
}

fn optional_json<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<T>> {
    let text: Option<String> = row.get(idx)?;
    text.map(|t| serde_json::from_str(&t).map_err(|e| conversion_error(idx, Box::new(e))))
        .transpose()
}

fn conversion_error(
    idx: usize,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, source)
}
