//! The deliveries owed: claimed under a lease, settled by claim, kept as dead letters, replayed;
//! and the pruning of events that owe nothing. All of it runs on the writer, so a claim's reads
//! and its leases are one step for every other claim: no stream is ever leased twice.

use carillon_core::events::outbox::{
    bounded_error, Claim, DeadLetter, Delivery, DeliveryKey, DeliveryOutcome, Settlement,
    StoredEvent,
};
use carillon_core::{StoreError, StoreResult};
use rusqlite::{params, Connection};

use crate::error::Context;
use crate::events::{self, sql_limit};
use crate::sql::events as sql;

/// Leases the heads of due streams and their followers, by stream, head first, streams in the
/// order of their heads.
pub(crate) fn claim(conn: &Connection, claim: &Claim) -> StoreResult<Vec<Delivery>> {
    if claim.streams == 0 || claim.per_stream == 0 || claim.targets.is_empty() {
        return Ok(Vec::new());
    }
    let what = "claiming deliveries";
    let targets = serde_json::to_string(&claim.targets)
        .map_err(|e| StoreError::new(format!("sqlite: encoding targets: {e}")))?;
    let heads: Vec<(String, i64, String)> = conn
        .prepare_cached(sql::DUE_HEADS)
        .and_then(|mut stmt| {
            stmt.query_map(
                params![claim.now_ms, targets, sql_limit(claim.streams)],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )?
            .collect()
        })
        .context(what)?;
    let id: i64 = conn
        .prepare_cached(sql::NEW_CLAIM)
        .and_then(|mut stmt| stmt.query_row([], |row| row.get(0)))
        .context(what)?;
    let mut claimed = Vec::new();
    for (target, head, meeting_id) in heads {
        // The stream's deliveries and their events in one statement, leased in one more: a
        // claim costs two statements a stream, not two a delivery.
        let stream: Vec<(u32, StoredEvent)> = conn
            .prepare_cached(sql::STREAM_CLAIMED)
            .and_then(|mut stmt| {
                let limit = sql_limit(claim.per_stream);
                stmt.query_map(params![target, meeting_id, head, limit], |row| {
                    Ok((row.get(0)?, events::stored_event(row, 1)?))
                })?
                .collect()
            })
            .context(what)?;
        let Some(last) = stream.last().map(|(_, e)| e.seq) else {
            continue;
        };
        conn.prepare_cached(sql::LEASE_STREAM)
            .and_then(|mut stmt| {
                stmt.execute(params![
                    target,
                    meeting_id,
                    head,
                    last,
                    claim.lease_until_ms,
                    id
                ])
            })
            .context(what)?;
        claimed.extend(stream.into_iter().map(|(attempts, event)| Delivery {
            key: DeliveryKey {
                target: target.clone(),
                seq: event.seq,
            },
            attempts,
            claim: id,
            event,
        }));
    }
    Ok(claimed)
}

/// Applies each settlement whose claim still holds its delivery.
pub(crate) fn settle(conn: &Connection, settlements: &[Settlement]) -> StoreResult<()> {
    let what = "settling deliveries";
    for s in settlements {
        let (target, seq, claim) = (&s.key.target, s.key.seq, s.claim);
        match &s.outcome {
            DeliveryOutcome::Delivered => conn
                .prepare_cached(sql::DELIVERED)
                .and_then(|mut stmt| stmt.execute(params![target, seq, claim])),
            DeliveryOutcome::Retry { error, retry_at_ms } => {
                conn.prepare_cached(sql::RETRY).and_then(|mut stmt| {
                    let error = bounded_error(error);
                    stmt.execute(params![target, seq, claim, retry_at_ms, error])
                })
            }
            DeliveryOutcome::Dead { error, at_ms } => {
                conn.prepare_cached(sql::DEAD).and_then(|mut stmt| {
                    let error = bounded_error(error);
                    stmt.execute(params![target, seq, claim, at_ms, error])
                })
            }
            DeliveryOutcome::Released => conn
                .prepare_cached(sql::RELEASED)
                .and_then(|mut stmt| stmt.execute(params![target, seq, claim])),
        }
        .context(what)?;
    }
    Ok(())
}

/// Dead letters ordered by (seq, target), after `after`.
pub(crate) fn dead_letters(
    conn: &Connection,
    after: Option<&DeliveryKey>,
    limit: usize,
) -> StoreResult<Vec<DeadLetter>> {
    // Every seq is at least 1, so (0, '') comes before every key.
    let (seq, target) = after.map_or((0, ""), |k| (k.seq, k.target.as_str()));
    conn.prepare_cached(sql::DEAD_LETTERS)
        .and_then(|mut stmt| {
            stmt.query_map(params![seq, target, sql_limit(limit)], |row| {
                let event = events::stored_event(row, 4)?;
                Ok(DeadLetter {
                    key: DeliveryKey {
                        target: row.get(0)?,
                        seq: event.seq,
                    },
                    attempts: row.get(1)?,
                    dead_at_ms: row.get(2)?,
                    last_error: row.get::<_, Option<String>>(3)?.unwrap_or_default(),
                    event,
                })
            })?
            .collect()
        })
        .context("listing dead letters")
}

/// Makes the dead letters named (or all) due at `now_ms`, with no attempt counted.
pub(crate) fn replay(
    conn: &Connection,
    keys: Option<&[DeliveryKey]>,
    now_ms: i64,
) -> StoreResult<u64> {
    let what = "replaying dead letters";
    let replayed = match keys {
        None => conn
            .prepare_cached(sql::REPLAY_ALL)
            .and_then(|mut stmt| stmt.execute([now_ms]))
            .context(what)?,
        Some(keys) => {
            let mut replayed = 0;
            for key in keys {
                replayed += conn
                    .prepare_cached(sql::REPLAY)
                    .and_then(|mut stmt| stmt.execute(params![key.target, key.seq, now_ms]))
                    .context(what)?;
            }
            replayed
        }
    };
    Ok(u64::try_from(replayed).unwrap_or(u64::MAX))
}

/// Deletes up to `limit` events before `before_ms` that owe nothing.
pub(crate) fn prune(conn: &Connection, before_ms: i64, limit: usize) -> StoreResult<u64> {
    let pruned = conn
        .prepare_cached(sql::PRUNE)
        .and_then(|mut stmt| stmt.execute(params![before_ms, sql_limit(limit)]))
        .context("pruning events")?;
    Ok(u64::try_from(pruned).unwrap_or(u64::MAX))
}

/// Drops every lease, at open. A database file is one node's (the embedded store has no other
/// process to share deliveries with), so a lease found at open was left by a process that died
/// mid-delivery: its deliveries go out again at once (at least once) instead of waiting for the
/// lease to run out.
pub(crate) fn release_all(conn: &Connection) -> StoreResult<u64> {
    let released = conn
        .execute(sql::RELEASE_ALL_LEASES, [])
        .context("releasing the leases of a previous process")?;
    Ok(u64::try_from(released).unwrap_or(u64::MAX))
}
