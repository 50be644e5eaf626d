//! Mapping between rows and records. A value that does not decode (bad JSON, an unknown
//! namespace, capabilities of an unknown form) is a store error, never a panic.

use carillon_core::ids::join_token;
use carillon_core::store::rows::MeetingRow;
use carillon_core::{
    AttendeeCapabilities, AttendeeRecord, MediaCapability, MeetingRecord, StoreResult, Tag,
};
use rusqlite::types::{ToSqlOutput, Type, Value, ValueRef};
use rusqlite::Row;

use crate::error::Context;

/// Reads a row of [`crate::sql::GET_MEETING`]'s columns; [`meeting`] decodes it.
pub(crate) fn meeting_row(row: &Row<'_>) -> rusqlite::Result<MeetingRow> {
    Ok(MeetingRow {
        meeting_id: row.get(0)?,
        account_id: row.get(1)?,
        namespace: row.get(2)?,
        control_region: row.get(3)?,
        client_request_token: row.get(4)?,
        media_region: row.get(5)?,
        external_meeting_id: row.get(6)?,
        meeting_host_id: row.get(7)?,
        primary_meeting_id: row.get(8)?,
        tenant_ids: row.get(9)?,
        features: row.get(10)?,
        notifications: row.get(11)?,
        media_placement_network_type: row.get(12)?,
        transcription: row.get(13)?,
        created_at_ms: row.get(14)?,
        ended_at_ms: row.get(15)?,
        end_reason: row.get(16)?,
    })
}

/// The meeting columns of `INSERT_MEETING` and `IMPORT_MEETING` (`?1` to `?17`), in order; each
/// statement's own parameters follow.
pub(crate) fn meeting_params(r: &MeetingRow) -> Vec<&dyn rusqlite::ToSql> {
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

/// The meeting a statement read (`what` says which, for the error).
pub(crate) fn meeting(
    read: rusqlite::Result<Option<MeetingRow>>,
    what: &str,
) -> StoreResult<Option<MeetingRecord>> {
    read.context(what)?
        .map(|row| row.into_record().context(what))
        .transpose()
}

/// Reads a row of the attendee columns; the meeting id is the one the caller looked under.
pub(crate) fn attendee(row: &Row<'_>, meeting_id: &str) -> rusqlite::Result<AttendeeRecord> {
    let attendee_id: String = row.get(0)?;
    Ok(AttendeeRecord {
        meeting_id: meeting_id.to_owned(),
        external_user_id: row.get(1)?,
        join_token: stored_join_token(row, 2, &attendee_id)?,
        capabilities: stored_capabilities(row, 3)?,
        attendee_id,
    })
}

/// How a JoinToken is stored: the 16 bytes of its random half (a BLOB) when it has the form of
/// every token this server issues (`carillon_core::ids::join_token_random_half`), which gives
/// back the same token from the attendee id; otherwise the token itself. Rows written before
/// schema version 3 hold the token itself.
pub(crate) fn join_token_value<'a>(attendee_id: &str, token: &'a str) -> ToSqlOutput<'a> {
    match carillon_core::ids::join_token_random_half(attendee_id, token) {
        Some(random) => ToSqlOutput::Owned(Value::Blob(random.to_vec())),
        None => ToSqlOutput::Borrowed(ValueRef::Text(token.as_bytes())),
    }
}

fn stored_join_token(row: &Row<'_>, idx: usize, attendee_id: &str) -> rusqlite::Result<String> {
    match row.get_ref(idx)? {
        ValueRef::Blob(bytes) => {
            let random: &[u8; 16] = bytes.try_into().map_err(|_| {
                conversion_error(idx, format!("a {}-byte JoinToken", bytes.len()).into())
            })?;
            Ok(join_token(attendee_id, random))
        }
        _ => row.get(idx),
    }
}

/// Attendee capabilities as stored: one letter per medium, audio, video and content in that
/// order: `B` SendReceive (both ways), `S` Send, `R` Receive, `N` None. Migration 3 turned the
/// JSON of earlier versions into these (and must agree with this function).
pub(crate) fn capabilities_code(c: &AttendeeCapabilities) -> String {
    [c.audio, c.video, c.content]
        .into_iter()
        .map(|m| match m {
            MediaCapability::SendReceive => 'B',
            MediaCapability::Send => 'S',
            MediaCapability::Receive => 'R',
            MediaCapability::None => 'N',
        })
        .collect()
}

fn stored_capabilities(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<Option<AttendeeCapabilities>> {
    row.get_ref(idx)?
        .as_str_or_null()?
        .map(|code| {
            capabilities(code).ok_or_else(|| {
                conversion_error(idx, format!("unknown capabilities {code:?}").into())
            })
        })
        .transpose()
}

fn capabilities(code: &str) -> Option<AttendeeCapabilities> {
    let medium = |letter| match letter {
        b'B' => Some(MediaCapability::SendReceive),
        b'S' => Some(MediaCapability::Send),
        b'R' => Some(MediaCapability::Receive),
        b'N' => Some(MediaCapability::None),
        _ => None,
    };
    match code.as_bytes() {
        &[audio, video, content] => Some(AttendeeCapabilities {
            audio: medium(audio)?,
            video: medium(video)?,
            content: medium(content)?,
        }),
        _ => None,
    }
}

pub(crate) fn tag(row: &Row<'_>) -> rusqlite::Result<Tag> {
    Ok(Tag {
        key: row.get(0)?,
        value: row.get(1)?,
    })
}

fn conversion_error(
    idx: usize,
    source: Box<dyn std::error::Error + Send + Sync + 'static>,
) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, source)
}
