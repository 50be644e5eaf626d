//! Meeting operations, each run on one connection inside the caller's transaction. What they
//! decide is decided by [`carillon_core::store::rules`].

use carillon_core::clock::now_ms;
use carillon_core::store::rows::{to_optional_json, MeetingRow};
use carillon_core::store::rules::{self, caused, ActiveMeeting, CreationFacts, PrimaryFacts};
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    CreateMeetingOutcome, EndReason, JoinLookup, MeetingPage, MeetingRecord, NewAttendee,
    NewMeeting, Scope, StoreResult,
};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::Context;
use crate::events::Recorder;
use crate::rows;
use crate::{attendees, sql, tags};

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

/// As [`active`], with the meeting's record, in one lookup: what a write that records events
/// reads.
pub(crate) fn active_record(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<(ActiveMeeting, MeetingRecord)>> {
    let what = "looking up a meeting";
    let found = conn
        .prepare_cached(sql::events::ACTIVE_MEETING_RECORD)
        .and_then(|mut stmt| {
            stmt.query_row(
                params![meeting_id, scope.account_id, scope.namespace.as_str()],
                |row| {
                    let record = rows::meeting_row(row)?;
                    let meeting = ActiveMeeting {
                        seq: row.get(17)?,
                        meeting_id: meeting_id.to_owned(),
                        max_attendees: row.get(18)?,
                        attendee_count: row.get(19)?,
                        primary_meeting_id: record.primary_meeting_id.clone(),
                    };
                    Ok((meeting, record))
                },
            )
            .optional()
        })
        .context(what)?;
    found
        .map(|(meeting, row)| Ok((meeting, row.into_record().context(what)?)))
        .transpose()
}

pub(crate) fn get(
    conn: &Connection,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<MeetingRecord>> {
    let read = conn.prepare_cached(sql::GET_MEETING).and_then(|mut stmt| {
        stmt.query_row(
            params![meeting_id, scope.account_id, scope.namespace.as_str()],
            rows::meeting_row,
        )
        .optional()
    });
    rows::meeting(read, "reading a meeting")
}

fn by_token(conn: &Connection, scope: &Scope, token: &str) -> StoreResult<Option<MeetingRecord>> {
    let read = conn
        .prepare_cached(sql::MEETING_BY_TOKEN)
        .and_then(|mut stmt| {
            stmt.query_row(
                params![scope.account_id, scope.namespace.as_str(), token],
                rows::meeting_row,
            )
            .optional()
        });
    rows::meeting(read, "looking up a ClientRequestToken")
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
    let what = "looking up a meeting by id";
    conn.prepare_cached(sql::MEETING_BY_ID)
        .and_then(|mut stmt| {
            stmt.query_row([meeting_id], |row| {
                Ok((rows::meeting_row(row)?, row.get(17)?))
            })
            .optional()
        })
        .context(what)?
        .map(|(row, seq)| Ok((row.into_record().context(what)?, seq)))
        .transpose()
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
    rec: &Recorder,
    new: NewMeeting,
    attendees: Vec<NewAttendee>,
) -> StoreResult<CreateMeetingOutcome> {
    let scope = &new.record.scope;
    let facts = CreationFacts {
        same_token: by_token(conn, scope, &new.record.client_request_token)?,
        primary: match &new.record.primary_meeting_id {
            Some(id) => Some(PrimaryFacts {
                meeting: active(conn, scope, id)?,
                active_replicas: active_replicas(conn, id)?.len(),
            }),
            None => None,
        },
        at_quota: match new.max_active_meetings {
            Some(quota) => at_quota(conn, scope, quota)?,
            None => false,
        },
    };
    if let Some(refused) = rules::creation_refusal(&new, facts) {
        return Ok(refused);
    }
    let seq = insert(conn, &new.record)?;
    tags::insert(conn, &tags::MEETING, seq, new.tags)?;
    let meeting = ActiveMeeting::inserted(&new.record, seq);
    let attendees = attendees::create_in(conn, &meeting, attendees)?;
    if rec.on() {
        let events = caused::meeting_created(&new.record, &attendees);
        rec.record(conn, &new.record, events)?;
    }
    Ok(CreateMeetingOutcome::Created {
        meeting: new.record,
        attendees,
    })
}

fn insert(conn: &Connection, record: &MeetingRecord) -> StoreResult<i64> {
    let what = "inserting a meeting";
    let r = MeetingRow::from_record(record).context(what)?;
    let max_attendees = i64::from(record.max_attendees());
    let mut values = rows::meeting_params(&r);
    values.push(&max_attendees);
    conn.prepare_cached(sql::INSERT_MEETING)
        .and_then(|mut stmt| stmt.execute(values.as_slice()))
        .context(what)?;
    Ok(conn.last_insert_rowid())
}

/// The scope's active meetings in creation order, after position `after`.
pub(crate) fn list(
    conn: &Connection,
    scope: &Scope,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<MeetingPage> {
    let what = "listing meetings";
    let rows: Vec<(MeetingRow, i64)> = conn
        .prepare_cached(sql::LIST_MEETINGS)
        .and_then(|mut stmt| {
            stmt.query_map(
                params![
                    scope.account_id,
                    scope.namespace.as_str(),
                    after.unwrap_or(0),
                    rules::rows_for_page(limit)
                ],
                |row| Ok((rows::meeting_row(row)?, row.get(17)?)),
            )?
            .collect()
        })
        .context(what)?;
    rules::page(rows, limit, after).try_map(|row| row.into_record().context(what))
}

/// Ends the meeting and the meetings that end with it ([`rules::ending`]), and returns their ids
/// (`None`: the scope has no such active meeting). Deleting the attendee rows deletes their tags
/// too.
pub(crate) fn end(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    now_ms: i64,
) -> StoreResult<Option<Vec<String>>> {
    let Some(meeting) = active(conn, scope, meeting_id)? else {
        return Ok(None);
    };
    let ended = end_active(conn, rec, meeting, EndReason::Deleted, now_ms)?;
    Ok(Some(ended.into_iter().map(|(id, _)| id).collect()))
}

/// Ends an active meeting for `reason` with the meetings that end with it, and returns their ids
/// and reasons. Each sends `chime:MeetingEnded` with its record as it was before the end.
pub(crate) fn end_active(
    conn: &Connection,
    rec: &Recorder,
    meeting: ActiveMeeting,
    reason: EndReason,
    now_ms: i64,
) -> StoreResult<Vec<(String, EndReason)>> {
    // A replica has no replicas of its own (a replica cannot be a primary).
    let replicas = if meeting.is_replica() {
        Vec::new()
    } else {
        active_replicas(conn, &meeting.meeting_id)?
    };
    let mut ended = Vec::new();
    for (seq, id, reason) in rules::ending_with(meeting, replicas, reason) {
        let before = if rec.on() {
            any_by_id(conn, &id)?.map(|(record, _)| record)
        } else {
            None
        };
        conn.prepare_cached(sql::END_MEETING)
            .and_then(|mut stmt| stmt.execute(params![seq, now_ms, reason.as_str()]))
            .context("ending a meeting")?;
        attendees::delete_all(conn, seq)?;
        tags::delete_all(conn, seq)?;
        if let Some(record) = before {
            rec.record(conn, &record, caused::meeting_ended(&record, now_ms))?;
        }
        ended.push((id, reason));
    }
    Ok(ended)
}

/// Starts, replaces or (`None`) stops the meeting's transcription; reads the configuration that
/// ran before only when events are recorded (a stop of nothing running sends none).
pub(crate) fn set_transcription(
    conn: &Connection,
    rec: &Recorder,
    scope: &Scope,
    meeting_id: &str,
    configuration: Option<&TranscriptionConfiguration>,
) -> StoreResult<Option<()>> {
    let what = "setting transcription";
    let before = if rec.on() {
        match active_record(conn, scope, meeting_id)? {
            Some((_, record)) => Some(record),
            None => return Ok(None),
        }
    } else {
        None
    };
    let json = to_optional_json(configuration, "TranscriptionConfiguration").context(what)?;
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
        .context(what)?;
    if changed == 0 {
        return Ok(None);
    }
    if let Some(meeting) = before {
        let running = meeting.transcription.as_ref();
        let events = caused::transcription_set(&meeting, running, configuration, now_ms());
        rec.record(conn, &meeting, events)?;
    }
    Ok(Some(()))
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
    let attendee = attendees::find(conn, seq, &meeting.meeting_id, attendee_id)?;
    Ok(rules::join_lookup(Some(meeting), attendee))
}
