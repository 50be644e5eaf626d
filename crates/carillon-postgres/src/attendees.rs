//! Attendee operations, each inside the caller's transaction with the meeting's row locked
//! ([`crate::meetings::lock`]), which also checks the scope.

use std::collections::HashMap;

use carillon_core::store::rows::{to_json, to_optional_json};
use carillon_core::store::rules::{self, ActiveMeeting, Seats};
use carillon_core::{
    AttendeeCapabilities, AttendeeOutcome, AttendeeRecord, LiveChange, NewAttendee, StoreResult,
};
use deadpool_postgres::Transaction;

use crate::db::{execute, query, query_opt, Params};
use crate::error::Context;
use crate::live;
use crate::rows;
use crate::{sql, tags};

/// Creates attendees in order: an undeleted one with the same ExternalUserId is returned instead
/// (its tags untouched), and a new one is refused once the meeting is full. A new one is stored
/// with its tags.
///
/// When every attendee fits under the cap (the usual case), one statement inserts them all and
/// updates the count; near the cap they are created one by one, since whether a later one fits
/// depends on whether an earlier one was new.
pub(crate) async fn create_in(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    attendees: Vec<NewAttendee>,
) -> StoreResult<Vec<AttendeeOutcome>> {
    if attendees.is_empty() {
        return Ok(Vec::new());
    }
    let mut seats = Seats::of(meeting);
    if seats.fit(attendees.len()) {
        return insert_all(tx, meeting, attendees).await;
    }
    let mut outcomes = Vec::with_capacity(attendees.len());
    for attendee in attendees {
        if seats.free() {
            let mut one = insert_all(tx, meeting, vec![attendee]).await?;
            if matches!(one.first(), Some(AttendeeOutcome::Created(_))) {
                seats.take();
            }
            outcomes.append(&mut one);
        } else {
            let external_user_id = attendee.record.external_user_id;
            let existing = by_user(tx, meeting, &external_user_id).await?;
            outcomes.push(rules::not_inserted(existing, external_user_id));
        }
    }
    Ok(outcomes)
}

/// Inserts attendees that all fit under the cap, with one statement (and the count with it).
async fn insert_all(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    attendees: Vec<NewAttendee>,
) -> StoreResult<Vec<AttendeeOutcome>> {
    let n = attendees.len();
    let (mut ids, mut users, mut tokens, mut caps) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for a in &attendees {
        ids.push(a.record.attendee_id.as_str());
        users.push(a.record.external_user_id.as_str());
        tokens.push(a.record.join_token.as_str());
        caps.push(
            to_optional_json(a.record.capabilities.as_ref(), "capabilities")
                .context("inserting attendees")?,
        );
    }
    let rows = query(
        tx,
        sql::INSERT_ATTENDEES,
        &[&meeting.seq, &ids, &users, &tokens, &caps],
        "inserting attendees",
    )
    .await?;
    // The key of each ExternalUserId inserted now; it belongs to its first occurrence.
    let mut inserted: HashMap<String, i64> = rows
        .iter()
        .map(|row| Ok((rows::get(row, 1)?, rows::get(row, 0)?)))
        .collect::<StoreResult<_>>()?;
    let skipped: Vec<&str> = users
        .iter()
        .copied()
        .filter(|u| !inserted.contains_key(*u))
        .collect();
    let mut existing = HashMap::new();
    if !skipped.is_empty() || inserted.len() + skipped.len() < n {
        for row in query(
            tx,
            sql::ATTENDEES_BY_USER,
            &[&meeting.seq, &users],
            "looking up attendees by ExternalUserId",
        )
        .await?
        {
            if let Some(a) = rows::attendee(&row, &meeting.meeting_id)? {
                existing.insert(a.external_user_id.clone(), a);
            }
        }
    }
    let mut outcomes = Vec::with_capacity(n);
    for NewAttendee {
        record: mut attendee,
        tags: attendee_tags,
    } in attendees
    {
        attendee.meeting_id.clone_from(&meeting.meeting_id);
        if let Some(seq) = inserted.remove(&attendee.external_user_id) {
            tags::insert(tx, &tags::ATTENDEE, seq, attendee_tags).await?;
            outcomes.push(AttendeeOutcome::Created(attendee));
        } else if let Some(found) = existing.get(&attendee.external_user_id) {
            outcomes.push(AttendeeOutcome::Existing(found.clone()));
        } else {
            return Err(carillon_core::StoreError::new(
                "postgres: an attendee was neither inserted nor found",
            ));
        }
    }
    Ok(outcomes)
}

async fn by_user(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    external_user_id: &str,
) -> StoreResult<Option<AttendeeRecord>> {
    match query_opt(
        tx,
        sql::ATTENDEE_BY_USER,
        &[&meeting.seq, &external_user_id],
        "looking up an attendee by ExternalUserId",
    )
    .await?
    {
        Some(row) => rows::attendee(&row, &meeting.meeting_id),
        None => Ok(None),
    }
}

/// The key of the meeting's attendee with this id, which its tags reference.
pub(crate) async fn seq(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    attendee_id: &str,
) -> StoreResult<Option<i64>> {
    let row = query_opt(
        tx,
        sql::ATTENDEE_SEQ,
        &[&meeting.seq, &attendee_id],
        "looking up an attendee",
    )
    .await?;
    Ok(row.map(|row| row.get(0)))
}

/// Deletes the attendee and, with its row, its tags, announcing it on commit: the attendee as
/// it was, or `None` when the meeting has no such attendee.
pub(crate) async fn delete(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    attendee_id: &str,
) -> StoreResult<Option<AttendeeRecord>> {
    let row = query_opt(
        tx,
        sql::DELETE_ATTENDEE,
        &[&meeting.seq, &attendee_id],
        "deleting an attendee",
    )
    .await?;
    let Some(deleted) = row
        .map(|row| rows::attendee(&row, &meeting.meeting_id))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    execute(
        tx,
        sql::SET_ATTENDEE_COUNT,
        &[&meeting.seq, &(meeting.attendee_count - 1)],
        "counting attendees",
    )
    .await?;
    let change = LiveChange::AttendeeDeleted {
        meeting_id: meeting.meeting_id.clone(),
        attendee_id: attendee_id.to_owned(),
    };
    live::notify(tx, &change).await?;
    Ok(Some(deleted))
}

/// Deletes the meeting's attendees and, with their rows, their tags.
pub(crate) async fn delete_all(tx: &Transaction<'_>, meeting_seq: i64) -> StoreResult<()> {
    execute(
        tx,
        sql::DELETE_MEETING_ATTENDEES,
        &[&meeting_seq],
        "deleting a meeting's attendees",
    )
    .await?;
    Ok(())
}

/// The attendee as updated; `None` when the meeting has no such attendee.
pub(crate) async fn update_capabilities(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    attendee_id: &str,
    capabilities: &AttendeeCapabilities,
) -> StoreResult<Option<AttendeeRecord>> {
    let what = "updating attendee capabilities";
    let json = to_json(capabilities, "capabilities").context(what)?;
    let row = query_opt(
        tx,
        sql::UPDATE_CAPABILITIES,
        &[&meeting.seq, &attendee_id, &json],
        what,
    )
    .await?;
    match row {
        Some(row) => rows::attendee(&row, &meeting.meeting_id),
        None => Ok(None),
    }
}

/// Updates every attendee but the excluded ones; with `returning`, the attendees as updated in
/// creation order (for their events), else nothing read back.
pub(crate) async fn update_capabilities_except(
    tx: &Transaction<'_>,
    meeting: &ActiveMeeting,
    excluded_attendee_ids: &[String],
    capabilities: &AttendeeCapabilities,
    returning: bool,
) -> StoreResult<Vec<AttendeeRecord>> {
    let what = "updating attendee capabilities";
    let json = to_json(capabilities, "capabilities").context(what)?;
    let params: Params<'_> = &[&meeting.seq, &json, &excluded_attendee_ids];
    if !returning {
        execute(tx, sql::UPDATE_CAPABILITIES_EXCEPT, params, what).await?;
        return Ok(Vec::new());
    }
    let rows = query(tx, sql::UPDATE_CAPABILITIES_EXCEPT_RETURNING, params, what).await?;
    let mut updated = Vec::with_capacity(rows.len());
    for row in &rows {
        if let Some(attendee) = rows::attendee(row, &meeting.meeting_id)? {
            updated.push((rows::get::<i64>(row, 4)?, attendee));
        }
    }
    updated.sort_unstable_by_key(|(seq, _)| *seq);
    Ok(updated.into_iter().map(|(_, a)| a).collect())
}
