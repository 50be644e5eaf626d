//! The lifecycle: presence marks, and sweeps that end expired meetings, each one transaction.
//! What they decide is decided by [`carillon_core::lifecycle`] and
//! [`carillon_core::store::rules::Sweep`].
//!
//! Several nodes may sweep at once: each takes the rows it ends with `FOR UPDATE SKIP LOCKED`,
//! so no sweep waits for another's meetings or ends them again, and a meeting already ended is
//! no longer selected. A sweep then waits only for the rows of its meetings' replicas (which
//! `mark_presence` never locks), so no two writes wait on each other crosswise.

use std::collections::HashMap;

use carillon_core::lifecycle::{MeetingClock, Presence};
use carillon_core::store::rules::{ActiveMeeting, Expired, ExpiryCandidate, Sweep, SweepRead};
use carillon_core::{
    EndedMeeting, LifecyclePolicy, Namespace, PresenceMark, Scope, StoreError, StoreResult,
    MAX_EXPIRED_PER_CALL,
};
use deadpool_postgres::Transaction;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

use crate::db::{execute, query};
use crate::events::Pending;
use crate::meetings;
use crate::rows::get;
use crate::sql;

/// Applies each mark in order to the active meeting (not a replica) it names: finds and locks
/// them all, then writes them all.
pub(crate) async fn mark_presence(tx: &Transaction<'_>, marks: &[PresenceMark]) -> StoreResult<()> {
    let ids: Vec<&str> = marks.iter().map(PresenceMark::meeting_id).collect();
    let what = "finding meetings by id";
    let seqs = query(tx, sql::PRIMARIES_BY_ID, &[&ids], what).await?;
    let seqs = seqs
        .iter()
        .map(|row| get(row, 0))
        .collect::<StoreResult<Vec<i64>>>()?;
    let what = "locking meetings' presence";
    let rows = query(tx, sql::LOCK_PRESENCE, &[&seqs], what).await?;
    let mut found: HashMap<String, (i64, Presence)> = HashMap::with_capacity(rows.len());
    for row in &rows {
        if !get::<bool>(row, 4)? {
            continue;
        }
        let presence = Presence {
            idle_since_ms: get(row, 2)?,
            presence_lease_ms: get(row, 3)?,
        };
        found.insert(get(row, 1)?, (get(row, 0)?, presence));
    }
    for mark in marks {
        if let Some((_, presence)) = found.get_mut(mark.meeting_id()) {
            *presence = presence.after(mark);
        }
    }
    let (mut seqs, mut idle, mut leases) = (Vec::new(), Vec::new(), Vec::new());
    for (seq, presence) in found.into_values() {
        seqs.push(seq);
        idle.push(presence.idle_since_ms);
        leases.push(presence.presence_lease_ms);
    }
    execute(
        tx,
        sql::SET_PRESENCE,
        &[&seqs, &idle, &leases],
        "recording meetings' presence",
    )
    .await
    .map(drop)
}

/// Ends the meetings expired at `now_ms` (at most [`MAX_EXPIRED_PER_CALL`], with their
/// replicas), announcing each end on commit.
pub(crate) async fn end_expired(
    tx: &Transaction<'_>,
    now_ms: i64,
    policy: &LifecyclePolicy,
    events: &mut Pending,
) -> StoreResult<Vec<EndedMeeting>> {
    let mut sweep = Sweep::new(policy, now_ms, MAX_EXPIRED_PER_CALL);
    for read_step in sweep.reads() {
        let limit = sweep.row_limit();
        match &read_step {
            SweepRead::InScope {
                account,
                namespace,
                idle_cutoff,
                duration_cutoff,
            } => {
                let params: [&(dyn ToSql + Sync); 5] = [
                    account,
                    &namespace.as_str(),
                    idle_cutoff,
                    duration_cutoff,
                    &limit,
                ];
                read(tx, &mut sweep, sql::EXPIRED_IN_SCOPE, &params).await?;
            }
            SweepRead::Idle { cutoff, except } => {
                let params: [&(dyn ToSql + Sync); 3] = [cutoff, except, &limit];
                read(tx, &mut sweep, sql::EXPIRED_IDLE, &params).await?;
            }
            SweepRead::ByAge { cutoff, except } => {
                let params: [&(dyn ToSql + Sync); 3] = [cutoff, except, &limit];
                read(tx, &mut sweep, sql::EXPIRED_BY_AGE, &params).await?;
            }
        }
    }
    let mut ended = Vec::new();
    for expired in sweep.into_expired() {
        let done =
            meetings::end_locked(tx, expired.meeting, expired.reason, now_ms, events).await?;
        ended.extend(Expired::ended(&expired.scope, done));
    }
    Ok(ended)
}

/// Runs one read of the sweep (nothing when it is already full) and adds its rows.
async fn read(
    tx: &Transaction<'_>,
    sweep: &mut Sweep<'_>,
    statement: &str,
    params: &[&(dyn ToSql + Sync)],
) -> StoreResult<()> {
    if sweep.remaining() == 0 {
        return Ok(());
    }
    for row in query(tx, statement, params, "reading expired meetings").await? {
        sweep.add(candidate(&row)?);
    }
    Ok(())
}

fn candidate(row: &Row) -> StoreResult<ExpiryCandidate> {
    let namespace: String = get(row, 3)?;
    let namespace = Namespace::parse(&namespace)
        .ok_or_else(|| StoreError::new(format!("postgres: unknown namespace {namespace:?}")))?;
    Ok(ExpiryCandidate {
        meeting: ActiveMeeting {
            seq: get(row, 0)?,
            meeting_id: get(row, 1)?,
            max_attendees: get(row, 4)?,
            attendee_count: get(row, 5)?,
            primary_meeting_id: None,
        },
        scope: Scope {
            account_id: get(row, 2)?,
            namespace,
        },
        clock: MeetingClock {
            created_at_ms: get(row, 6)?,
            presence: Presence {
                idle_since_ms: get(row, 7)?,
                presence_lease_ms: get(row, 8)?,
            },
        },
    })
}
