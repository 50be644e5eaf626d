//! Meeting operations, each run on one connection inside the caller's transaction.

use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    CreateMeetingOutcome, JoinLookup, MeetingPage, MeetingRecord, NewAttendee, NewMeeting, Scope,
    StoreResult,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Context;
use crate::rows::{self, to_json, to_optional_json};
use crate::{attendees, sql, tags};

/// What the writes need to know about an active meeting.
pub(crate) struct ActiveMeeting {
    pub seq: i64,
    pub meeting_id: String,
    pub max_attendees: i64,
    pub attendee_count: i64,
    pub primary_meeting_id: Option<String>,
}

/// The active meeting of the scope with this id.
pub(crate) fn active(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<ActiveMeeting>> {
    conn.prepare_cached(sql::ACTIVE_MEETING)
        .and_then(|mut stmt| {
            stmt.query_row(
                params![meeting_id, scope.account_id, scope.namespace.as_str()],
                |row| {
                    Ok(ActiveMeeting {
                        seq: row.get(0)?,
                        meeting_id: meeting_id.to_owned(),
                        max_attendees: row.get(1)?,
                        attendee_count: row.get(2)?,
                        primary_meeting_id: row.get(3)?,
                    })
                },
            )
            .optional()
        })
        .context("looking up a meeting")
}

pub(crate) fn get(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<MeetingRecord>> {
    conn.prepare_cached(sql::GET_MEETING)
        .and_then(|mut stmt| {
            stmt.query_row(
                params![meeting_id, scope.account_id, scope.namespace.as_str()],
                rows::meeting,
            )
            .optional()
        })
        .context("reading a meeting")
}

fn by_token(conn: &Connection, scope: &Scope, token: &str) -> StoreResult<Option<MeetingRecord>> {
    conn.prepare_cached(sql::MEETING_BY_TOKEN)
        .and_then(|mut stmt| {
            stmt.query_row(
                params![scope.account_id, scope.namespace.as_str(), token],
                rows::meeting,
            )
            .optional()
        })
        .context("looking up a ClientRequestToken")
}

/// The seq and id of each active replica.
fn active_replicas(conn: &Connection, primary_meeting_id: &str) -> StoreResult<Vec<(i64, String)>> {
    conn.prepare_cached(sql::ACTIVE_REPLICAS)
        .and_then(|mut stmt| {
            stmt.query_map([primary_meeting_id], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
        .context("listing active replicas")
}

/// The meeting with this id whatever its scope, active or ended, and its seq.
pub(crate) fn any_by_id(
    conn: &Connection,
    meeting_id: &str,
) -> StoreResult<Option<(MeetingRecord, i64)>> {
    conn.prepare_cached(sql::MEETING_BY_ID)
        .and_then(|mut stmt| {
            stmt.query_row([meeting_id], |row| Ok((rows::meeting(row)?, row.get(16)?)))
                .optional()
        })
        .context("looking up a meeting by id")
}

/// True when the scope holds at least `quota` active meetings. Costs at most `quota` steps
/// through the partial index of active meetings.
fn at_quota(conn: &Connection, scope: &Scope, quota: u32) -> StoreResult<bool> {
    let Some(skip) = quota.checked_sub(1) else {
        return Ok(true);
    };
    conn.prepare_cached(sql::NTH_ACTIVE_MEETING)
        .and_then(|mut stmt| {
            stmt.exists(params![
                scope.account_id,
                scope.namespace.as_str(),
                i64::from(skip)
            ])
        })
        .context("counting active meetings")
}

/// Runs on the writer thread, so the checks and the insert are one step for every other request:
/// concurrent creates can neither share a token nor pass a cap.
pub(crate) fn create(
    conn: &Connection,
    new: NewMeeting,
    attendees: Vec<NewAttendee>,
) -> StoreResult<CreateMeetingOutcome> {
    let record = new.record;
    if let Some(meeting) = by_token(conn, &record.scope, &record.client_request_token)? {
        return Ok(CreateMeetingOutcome::Replayed { meeting });
    }
    if let Some(primary_id) = &record.primary_meeting_id {
        let Some(primary) = active(conn, &record.scope, primary_id)? else {
            return Ok(CreateMeetingOutcome::PrimaryNotFound);
        };
        if primary.primary_meeting_id.is_some() {
            return Ok(CreateMeetingOutcome::PrimaryIsReplica);
        }
        if active_replicas(conn, primary_id)?.len() >= new.max_replicas as usize {
            return Ok(CreateMeetingOutcome::TooManyReplicas);
        }
    }
    if let Some(quota) = new.max_active_meetings {
        if at_quota(conn, &record.scope, quota)? {
            return Ok(CreateMeetingOutcome::TooManyMeetings);
        }
    }
    let seq = insert(conn, &record)?;
    tags::insert(conn, &tags::MEETING, seq, &new.tags)?;
    let meeting = ActiveMeeting {
        seq,
        meeting_id: record.meeting_id.clone(),
        max_attendees: i64::from(record.max_attendees()),
        attendee_count: 0,
        primary_meeting_id: record.primary_meeting_id.clone(),
    };
    let attendees = attendees::create_in(conn, &meeting, attendees)?;
    Ok(CreateMeetingOutcome::Created {
        meeting: record,
        attendees,
    })
}

fn insert(conn: &Connection, r: &MeetingRecord) -> StoreResult<i64> {
    let tenant_ids = to_json(&r.tenant_ids, "encoding TenantIds")?;
    let features = to_optional_json(r.features.as_ref(), "encoding MeetingFeatures")?;
    let notifications = to_optional_json(
        r.notifications.as_ref(),
        "encoding NotificationsConfiguration",
    )?;
    let transcription = to_optional_json(
        r.transcription.as_ref(),
        "encoding TranscriptionConfiguration",
    )?;
    conn.prepare_cached(sql::INSERT_MEETING)
        .and_then(|mut stmt| {
            stmt.execute(params![
                r.meeting_id,
                r.scope.account_id,
                r.scope.namespace.as_str(),
                r.control_region,
                r.client_request_token,
                r.media_region,
                r.external_meeting_id,
                r.meeting_host_id,
                r.primary_meeting_id,
                tenant_ids,
                features,
                notifications,
                r.media_placement_network_type,
                transcription,
                r.created_at_ms,
                r.ended_at_ms,
                i64::from(r.max_attendees()),
            ])
        })
        .context("inserting a meeting")?;
    Ok(conn.last_insert_rowid())
}

/// The scope's active meetings in creation order, after position `after`.
pub(crate) fn list(
    conn: &Connection,
    scope: &Scope,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<MeetingPage> {
    // One row more than asked tells whether another page follows.
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let mut rows: Vec<(MeetingRecord, i64)> = conn
        .prepare_cached(sql::LIST_MEETINGS)
        .and_then(|mut stmt| {
            stmt.query_map(
                params![
                    scope.account_id,
                    scope.namespace.as_str(),
                    after.unwrap_or(0),
                    fetch
                ],
                |row| Ok((rows::meeting(row)?, row.get(16)?)),
            )?
            .collect()
        })
        .context("listing meetings")?;
    let next = if rows.len() > limit {
        rows.truncate(limit);
        Some(
            rows.last()
                .map_or(after.unwrap_or(0), |(_, position)| *position),
        )
    } else {
        None
    };
    Ok(MeetingPage {
        meetings: rows.into_iter().map(|(meeting, _)| meeting).collect(),
        next,
    })
}

/// Ends the meeting and, for a primary, its active replicas, and returns the ids of the meetings
/// ended (`None`: the scope has no such active meeting). Deleting the attendee rows deletes
/// their tags too.
pub(crate) fn end(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    now_ms: i64,
) -> StoreResult<Option<Vec<String>>> {
    let Some(meeting) = active(conn, scope, meeting_id)? else {
        return Ok(None);
    };
    let mut ending = vec![(meeting.seq, meeting.meeting_id)];
    if meeting.primary_meeting_id.is_none() {
        ending.extend(active_replicas(conn, meeting_id)?);
    }
    let mut ended = Vec::with_capacity(ending.len());
    for (seq, id) in ending {
        ended.push(id);
        conn.prepare_cached(sql::END_MEETING)
            .and_then(|mut stmt| stmt.execute(params![seq, now_ms]))
            .context("ending a meeting")?;
        attendees::delete_all(conn, seq)?;
        tags::delete_all(conn, seq)?;
    }
    Ok(Some(ended))
}

pub(crate) fn set_transcription(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
    configuration: Option<&TranscriptionConfiguration>,
) -> StoreResult<Option<()>> {
    let json = to_optional_json(configuration, "encoding TranscriptionConfiguration")?;
    let changed = conn
        .prepare_cached(sql::SET_TRANSCRIPTION)
        .and_then(|mut stmt| {
            stmt.execute(params![
                meeting_id,
                scope.account_id,
                scope.namespace.as_str(),
                json
            ])
        })
        .context("setting transcription")?;
    Ok((changed > 0).then_some(()))
}

/// The meeting with this id in any scope, and its attendee with this id.
pub(crate) fn join_lookup(
    conn: &Connection,
    meeting_id: &str,
    attendee_id: &str,
) -> StoreResult<JoinLookup> {
    let Some((meeting, seq)) = any_by_id(conn, meeting_id)? else {
        return Ok(JoinLookup::MeetingNotFound);
    };
    if !meeting.is_active() {
        return Ok(JoinLookup::MeetingEnded(meeting));
    }
    Ok(
        match attendees::find(conn, seq, &meeting.meeting_id, attendee_id)? {
            Some(attendee) => JoinLookup::Found(meeting, attendee),
            None => JoinLookup::AttendeeNotFound(meeting),
        },
    )
}
