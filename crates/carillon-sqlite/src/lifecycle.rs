//! The lifecycle on the writer: presence marks, and sweeps that end expired meetings. What they
//! decide is decided by [`carillon_core::lifecycle`] and [`carillon_core::store::rules::Sweep`].

use carillon_core::lifecycle::{MeetingClock, Presence};
use carillon_core::store::rules::{ActiveMeeting, Expired, ExpiryCandidate, Sweep, SweepRead};
use carillon_core::{
    EndedMeeting, LifecyclePolicy, Namespace, PresenceMark, Scope, StoreError, StoreResult,
    MAX_EXPIRED_PER_CALL,
};
use rusqlite::{params, Connection, OptionalExtension, Row};

use crate::error::Context;
use crate::events::Recorder;
use crate::{meetings, sql};

/// Applies each mark in order to the active meeting (not a replica) it names.
pub(crate) fn mark_presence(conn: &Connection, marks: &[PresenceMark]) -> StoreResult<()> {
    for mark in marks {
        let found = conn
            .prepare_cached(sql::PRESENCE)
            .and_then(|mut stmt| {
                stmt.query_row([mark.meeting_id()], |row| {
                    let presence = Presence {
                        idle_since_ms: row.get(1)?,
                        presence_lease_ms: row.get(2)?,
                    };
                    Ok((row.get::<_, i64>(0)?, presence))
                })
                .optional()
            })
            .context("reading a meeting's presence")?;
        let Some((seq, presence)) = found else {
            continue;
        };
        let next = presence.after(mark);
        conn.prepare_cached(sql::SET_PRESENCE)
            .and_then(|mut stmt| {
                stmt.execute(params![seq, next.idle_since_ms, next.presence_lease_ms])
            })
            .context("recording a meeting's presence")?;
    }
    Ok(())
}

/// Ends the meetings expired at `now_ms` (at most [`MAX_EXPIRED_PER_CALL`], with their
/// replicas). Runs on the writer, so no other write comes between the reads and the ends.
pub(crate) fn end_expired(
    conn: &Connection,
    rec: &Recorder,
    now_ms: i64,
    policy: &LifecyclePolicy,
) -> StoreResult<Vec<EndedMeeting>> {
    let mut sweep = Sweep::new(policy, now_ms, MAX_EXPIRED_PER_CALL);
    for read_step in sweep.reads() {
        let limit = sweep.row_limit();
        match read_step {
            SweepRead::InScope {
                account,
                namespace,
                idle_cutoff,
                duration_cutoff,
            } => {
                let params = params![
                    account,
                    namespace.as_str(),
                    idle_cutoff,
                    duration_cutoff,
                    limit
                ];
                read(conn, &mut sweep, sql::EXPIRED_IN_SCOPE, params)?;
            }
            SweepRead::Idle { cutoff, except } => {
                let except = encode_accounts(&except)?;
                read(
                    conn,
                    &mut sweep,
                    sql::EXPIRED_IDLE,
                    params![cutoff, except, limit],
                )?;
            }
            SweepRead::ByAge { cutoff, except } => {
                let except = encode_accounts(&except)?;
                read(
                    conn,
                    &mut sweep,
                    sql::EXPIRED_BY_AGE,
                    params![cutoff, except, limit],
                )?;
            }
        }
    }
    let mut ended = Vec::new();
    for expired in sweep.into_expired() {
        let done = meetings::end_active(conn, rec, expired.meeting, expired.reason, now_ms)?;
        ended.extend(Expired::ended(&expired.scope, done));
    }
    Ok(ended)
}

/// The accounts a read leaves out, as the JSON array its statement reads with `json_each`.
fn encode_accounts(accounts: &[String]) -> StoreResult<String> {
    serde_json::to_string(accounts)
        .map_err(|e| StoreError::new(format!("sqlite: encoding accounts: {e}")))
}

/// Runs one read of the sweep (nothing when it is already full) and adds its rows.
fn read(
    conn: &Connection,
    sweep: &mut Sweep<'_>,
    statement: &str,
    params: impl rusqlite::Params,
) -> StoreResult<()> {
    if sweep.remaining() == 0 {
        return Ok(());
    }
    let what = "reading expired meetings";
    let rows: Vec<ExpiryCandidate> = conn
        .prepare_cached(statement)
        .and_then(|mut stmt| stmt.query_map(params, candidate)?.collect())
        .context(what)?;
    for candidate in rows {
        sweep.add(candidate);
    }
    Ok(())
}

/// A row of a sweep's read.
fn candidate(row: &Row<'_>) -> rusqlite::Result<ExpiryCandidate> {
    let namespace: String = row.get(3)?;
    let namespace = Namespace::parse(&namespace).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            3,
            rusqlite::types::Type::Text,
            format!("unknown namespace {namespace:?}").into(),
        )
    })?;
    Ok(ExpiryCandidate {
        meeting: ActiveMeeting {
            seq: row.get(0)?,
            meeting_id: row.get(1)?,
            max_attendees: row.get(4)?,
            attendee_count: row.get(5)?,
            primary_meeting_id: None,
        },
        scope: Scope {
            account_id: row.get(2)?,
            namespace,
        },
        clock: MeetingClock {
            created_at_ms: row.get(6)?,
            presence: Presence {
                idle_since_ms: row.get(7)?,
                presence_lease_ms: row.get(8)?,
            },
        },
    })
}
