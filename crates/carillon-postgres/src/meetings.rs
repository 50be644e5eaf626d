//! Meeting operations. Writes run inside the caller's transaction and lock what they depend on:
//! the meeting's row for anything done to one meeting, the scope's advisory lock for creations
//! whose order or number is checked across the scope.

use carillon_core::transcription::TranscriptionConfiguration;
use carillon_core::{
    CreateMeetingOutcome, JoinLookup, LiveChange, MeetingPage, MeetingRecord, Namespace,
    NewAttendee, NewMeeting, Scope, StoreResult,
};
use deadpool_postgres::{GenericClient, Transaction};

use crate::db::{execute, query, query_opt};
use crate::rows::{self, to_json, to_optional_json};
use crate::{attendees, live, sql, tags};

/// What the writes need to know about an active meeting, whose row the transaction has locked.
pub(crate) struct LockedMeeting {
    pub seq: i64,
    pub meeting_id: String,
    pub max_attendees: i64,
    pub attendee_count: i64,
    pub primary_meeting_id: Option<String>,
}

/// Locks the active meeting of the scope with this id until the transaction ends.
pub(crate) async fn lock(
    tx: &Transaction<'_>,
    scope: &Scope,
    meeting_id: &str,
) -> StoreResult<Option<LockedMeeting>> {
    let row = query_opt(
        tx,
        sql::LOCK_ACTIVE_MEETING,
        &[&meeting_id, &scope.account_id, &scope.namespace.as_str()],
        "locking a meeting",
    )
    .await?;
    Ok(row.map(|row| LockedMeeting {
        seq: row.get(0),
        meeting_id: meeting_id.to_owned(),
        max_attendees: row.get(1),
        attendee_count: row.get(2),
        primary_meeting_id: row.get(3),
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
    let record = new.record;
    let scope = &record.scope;
    if new.max_active_meetings.is_some() || scope.namespace == Namespace::Legacy {
        let key = format!("{}/{}", scope.account_id, scope.namespace.as_str());
        execute(tx, sql::LOCK_SCOPE, &[&key], "locking the scope").await?;
    }
    if let Some(meeting) = by_token(tx, scope, &record.client_request_token).await? {
        return Ok(Some(CreateMeetingOutcome::Replayed { meeting }));
    }
    if let Some(primary_id) = &record.primary_meeting_id {
        let Some(primary) = lock(tx, scope, primary_id).await? else {
            return Ok(Some(CreateMeetingOutcome::PrimaryNotFound));
        };
        if primary.primary_meeting_id.is_some() {
            return Ok(Some(CreateMeetingOutcome::PrimaryIsReplica));
        }
        if active_replicas(tx, primary_id).await?.len() >= new.max_replicas as usize {
            return Ok(Some(CreateMeetingOutcome::TooManyReplicas));
        }
    }
    if let Some(quota) = new.max_active_meetings {
        let active: i64 = query_opt(
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
        .map_or(0, |row| row.get(0));
        if active >= i64::from(quota) {
            return Ok(Some(CreateMeetingOutcome::TooManyMeetings));
        }
    }
    let Some(seq) = insert(tx, &record).await? else {
        return Ok(None);
    };
    tags::insert(tx, &tags::MEETING, seq, &new.tags).await?;
    let meeting = LockedMeeting {
        seq,
        meeting_id: record.meeting_id.clone(),
        max_attendees: i64::from(record.max_attendees()),
        attendee_count: 0,
        primary_meeting_id: record.primary_meeting_id.clone(),
    };
    let attendees = attendees::create_in(tx, &meeting, attendees).await?;
    Ok(Some(CreateMeetingOutcome::Created {
        meeting: record,
        attendees,
    }))
}

/// The new meeting's key, or `None` when the ClientRequestToken was taken meanwhile.
async fn insert(tx: &Transaction<'_>, r: &MeetingRecord) -> StoreResult<Option<i64>> {
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
    let row = query_opt(
        tx,
        sql::INSERT_MEETING,
        &[
            &r.meeting_id,
            &r.scope.account_id,
            &r.scope.namespace.as_str(),
            &r.control_region,
            &r.client_request_token,
            &r.media_region,
            &r.external_meeting_id,
            &r.meeting_host_id,
            &r.primary_meeting_id,
            &tenant_ids,
            &features,
            &notifications,
            &r.media_placement_network_type,
            &transcription,
            &r.created_at_ms,
            &r.ended_at_ms,
            &i64::from(r.max_attendees()),
        ],
        "inserting a meeting",
    )
    .await?;
    Ok(row.map(|row| row.get(0)))
}

/// The keys of the primary's active replicas, locked.
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
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
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
    if !meeting.is_active() {
        return Ok(JoinLookup::MeetingEnded(meeting));
    }
    Ok(match rows::attendee_from(&row, 16, meeting_id)? {
        Some(attendee) => JoinLookup::Found(meeting, attendee),
        None => JoinLookup::AttendeeNotFound(meeting),
    })
}

/// The scope's active meetings in creation order, after position `after`.
pub(crate) async fn list<C: GenericClient>(
    c: &C,
    scope: &Scope,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<MeetingPage> {
    // One row more than asked tells whether another page follows.
    let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
    let rows = query(
        c,
        sql::LIST_MEETINGS,
        &[
            &scope.account_id,
            &scope.namespace.as_str(),
            &after.unwrap_or(0),
            &fetch,
        ],
        "listing meetings",
    )
    .await?;
    let mut meetings = Vec::with_capacity(rows.len().min(limit));
    let mut next = None;
    for row in rows.iter().take(limit) {
        meetings.push(rows::meeting(row)?);
        next = Some(row.get::<_, i64>(16));
    }
    Ok(MeetingPage {
        meetings,
        next: (rows.len() > limit).then(|| next.or(after).unwrap_or(0)),
    })
}

/// Ends the meeting and, for a primary, its active replicas, announcing each end on commit;
/// `None` when the scope has no such active meeting. Deleting the attendee rows deletes their
/// tags too.
pub(crate) async fn end(
    tx: &Transaction<'_>,
    scope: &Scope,
    meeting_id: &str,
    now_ms: i64,
) -> StoreResult<Option<()>> {
    let Some(meeting) = lock(tx, scope, meeting_id).await? else {
        return Ok(None);
    };
    let mut ending = vec![(meeting.seq, meeting.meeting_id)];
    if meeting.primary_meeting_id.is_none() {
        ending.extend(active_replicas(tx, meeting_id).await?);
    }
    for (seq, meeting_id) in ending {
        execute(tx, sql::END_MEETING, &[&seq, &now_ms], "ending a meeting").await?;
        attendees::delete_all(tx, seq).await?;
        tags::delete_all(tx, seq).await?;
        live::notify(tx, &LiveChange::MeetingEnded { meeting_id }).await?;
    }
    Ok(Some(()))
}

pub(crate) async fn set_transcription<C: GenericClient>(
    c: &C,
    scope: &Scope,
    meeting_id: &str,
    configuration: Option<&TranscriptionConfiguration>,
) -> StoreResult<Option<()>> {
    let json = to_optional_json(configuration, "encoding TranscriptionConfiguration")?;
    let changed = execute(
        c,
        sql::SET_TRANSCRIPTION,
        &[
            &meeting_id,
            &scope.account_id,
            &scope.namespace.as_str(),
            &json,
        ],
        "setting transcription",
    )
    .await?;
    Ok((changed > 0).then_some(()))
}
