//! Deliveries: claimed under a lease, settled by claim id, given up on as dead letters, replayed,
//! and the events that owe nothing pruned. Any number of nodes run these at once on one
//! database.
//!
//! # Two claims at once
//!
//! A claim is one transaction of three statements: it locks the heads it takes
//! ([`sql::CLAIM_HEADS`], `FOR UPDATE SKIP LOCKED`), locks their followers
//! ([`sql::CLAIM_FOLLOWERS`], `FOR UPDATE`), and leases all of them ([`sql::LEASE`]).
//!
//! - Two claims never take the same head: the second finds it locked and skips it; if the first
//!   has committed by the time the second reaches it, PostgreSQL re-reads the row before locking
//!   it (READ COMMITTED), finds it leased, and leaves it.
//! - They never take two heads of one stream: a head is the stream's oldest live row, and a row
//!   is only removed (delivered) or given up on (dead) under its own lease, which the stream's
//!   head held; a claim whose snapshot still shows that older row as the head finds it gone or
//!   leased when it locks it, and skips it.
//! - A head is taken only when no row of its stream is under a lease in force, and every
//!   follower is read after its lock: so when a dead letter is replayed behind a stream that is
//!   being delivered (it becomes the oldest live row, a head, while later rows are leased), the
//!   stream waits for that lease, and a claim racing the one that holds it sees its followers
//!   leased once it gets their locks, and gives the stream up.
//! - Waits: only followers are waited for, in stream order. Heads of one stream differ between
//!   two claims only after such a replay, and then the claim whose snapshot is newer holds the
//!   older row and waits for the other's; the other never waits for it. Should PostgreSQL still
//!   find two transactions waiting on each other (a claim and a settlement of the same rows), it
//!   cancels one, which fails as unavailable and is retried by its caller.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use carillon_core::events::outbox::{
    bounded_error, Claim, DeadLetter, Delivery, DeliveryKey, DeliveryOutcome, Settlement,
};
use carillon_core::StoreResult;
use deadpool_postgres::{GenericClient, Transaction};

use crate::db::{execute, query};
use crate::rows;
use crate::sql;

/// One stream a claim takes: its head first, then its followers.
struct Stream {
    target: String,
    meeting_id: String,
    seqs: Vec<i64>,
    /// Another lease holds one of its rows: not taken.
    busy: bool,
}

/// A fresh claim id: random, so that a settlement of a lease since taken by another claim (on
/// any node) never matches the new one. `RandomState` keys SipHash with the process's random
/// seed and a fresh counter each time, so its hash of anything is an unpredictable 64 bits.
fn new_claim_id() -> i64 {
    let bits = RandomState::new().hash_one(std::time::SystemTime::now());
    i64::from_ne_bytes(bits.to_ne_bytes())
}

fn row_limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Leases what `claim` asks for, by stream in head order, each head first.
pub(crate) async fn claim(tx: &Transaction<'_>, claim: &Claim) -> StoreResult<Vec<Delivery>> {
    if claim.streams == 0 || claim.per_stream == 0 || claim.targets.is_empty() {
        return Ok(Vec::new());
    }
    let (prefixes, exact): (Vec<&str>, Vec<&str>) = claim
        .targets
        .iter()
        .map(String::as_str)
        .partition(|t| t.ends_with(':'));
    let heads = query(
        tx,
        sql::CLAIM_HEADS,
        &[&claim.now_ms, &exact, &prefixes, &row_limit(claim.streams)],
        "claiming deliveries",
    )
    .await?;
    let mut streams = Vec::with_capacity(heads.len());
    for row in &heads {
        streams.push(Stream {
            target: rows::get(row, 0)?,
            meeting_id: rows::get(row, 1)?,
            seqs: vec![rows::get(row, 2)?],
            busy: false,
        });
    }
    if streams.is_empty() {
        return Ok(Vec::new());
    }
    if claim.per_stream > 1 {
        add_followers(tx, claim, &mut streams).await?;
    }
    streams.retain(|s| !s.busy);
    let (mut targets, mut seqs) = (Vec::new(), Vec::new());
    for stream in &streams {
        for seq in &stream.seqs {
            targets.push(stream.target.as_str());
            seqs.push(*seq);
        }
    }
    let claim_id = new_claim_id();
    let rows = query(
        tx,
        sql::LEASE,
        &[&claim.lease_until_ms, &claim_id, &targets, &seqs],
        "leasing deliveries",
    )
    .await?;
    let mut leased = HashMap::with_capacity(rows.len());
    for row in &rows {
        let event = rows::stored_event(row, 2)?;
        let key = DeliveryKey {
            target: rows::get(row, 0)?,
            seq: event.seq,
        };
        let delivery = Delivery {
            key: key.clone(),
            attempts: rows::attempts(row, 1)?,
            claim: claim_id,
            event,
        };
        leased.insert(key, delivery);
    }
    let mut deliveries = Vec::with_capacity(leased.len());
    for stream in streams {
        for seq in stream.seqs {
            let key = DeliveryKey {
                target: stream.target.clone(),
                seq,
            };
            if let Some(delivery) = leased.remove(&key) {
                deliveries.push(delivery);
            }
        }
    }
    Ok(deliveries)
}

/// Adds to each stream its next live rows, and marks it busy when another lease holds one.
async fn add_followers(
    tx: &Transaction<'_>,
    claim: &Claim,
    streams: &mut [Stream],
) -> StoreResult<()> {
    let targets: Vec<&str> = streams.iter().map(|s| s.target.as_str()).collect();
    let meetings: Vec<&str> = streams.iter().map(|s| s.meeting_id.as_str()).collect();
    let heads: Vec<i64> = streams.iter().map(|s| s.seqs[0]).collect();
    let rows = query(
        tx,
        sql::CLAIM_FOLLOWERS,
        &[
            &claim.now_ms,
            &targets,
            &meetings,
            &heads,
            &row_limit(claim.per_stream - 1),
        ],
        "claiming deliveries' followers",
    )
    .await?;
    let index: HashMap<(String, String), usize> = streams
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.target.clone(), s.meeting_id.clone()), i))
        .collect();
    for row in &rows {
        let stream: (String, String) = (rows::get(row, 0)?, rows::get(row, 1)?);
        if let Some(&i) = index.get(&stream) {
            streams[i].seqs.push(rows::get(row, 2)?);
            streams[i].busy |= rows::get::<bool>(row, 3)?;
        }
    }
    for stream in streams.iter_mut() {
        stream.seqs[1..].sort_unstable();
    }
    Ok(())
}

/// Applies settlements in one statement (so atomically); a row whose claim changed is left
/// alone.
pub(crate) async fn settle<C: GenericClient>(c: &C, settlements: &[Settlement]) -> StoreResult<()> {
    if settlements.is_empty() {
        return Ok(());
    }
    let n = settlements.len();
    let (mut targets, mut seqs, mut claims) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut delivered, mut counted, mut due, mut dead, mut errors) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for s in settlements {
        targets.push(s.key.target.as_str());
        seqs.push(s.key.seq);
        claims.push(s.claim);
        let (is_delivered, attempt, due_ms, dead_at_ms, error): (_, i32, _, _, _) = match &s.outcome
        {
            DeliveryOutcome::Delivered => (true, 0, None, None, None),
            DeliveryOutcome::Retry { error, retry_at_ms } => (
                false,
                1,
                Some(*retry_at_ms),
                None,
                Some(bounded_error(error)),
            ),
            DeliveryOutcome::Dead { error, at_ms } => {
                (false, 1, None, Some(*at_ms), Some(bounded_error(error)))
            }
            DeliveryOutcome::Released => (false, 0, None, None, None),
        };
        delivered.push(is_delivered);
        counted.push(attempt);
        due.push(due_ms);
        dead.push(dead_at_ms);
        errors.push(error);
    }
    execute(
        c,
        sql::SETTLE,
        &[
            &targets, &seqs, &claims, &delivered, &counted, &due, &dead, &errors,
        ],
        "settling deliveries",
    )
    .await
    .map(drop)
}

/// Dead letters after `after` in (seq, target) order, at most `limit`.
pub(crate) async fn dead_letters<C: GenericClient>(
    c: &C,
    after: Option<&DeliveryKey>,
    limit: usize,
) -> StoreResult<Vec<DeadLetter>> {
    let (seq, target) = after.map_or((i64::MIN, ""), |k| (k.seq, k.target.as_str()));
    let rows = query(
        c,
        sql::DEAD_LETTERS,
        &[&seq, &target, &row_limit(limit)],
        "listing dead letters",
    )
    .await?;
    rows.iter()
        .map(|row| {
            let event = rows::stored_event(row, 4)?;
            Ok(DeadLetter {
                key: DeliveryKey {
                    target: rows::get(row, 0)?,
                    seq: event.seq,
                },
                attempts: rows::attempts(row, 1)?,
                dead_at_ms: rows::get(row, 2)?,
                last_error: rows::get(row, 3)?,
                event,
            })
        })
        .collect()
}

/// Makes the dead letters named (all when `None`) due at `now_ms`; how many.
pub(crate) async fn replay<C: GenericClient>(
    c: &C,
    keys: Option<&[DeliveryKey]>,
    now_ms: i64,
) -> StoreResult<u64> {
    let what = "replaying dead letters";
    match keys {
        None => execute(c, sql::REPLAY_ALL, &[&now_ms], what).await,
        Some([]) => Ok(0),
        Some(keys) => {
            let targets: Vec<&str> = keys.iter().map(|k| k.target.as_str()).collect();
            let seqs: Vec<i64> = keys.iter().map(|k| k.seq).collect();
            execute(c, sql::REPLAY_NAMED, &[&now_ms, &targets, &seqs], what).await
        }
    }
}

/// Deletes up to `limit` events before `before_ms` that owe nothing; how many.
pub(crate) async fn prune<C: GenericClient>(
    c: &C,
    before_ms: i64,
    limit: usize,
) -> StoreResult<u64> {
    execute(
        c,
        sql::PRUNE_EVENTS,
        &[&before_ms, &row_limit(limit)],
        "pruning events",
    )
    .await
}
