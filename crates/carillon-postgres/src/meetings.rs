//! Meeting operations. Writes run inside the caller's transaction and lock what they depend on:
//! the meeting's row for anything done to one meeting, the scope's advisory lock for creations
//! whose order or number is checked across the scope. What they decide is decided by
//! [`carillon_core::store::rules`].

use carillon_core::store::rows::{from_optional_json, to_optional_json, MeetingRow};
use carillon_core::store::rules::{self, caused, ActiveMeeting, CreationFacts, PrimaryFacts};
use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    CreateMeetingOutcome, EndReason, JoinLookup, LiveChange, MeetingPage, MeetingRecord, Namespace,
    NewAttendee, NewMeeting, Scope, StoreResult,
};
use deadpool_postgres::{GenericClient, Transaction};

use crate::db::{execute, query, query_opt, Params};
use crate::error::Context;
use crate::events::Pending;
use crate::rows;
use crate::{attendees, live, sql, tags};

/// Locks the active meeting of the scope with this id until the transaction ends.
pub(crate) async fn lock(
    tx: &Transaction<'_>,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<ActiveMeeting>> {
    let row = query_opt(
        tx,
        sql::LOCK_ACTIVE_MEETING,
        &[&meeting_id, &scope.account_id, &scope.namespace.as_str()],
        "locking a meeting",
    )
    .await?;
    Ok(row.map(|row| ActiveMeeting {
        seq: row.get(0),
        meeting_id: meeting_id.to_owned(),
        max_attendees: row.get(1),
        attendee_count: row.get(2),
        primary_meeting_id: row.get(3),
    }))
}

/// [`lock`], reading the whole meeting into `events` when the write records events.
pub(crate) async fn lock_for(
    tx: &Transaction<'_>,
    scope: &Scope,
    meeting_id: &str,
    events: &mut Pending,
) -> StoreResult<Option<ActiveMeeting>> {
    if !events.records() {
        return lock(tx, scope, meeting_id).await;
    }
    let row = query_opt(
        tx,
        sql::LOCK_ACTIVE_MEETING_RECORD,
        &[&meeting_id, &scope.account_id, &scope.namespace.as_str()],
        "locking a meeting",
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    events.set_meeting(rows::meeting_from(&row, 4)?);
    Ok(Some(ActiveMeeting {
        seq: rows::get(&row, 0)?,
        meeting_id: meeting_id.to_owned(),
        max_attendees: rows::get(&row, 1)?,
        attendee_count: rows::get(&row, 2)?,
        primary_meeting_id: rows::get(&row, 3)?,
    }))
}

/// The key of the active meeting of the scope with this id (no lock).
pub(crate) async fn active_seq<C: GenericClient>(
    c: &C,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<i64>> {
    let row = query_opt(
        c,
        sql::ACTIVE_MEETING,
        &[&meeting_id, &scope.account_id, &scope.namespace.as_str()],
        "looking up a meeting",
    )
    .await?;
    Ok(row.map(|row| row.get(0)))
}

pub(crate) async fn get<C: GenericClient>(
    c: &C,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<MeetingRecord>> {
    query_opt(
        c,
        sql::GET_MEETING,
        &[&meeting_id, &scope.account_id, &scope.namespace.as_str()],
        "reading a meeting",
    )
    .await?
    .map(|row| rows::meeting(&row))
    .transpose()
}

pub(crate) async fn by_token<C: GenericClient>(
    c: &C,
    scope: &Scope,
    token: &str,
) -> StoreResult<Option<MeetingRecord>> {
    query_opt(
        c,
        sql::MEETING_BY_TOKEN,
        &[&scope.account_id, &scope.namespace.as_str(), &token],
        "looking up a ClientRequestToken",
    )
    .await?
    .map(|row| rows::meeting(&row))
    .transpose()
}

/// Creates the meeting and its attendees. The scope's lock is taken when the scope's number of
/// meetings is capped (so that concurrent creations cannot pass the quota) and in the legacy
/// namespace (whose ListMeetings pages by position, which must then grow in commit order); the
/// replica rules lock the primary's row. The ClientRequestToken needs no lock: its unique index
/// makes a concurrent second insert wait for the first and then insert nothing, and then this
/// returns `None` (the caller rolls back and answers with the other transaction's meeting).
pub(crate) async fn create(
    tx: &Transaction<'_>,
    new: NewMeeting,
    attendees: Vec<NewAttendee>,
) -> StoreResult<Option<CreateMeetingOutcome>> {
    let scope = &new.record.scope;
    if new.max_active_meetings.is_some() || scope.namespace == Namespace::Legacy {
        let key = format!("{}/{}", scope.account_id, scope.namespace.as_str());
        execute(tx, sql::LOCK_SCOPE, &[&key], "locking the scope").await?;
    }
    let facts = CreationFacts {
        same_token: by_token(tx, scope, &new.record.client_request_token).await?,
        primary: match &new.record.primary_meeting_id {
            Some(id) => Some(PrimaryFacts {
                meeting: lock(tx, scope, id).await?,
                active_replicas: active_replicas(tx, id).await?.len(),
            }),
            None => None,
        },
        at_quota: match new.max_active_meetings {
            Some(quota) => at_quota(tx, scope, quota).await?,
            None => false,
        },
    };
    if let Some(refused) = rules::creation_refusal(&new, facts) {
        return Ok(Some(refused));
    }
    let Some(seq) = insert(tx, &new.record).await? else {
        return Ok(None);
    };
    tags::insert(tx, &tags::MEETING, seq, new.tags).await?;
    let meeting = ActiveMeeting::inserted(&new.record, seq);
    let attendees = attendees::create_in(tx, &meeting, attendees).await?;
    Ok(Some(CreateMeetingOutcome::Created {
        meeting: new.record,
        attendees,
    }))
}

/// True when the scope holds at least `quota` active meetings. Costs at most `quota` steps
/// through the partial index of active meetings.
async fn at_quota(tx: &Transaction<'_>, scope: &Scope, quota: u32) -> StoreResult<bool> {
    let active: i64 = match query_opt(
        tx,
        sql::COUNT_ACTIVE_UP_TO,
        &[
            &scope.account_id,
            &scope.namespace.as_str(),
            &i64::from(quota),
        ],
        "counting active meetings",
    )
    .await?
    {
        Some(row) => rows::get(&row, 0)?,
        None => 0,
    };
    Ok(active >= i64::from(quota))
}

/// The new meeting's key, or `None` when the ClientRequestToken was taken meanwhile.
async fn insert(tx: &Transaction<'_>, record: &MeetingRecord) -> StoreResult<Option<i64>> {
    let what = "inserting a meeting";
    let r = MeetingRow::from_record(record).context(what)?;
    let max_attendees = i64::from(record.max_attendees());
    let mut values = rows::meeting_params(&r);
    values.push(&max_attendees);
    let row = query_opt(tx, sql::INSERT_MEETING, &values, what).await?;
    row.map(|row| rows::get(&row, 0)).transpose()
}

/// The seq and id of each active replica, locked.
async fn active_replicas(
    tx: &Transaction<'_>,
    primary_meeting_id: &str,
) -> StoreResult<Vec<(i64, String)>> {
    let rows = query(
        tx,
        sql::LOCK_ACTIVE_REPLICAS,
        &[&primary_meeting_id],
        "listing active replicas",
    )
    .await?;
    rows.iter()
        .map(|row| Ok((rows::get(row, 0)?, rows::get(row, 1)?)))
        .collect()
}

/// The meeting with this id in any scope, and its attendee with this id: one statement, one
/// snapshot.
pub(crate) async fn join_lookup<C: GenericClient>(
    c: &C,
    meeting_id: &str,
    attendee_id: &str,
) -> StoreResult<JoinLookup> {
    let row = query_opt(
        c,
        sql::JOIN_LOOKUP,
        &[&meeting_id, &attendee_id],
        "looking up a joining attendee",
    )
    .await?;
    let Some(row) = row else {
        return Ok(JoinLookup::MeetingNotFound);
    };
    let meeting = rows::meeting(&row)?;
    let attendee = rows::attendee_from(&row, 17, meeting_id)?;
    Ok(rules::join_lookup(Some(meeting), attendee))
}

/// The scope's active meetings in creation order, after position `after`.
pub(crate) async fn list<C: GenericClient>(
    c: &C,
    scope: &Scope,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<MeetingPage> {
    let rows = query(
        c,
        sql::LIST_MEETINGS,
        &[
            &scope.account_id,
            &scope.namespace.as_str(),
            &after.unwrap_or(0),
            &rules::rows_for_page(limit),
        ],
        "listing meetings",
    )
    .await?;
    let positioned = rows
        .iter()
        .map(|row| Ok((row, rows::get(row, 17)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    rules::page(positioned, limit, after).try_map(rows::meeting)
}

/// Ends the meeting and the meetings that end with it ([`rules::ending`]), announcing each end
/// on commit; `None` when the scope has no such active meeting. Deleting the attendee rows
/// deletes their tags too.
pub(crate) async fn end(
    tx: &Transaction<'_>,
    scope: &Scope,
    meeting_id: &str,
    now_ms: i64,
    events: &mut Pending,
) -> StoreResult<Option<()>> {
    let Some(meeting) = lock(tx, scope, meeting_id).await? else {
        return Ok(None);
    };
    end_locked(tx, meeting, EndReason::Deleted, now_ms, events).await?;
    Ok(Some(()))
}

/// Ends the locked active meeting for `reason` with the meetings that end with it (their rows
/// locked here), announcing each end on commit, and returns their ids and reasons. Each
/// meeting ended causes its `chime:MeetingEnded`, read back from the statement that ends it.
pub(crate) async fn end_locked(
    tx: &Transaction<'_>,
    meeting: ActiveMeeting,
    reason: EndReason,
    now_ms: i64,
    events: &mut Pending,
) -> StoreResult<Vec<(String, EndReason)>> {
    // A replica has no replicas of its own (a replica cannot be a primary).
    let replicas = if meeting.is_replica() {
        Vec::new()
    } else {
        active_replicas(tx, &meeting.meeting_id).await?
    };
    let mut ended = Vec::new();
    for (seq, meeting_id, reason) in rules::ending_with(meeting, replicas, reason) {
        let params: Params<'_> = &[&seq, &now_ms, &reason.as_str()];
        if events.records() {
            let what = "ending a meeting";
            if let Some(row) = query_opt(tx, sql::END_MEETING_RETURNING, params, what).await? {
                let ended = rows::meeting(&row)?;
                events.add(&ended, caused::meeting_ended(&ended, now_ms));
            }
        } else {
            execute(tx, sql::END_MEETING, params, "ending a meeting").await?;
        }
        attendees::delete_all(tx, seq).await?;
        tags::delete_all(tx, seq).await?;
        let change = LiveChange::MeetingEnded {
            meeting_id: meeting_id.clone(),
        };
        live::notify(tx, &change).await?;
        ended.push((meeting_id, reason));
    }
    Ok(ended)
}

/// [`set_transcription`] in the caller's transaction, recording the change's event.
pub(crate) async fn set_transcription_recorded(
    tx: &Transaction<'_>,
    scope: &Scope,
    meeting_id: &str,
    configuration: Option<&TranscriptionConfiguration>,
    events: &mut Pending,
) -> StoreResult<Option<()>> {
    let what = "setting transcription";
    let json = to_optional_json(configuration, "TranscriptionConfiguration").context(what)?;
    let row = query_opt(
        tx,
        sql::SET_TRANSCRIPTION_RETURNING,
        &[
            &meeting_id,
            &scope.account_id,
            &scope.namespace.as_str(),
            &json,
        ],
        what,
    )
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let meeting = rows::meeting(&row)?;
    let running: Option<TranscriptionConfiguration> =
        from_optional_json(rows::get(&row, 17)?, "TranscriptionConfiguration").context(what)?;
    let now = carillon_core::clock::now_ms();
    let caused = caused::transcription_set(&meeting, running.as_ref(), configuration, now);
    events.add(&meeting, caused);
    Ok(Some(()))
}

pub(crate) async fn set_transcription<C: GenericClient>(
    c: &C,
    scope: &Scope,
    meeting_id: &str,
    configuration: Option<&TranscriptionConfiguration>,
) -> StoreResult<Option<()>> {
    let what = "setting transcription";
    let json = to_optional_json(configuration, "TranscriptionConfiguration").context(what)?;
    let changed = execute(
        c,
        sql::SET_TRANSCRIPTION,
        &[
            &meeting_id,
            &scope.account_id,
            &scope.namespace.as_str(),
            &json,
        ],
        what,
    )
    .await?;
    Ok((changed > 0).then_some(()))
}
