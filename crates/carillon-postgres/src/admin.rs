//! The operator's view of the store, its reset and its import
//! ([`carillon_core::store::admin`]): reads are single statements (but the count of a meeting's
//! events, a second one), a reset and an import batch one transaction each.

use carillon_core::store::admin::{
    tags_from_pairs, ImportRefusal, Imported, MeetingFilter, StoredAttendee, StoredMeeting,
};
use carillon_core::store::rows::{to_optional_json, MeetingRow};
use carillon_core::store::rules;
use carillon_core::{LiveChange, Page, StoreError, StoreResult};
use deadpool_postgres::{GenericClient, Transaction};
use tokio_postgres::Row;

use crate::db::{execute, query, query_opt};
use crate::error::Context;
use crate::sql::admin as sql;
use crate::{live, rows, tags};

fn count(row: &Row, idx: usize) -> StoreResult<u32> {
    let n: i64 = rows::get(row, idx)?;
    u32::try_from(n).map_err(|_| StoreError::new(format!("postgres: a count of {n}")))
}

/// A row of [`sql::ADMIN_MEETINGS`]'s columns, and its position.
fn stored_meeting(row: &Row) -> StoreResult<(StoredMeeting, i64)> {
    let tags: Option<String> = rows::get(row, 20)?;
    let meeting = StoredMeeting {
        record: rows::meeting(row)?,
        attendee_count: count(row, 17)?,
        idle_since_ms: rows::get(row, 18)?,
        presence_lease_ms: rows::get(row, 19)?,
        tags: tags_from_pairs(tags.as_deref()).context("decoding a meeting's tags")?,
    };
    Ok((meeting, rows::get(row, 21)?))
}

/// Reads meetings in creation order a window at a time and keeps those the filter takes, until
/// the page is full or no meeting is left: memory holds a window and a page, and the walk is
/// bounded by the operation timeout.
pub(crate) async fn meetings<C: GenericClient>(
    c: &C,
    filter: &MeetingFilter,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<Page<StoredMeeting>> {
    let window = rules::rows_for_page(limit);
    let mut found = Vec::new();
    let mut cursor = after.unwrap_or(0);
    loop {
        let rows = query(
            c,
            sql::ADMIN_MEETINGS,
            &[&cursor, &window],
            "listing meetings",
        )
        .await?;
        let exhausted = i64::try_from(rows.len()).unwrap_or(i64::MAX) < window;
        for row in &rows {
            let (meeting, seq) = stored_meeting(row)?;
            cursor = seq;
            if filter.takes(&meeting.record) {
                found.push((meeting, seq));
                if found.len() > limit {
                    return Ok(rules::page(found, limit, after));
                }
            }
        }
        if exhausted {
            return Ok(rules::page(found, limit, after));
        }
    }
}

async fn meeting<C: GenericClient>(
    c: &C,
    meeting_id: &str,
) -> StoreResult<Option<(StoredMeeting, i64)>> {
    query_opt(c, sql::ADMIN_MEETING, &[&meeting_id], "reading a meeting")
        .await?
        .map(|row| stored_meeting(&row))
        .transpose()
}

pub(crate) async fn meeting_with_events<C: GenericClient>(
    c: &C,
    meeting_id: &str,
) -> StoreResult<Option<(StoredMeeting, u64)>> {
    let Some((found, _)) = meeting(c, meeting_id).await? else {
        return Ok(None);
    };
    let rows = query(
        c,
        sql::MEETING_EVENT_COUNT,
        &[&meeting_id, &found.record.created_at_ms],
        "counting a meeting's events",
    )
    .await?;
    let n: i64 = match rows.first() {
        Some(row) => rows::get(row, 0)?,
        None => 0,
    };
    Ok(Some((found, u64::try_from(n).unwrap_or(0))))
}

pub(crate) async fn attendees<C: GenericClient>(
    c: &C,
    meeting_id: &str,
    after: Option<i64>,
    limit: usize,
) -> StoreResult<Option<Page<StoredAttendee>>> {
    let Some((_, seq)) = meeting(c, meeting_id).await? else {
        return Ok(None);
    };
    let mut found = Vec::new();
    for row in query(
        c,
        sql::ADMIN_ATTENDEES,
        &[&seq, &after.unwrap_or(0), &rules::rows_for_page(limit)],
        "listing attendees",
    )
    .await?
    {
        let Some(record) = rows::attendee(&row, meeting_id)? else {
            continue;
        };
        let tags: Option<String> = rows::get(&row, 4)?;
        let tags = tags_from_pairs(tags.as_deref()).context("decoding an attendee's tags")?;
        found.push((StoredAttendee { record, tags }, rows::get(&row, 5)?));
    }
    Ok(Some(rules::page(found, limit, after)))
}

pub(crate) async fn is_empty<C: GenericClient>(c: &C) -> StoreResult<bool> {
    let any = query_opt(c, sql::ANY_MEETING, &[], "looking for a meeting").await?;
    Ok(any.is_none())
}

/// Empties every table of the state and announces a resync when `tx` commits.
pub(crate) async fn reset(tx: &Transaction<'_>) -> StoreResult<()> {
    execute(tx, sql::RESET, &[], "resetting the store").await?;
    live::notify(tx, &LiveChange::Resync).await
}

/// Writes the items in order inside `tx`; the caller commits only when none was refused.
pub(crate) async fn import(
    tx: &Transaction<'_>,
    items: Vec<Imported>,
) -> StoreResult<Result<(), ImportRefusal>> {
    for (index, item) in items.into_iter().enumerate() {
        let refused = match item {
            Imported::Meeting(m) => import_meeting(tx, *m).await?,
            Imported::Attendee(a) => import_attendee(tx, a).await?,
        };
        if let Some(message) = refused {
            return Ok(Err(ImportRefusal::new(index, message)));
        }
    }
    Ok(Ok(()))
}

/// `Some(why)` when refused.
async fn import_meeting(
    tx: &Transaction<'_>,
    m: StoredMeeting,
) -> StoreResult<Option<&'static str>> {
    let what = "importing a meeting";
    if !m.record.is_active() && !m.tags.is_empty() {
        return Ok(Some("an ended meeting has no tags"));
    }
    let r = MeetingRow::from_record(&m.record).context(what)?;
    let max_attendees = i64::from(m.record.max_attendees());
    let mut values = rows::meeting_params(&r);
    values.extend([
        &max_attendees as &(dyn tokio_postgres::types::ToSql + Sync),
        &m.idle_since_ms,
        &m.presence_lease_ms,
    ]);
    let inserted = query_opt(tx, sql::IMPORT_MEETING, &values, what).await?;
    let Some(row) = inserted else {
        return Ok(Some(
            "a meeting with this MeetingId, or this ClientRequestToken in its scope, is already held",
        ));
    };
    tags::insert(tx, &tags::MEETING, rows::get(&row, 0)?, m.tags).await?;
    Ok(None)
}

async fn import_attendee(
    tx: &Transaction<'_>,
    a: StoredAttendee,
) -> StoreResult<Option<&'static str>> {
    let what = "importing an attendee";
    let r = &a.record;
    let Some(meeting) = query_opt(tx, sql::IMPORT_ATTENDEE_MEETING, &[&r.meeting_id], what).await?
    else {
        return Ok(Some("no meeting before it has this MeetingId"));
    };
    let seq: i64 = rows::get(&meeting, 0)?;
    let (max_attendees, attendee_count): (i64, i64) =
        (rows::get(&meeting, 1)?, rows::get(&meeting, 2)?);
    if rows::get::<Option<i64>>(&meeting, 3)?.is_some() {
        return Ok(Some(
            "its meeting has ended (an ended meeting has no attendees)",
        ));
    }
    if attendee_count >= max_attendees {
        return Ok(Some(
            "its meeting already has its maximum number of attendees",
        ));
    }
    let capabilities = to_optional_json(r.capabilities.as_ref(), "capabilities").context(what)?;
    let inserted = query_opt(
        tx,
        sql::IMPORT_ATTENDEE,
        &[
            &seq,
            &r.attendee_id,
            &r.external_user_id,
            &r.join_token,
            &capabilities,
        ],
        what,
    )
    .await?;
    let Some(row) = inserted else {
        return Ok(Some(
            "its meeting already has an attendee with this AttendeeId or ExternalUserId",
        ));
    };
    execute(
        tx,
        crate::sql::SET_ATTENDEE_COUNT,
        &[&seq, &(attendee_count + 1)],
        what,
    )
    .await?;
    tags::insert(tx, &tags::ATTENDEE, rows::get(&row, 0)?, a.tags).await?;
    Ok(None)
}
