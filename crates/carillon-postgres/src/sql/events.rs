//! The statements of the outbox: the event log and the deliveries (migration 0006). Why each
//! is safe across nodes is said where it runs (`crate::events`, `crate::deliveries`).

/// The event columns [`crate::rows::stored_event`] reads, in order, of `events e`.
macro_rules! event_columns {
    () => {
        "e.seq, e.xid, e.event_id, e.meeting_id, e.account_id, e.source, e.name, e.at_ms, e.body"
    };
}

/// `$1`..`$7` event ids, meeting ids, accounts, sources, names, instants, bodies (one element per
/// event, in log order); `$8` the event id and `$9` the target of each delivery owed. Inserts the
/// events in that order (so their `seq` grows in that order) and their deliveries, each due when
/// its event happened. One statement, one round trip, whatever the number of events.
pub const INSERT_EVENTS: &str = "WITH logged AS ( \
         INSERT INTO events (event_id, meeting_id, account_id, source, name, at_ms, body) \
         SELECT i, m, a, s, n, t, b \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::bigint[], $7::text[]) WITH ORDINALITY AS l (i, m, a, s, n, t, b, k) \
         ORDER BY k \
         RETURNING seq, event_id, meeting_id, at_ms) \
     INSERT INTO event_deliveries (target, seq, meeting_id, due_ms) \
     SELECT d.target, l.seq, l.meeting_id, l.at_ms \
     FROM unnest($8::text[], $9::text[]) AS d (event_id, target) \
     JOIN logged l ON l.event_id = d.event_id";

/// `$1`, `$2` the position to read after (xid, seq), `$3` row limit. Only events of
/// transactions below the boundary are read: the oldest transaction still running, unless it
/// runs in another database (it cannot write here), else the snapshot's xmax. See
/// `crate::events` for why no row can later appear before that boundary.
pub const EVENTS_AFTER: &str = concat!(
    "WITH snapshot AS (SELECT pg_current_snapshot() AS s), \
     boundary AS (SELECT coalesce( \
         (SELECT min(x::text::bigint) FROM snapshot, pg_snapshot_xip(snapshot.s) AS x \
          WHERE NOT EXISTS (SELECT FROM pg_stat_activity a \
              WHERE a.backend_xid = xid(x) \
              AND a.datid <> (SELECT oid FROM pg_database WHERE datname = current_database()))), \
         (SELECT pg_snapshot_xmax(s)::text::bigint FROM snapshot)) AS xid) \
     SELECT ",
    event_columns!(),
    " FROM events e, boundary b \
     WHERE (e.xid, e.seq) > ($1, $2) AND e.xid < b.xid ORDER BY e.xid, e.seq LIMIT $3"
);

/// The first transaction id not yet handed out: every event committed so far is below it, every
/// transaction that starts later is at or above it.
pub const LAST_EVENT_POSITION: &str =
    "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint";

/// `$1` now, `$2` exact target keys, `$3` target key prefixes, `$4` row limit: the heads of
/// streams that can be claimed (due, not leased, no older live row, no row of the stream under
/// a lease in force), oldest first, locked; heads another claim holds are skipped.
pub const CLAIM_HEADS: &str = "SELECT d.target, d.meeting_id, d.seq FROM event_deliveries d \
     WHERE d.dead_at_ms IS NULL AND d.due_ms <= $1 \
     AND (d.lease_until_ms IS NULL OR d.lease_until_ms <= $1) \
     AND (d.target = ANY ($2) OR EXISTS (SELECT FROM unnest($3::text[]) AS p (prefix) \
         WHERE starts_with(d.target, p.prefix))) \
     AND NOT EXISTS (SELECT FROM event_deliveries o \
         WHERE o.target = d.target AND o.meeting_id = d.meeting_id AND o.dead_at_ms IS NULL \
         AND o.seq < d.seq) \
     AND NOT EXISTS (SELECT FROM event_deliveries l \
         WHERE l.target = d.target AND l.meeting_id = d.meeting_id AND l.lease_until_ms > $1) \
     ORDER BY d.seq LIMIT $4 \
     FOR UPDATE OF d SKIP LOCKED";

/// `$1` now, `$2` targets, `$3` meeting ids, `$4` seqs of the heads (one element per stream),
/// `$5` followers per stream: the next live rows of each stream in order, locked (waiting for a
/// claim or settlement in progress on them), with whether another lease holds one.
pub const CLAIM_FOLLOWERS: &str =
    "SELECT h.target, h.meeting_id, f.seq, coalesce(f.lease_until_ms > $1, false) \
     FROM unnest($2::text[], $3::text[], $4::bigint[]) AS h (target, meeting_id, seq) \
     CROSS JOIN LATERAL (SELECT o.seq, o.lease_until_ms FROM event_deliveries o \
         WHERE o.target = h.target AND o.meeting_id = h.meeting_id AND o.dead_at_ms IS NULL \
         AND o.seq > h.seq ORDER BY o.seq LIMIT $5 FOR UPDATE) f";

/// `$1` lease until, `$2` claim id, `$3` targets, `$4` seqs: leases the rows and returns them
/// with their events (delivery columns first). Each event is looked up by key: `OFFSET 0` keeps
/// the LATERAL subquery from being flattened into a join the planner could make a scan of the
/// whole log.
pub const LEASE: &str = concat!(
    "WITH leased AS ( \
         UPDATE event_deliveries d SET lease_until_ms = $1, claim = $2 \
         FROM unnest($3::text[], $4::bigint[]) AS k (target, seq) \
         WHERE d.target = k.target AND d.seq = k.seq \
         RETURNING d.target, d.seq, d.attempts) \
     SELECT l.target, l.attempts, ",
    event_columns!(),
    " FROM leased l CROSS JOIN LATERAL (SELECT * FROM events WHERE seq = l.seq OFFSET 0) e"
);

/// One element per settlement: `$1` target, `$2` seq, `$3` claim, `$4` delivered, `$5` attempts
/// to add, `$6` next due (NULL: unchanged), `$7` dead at (NULL: live), `$8` error (NULL:
/// unchanged). Rows whose claim is no longer the one given are left alone. A delivered row is
/// deleted; any other drops its lease.
pub const SETTLE: &str = "WITH s AS ( \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bool[], $5::int[], \
             $6::bigint[], $7::bigint[], $8::text[]) \
         AS s (target, seq, claim, delivered, counted, due_ms, dead_at_ms, error)), \
     delivered AS ( \
         DELETE FROM event_deliveries d USING s \
         WHERE s.delivered AND d.target = s.target AND d.seq = s.seq AND d.claim = s.claim) \
     UPDATE event_deliveries d SET attempts = d.attempts + s.counted, \
         due_ms = coalesce(s.due_ms, d.due_ms), dead_at_ms = s.dead_at_ms, \
         last_error = coalesce(s.error, d.last_error), lease_until_ms = NULL, claim = NULL \
     FROM s WHERE NOT s.delivered AND d.target = s.target AND d.seq = s.seq \
     AND d.claim = s.claim";

/// `$1`, `$2` the key to list after (seq, target), `$3` row limit: dead letters with their
/// events (delivery columns first), each event looked up by key as in [`LEASE`].
pub const DEAD_LETTERS: &str = concat!(
    "SELECT d.target, d.attempts, d.dead_at_ms, coalesce(d.last_error, ''), ",
    event_columns!(),
    " FROM event_deliveries d \
     CROSS JOIN LATERAL (SELECT * FROM events WHERE seq = d.seq OFFSET 0) e \
     WHERE d.dead_at_ms IS NOT NULL AND (d.seq, d.target) > ($1, $2) \
     ORDER BY d.seq, d.target LIMIT $3"
);

/// What a replayed dead letter becomes: due at `$1`, nothing counted.
macro_rules! replayed {
    () => {
        "UPDATE event_deliveries d SET dead_at_ms = NULL, attempts = 0, due_ms = $1, \
         last_error = NULL, lease_until_ms = NULL, claim = NULL"
    };
}

/// `$1` now, `$2` targets, `$3` seqs.
pub const REPLAY_NAMED: &str = concat!(
    replayed!(),
    " FROM unnest($2::text[], $3::bigint[]) AS k (target, seq) \
     WHERE d.target = k.target AND d.seq = k.seq AND d.dead_at_ms IS NOT NULL"
);

/// `$1` now.
pub const REPLAY_ALL: &str = concat!(replayed!(), " WHERE d.dead_at_ms IS NOT NULL");

/// `$1` before, `$2` row limit: the oldest events that happened before and owe no delivery.
/// Deliveries are only ever written with their event, so an event that owes none now never
/// will.
/// (An array rather than `IN (subquery)`, so that the rows are deleted by key rather than by a
/// join the planner may make a scan of the whole log.)
pub const PRUNE_EVENTS: &str = "DELETE FROM events WHERE seq = ANY (ARRAY( \
         SELECT e.seq FROM events e WHERE e.at_ms < $1 \
         AND NOT EXISTS (SELECT FROM event_deliveries d WHERE d.seq = e.seq) \
         ORDER BY e.at_ms LIMIT $2 FOR UPDATE SKIP LOCKED))";
