//! The statements of the event log and its deliveries (migration 0006).

/// The event columns [`crate::events::stored_event`] reads, in order, from `events` as `e`.
macro_rules! event_columns {
    () => {
        "e.seq, e.event_id, e.meeting_id, e.account_id, e.source, e.name, e.at_ms, e.body"
    };
}

// Recording.

/// `?1` event id, `?2` meeting id, `?3` account, `?4` source, `?5` name, `?6` at, `?7` body.
pub const INSERT_EVENT: &str = "INSERT INTO events \
     (event_id, meeting_id, account_id, source, name, at_ms, body) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// `?1` target, `?2` event seq, `?3` meeting id. Due at once: `due_ms` only holds a delivery back
/// after a failed attempt (an event's own time says nothing of when a worker may send it).
pub const INSERT_DELIVERY: &str = "INSERT INTO event_deliveries (target, seq, meeting_id, due_ms) \
     VALUES (?1, ?2, ?3, 0)";

/// `?1` meeting id, in any scope, active or ended: the account a client event is logged under.
pub const MEETING_ACCOUNT: &str = "SELECT account_id FROM meetings WHERE meeting_id = ?1";

// What writes read to record their events, only when events are recorded.

/// `?1` meeting id, `?2` account, `?3` namespace: the active meeting as
/// [`crate::sql::ACTIVE_MEETING`] reads it, and its whole record, in one lookup. The meeting
/// columns first, then seq, max attendees and attendee count.
pub const ACTIVE_MEETING_RECORD: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", seq, max_attendees, attendee_count FROM meetings \
     WHERE meeting_id = ?1 AND account_id = ?2 AND namespace = ?3 AND ended_at_ms IS NULL"
);

/// As [`crate::sql::DELETE_ATTENDEE`] (`?1` meeting seq, `?2` AttendeeId), returning the
/// attendee deleted.
pub const DELETE_ATTENDEE_RETURNING: &str = concat!(
    "DELETE FROM attendees WHERE attendee_id = ?2 AND meeting_seq = ?1 RETURNING ",
    attendee_columns!()
);

/// As [`crate::sql::UPDATE_CAPABILITIES_EXCEPT`] (`?1` meeting seq, `?2` capabilities, `?3` JSON
/// array of the excluded AttendeeIds), returning each attendee updated and its position.
pub const UPDATE_CAPABILITIES_EXCEPT_RETURNING: &str = concat!(
    "UPDATE attendees SET capabilities = ?2 \
     WHERE meeting_seq = ?1 AND attendee_id NOT IN (SELECT value FROM json_each(?3)) \
     RETURNING ",
    attendee_columns!(),
    ", seq"
);

// Reading the log.

/// `?1` after this seq, `?2` limit.
pub const EVENTS_AFTER: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events e WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2"
);

/// The last seq ever given to an event (AUTOINCREMENT's record of it, which pruning the newest
/// events does not take back); no row before the first event.
pub const LAST_EVENT_SEQ: &str = "SELECT seq FROM sqlite_sequence WHERE name = 'events'";

// Claiming.

/// `?1` now, `?2` JSON array of the claim's targets (exact keys, or prefixes ending in `:`),
/// `?3` at most this many: the heads of streams due and not leased, oldest first. A head has no
/// earlier undelivered delivery in its stream, whatever that one's state (leased, not due yet):
/// a stream is delivered in order, by one worker at a time. Through the index of due deliveries,
/// which leaves out dead letters and deliveries waiting for a retry (the key's order would walk
/// past every dead letter at each claim).
pub const DUE_HEADS: &str = "SELECT d.target, d.seq, d.meeting_id FROM event_deliveries d \
     INDEXED BY event_deliveries_due WHERE d.dead_at_ms IS NULL AND d.due_ms <= ?1 \
     AND (d.lease_until_ms IS NULL OR d.lease_until_ms <= ?1) \
     AND EXISTS (SELECT 1 FROM json_each(?2) t WHERE t.value = d.target \
         OR (substr(t.value, -1) = ':' AND substr(d.target, 1, length(t.value)) = t.value)) \
     AND NOT EXISTS (SELECT 1 FROM event_deliveries p INDEXED BY event_deliveries_by_stream \
         WHERE p.target = d.target AND p.meeting_id = d.meeting_id AND p.seq < d.seq \
         AND p.dead_at_ms IS NULL) \
     ORDER BY d.seq LIMIT ?3";

/// `?1` target, `?2` meeting id, `?3` the head's seq, `?4` at most this many: the stream's
/// undelivered deliveries from its head on, each with its attempts and its event (a delivery
/// whose event is gone reads as NULLs, which fail to convert: a broken database, never skipped).
pub const STREAM_CLAIMED: &str = concat!(
    "SELECT d.attempts, ",
    event_columns!(),
    " FROM event_deliveries d INDEXED BY event_deliveries_by_stream \
     LEFT JOIN events e ON e.seq = d.seq \
     WHERE d.target = ?1 AND d.meeting_id = ?2 AND d.seq >= ?3 AND d.dead_at_ms IS NULL \
     ORDER BY d.seq LIMIT ?4"
);

/// `?1` target, `?2` meeting id, `?3` first seq, `?4` last seq, `?5` lease until, `?6` claim:
/// leases what [`STREAM_CLAIMED`] read, in one statement (the writer runs both, nothing between).
pub const LEASE_STREAM: &str = "UPDATE event_deliveries INDEXED BY event_deliveries_by_stream \
     SET lease_until_ms = ?5, claim = ?6 \
     WHERE target = ?1 AND meeting_id = ?2 AND seq BETWEEN ?3 AND ?4 AND dead_at_ms IS NULL";

/// A fresh claim id.
pub const NEW_CLAIM: &str = "SELECT random()";

// Settling. `?1` target, `?2` seq, `?3` the claim that must still hold the delivery.

pub const DELIVERED: &str =
    "DELETE FROM event_deliveries WHERE target = ?1 AND seq = ?2 AND claim = ?3";

/// `?4` due again at, `?5` error.
pub const RETRY: &str = "UPDATE event_deliveries SET attempts = attempts + 1, due_ms = ?4, \
     last_error = ?5, lease_until_ms = NULL, claim = NULL \
     WHERE target = ?1 AND seq = ?2 AND claim = ?3";

/// `?4` given up at, `?5` error.
pub const DEAD: &str = "UPDATE event_deliveries SET attempts = attempts + 1, dead_at_ms = ?4, \
     last_error = ?5, lease_until_ms = NULL, claim = NULL \
     WHERE target = ?1 AND seq = ?2 AND claim = ?3";

pub const RELEASED: &str = "UPDATE event_deliveries SET lease_until_ms = NULL, claim = NULL \
     WHERE target = ?1 AND seq = ?2 AND claim = ?3";

// Dead letters.

/// `?1` seq, `?2` target: list after this key; `?3` limit. The delivery's columns, then the
/// event's.
pub const DEAD_LETTERS: &str = concat!(
    "SELECT d.target, d.attempts, d.dead_at_ms, d.last_error, ",
    event_columns!(),
    " FROM event_deliveries d JOIN events e ON e.seq = d.seq \
     WHERE d.dead_at_ms IS NOT NULL AND (d.seq, d.target) > (?1, ?2) \
     ORDER BY d.seq, d.target LIMIT ?3"
);

/// `?1` target, `?2` seq, `?3` due at. Nothing unless it is a dead letter.
pub const REPLAY: &str = "UPDATE event_deliveries \
     SET dead_at_ms = NULL, attempts = 0, due_ms = ?3, last_error = NULL \
     WHERE target = ?1 AND seq = ?2 AND dead_at_ms IS NOT NULL";

/// `?1` due at: every dead letter, through their partial index.
pub const REPLAY_ALL: &str = "UPDATE event_deliveries \
     SET dead_at_ms = NULL, attempts = 0, due_ms = ?1, last_error = NULL \
     WHERE dead_at_ms IS NOT NULL";

// Pruning.

/// `?1` before, `?2` at most this many: old events that owe no delivery, dead letters included.
pub const PRUNE: &str = "DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e \
     WHERE e.at_ms < ?1 \
     AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.seq = e.seq) \
     ORDER BY e.at_ms LIMIT ?2)";

/// Every lease dropped: the leases of a process that is gone (see `deliveries::release_all`).
pub const RELEASE_ALL_LEASES: &str =
    "UPDATE event_deliveries SET lease_until_ms = NULL, claim = NULL \
     WHERE lease_until_ms IS NOT NULL";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::plan;

    /// Each statement reaches its rows through the index named (or the primary key), and scans
    /// nothing but a parameter's `json_each`, the dead letters' own partial index (replaying
    /// them all) and `sqlite_sequence` (one row per AUTOINCREMENT table).
    #[test]
    fn every_statement_uses_its_index() {
        let cases: &[(&str, &[&str])] = &[
            (ACTIVE_MEETING_RECORD, &["meetings_by_id"]),
            (DELETE_ATTENDEE_RETURNING, &["attendees_by_meeting_and_id"]),
            (UPDATE_CAPABILITIES_EXCEPT_RETURNING, &["attendees_by_"]),
            (INSERT_EVENT, &[]),
            (INSERT_DELIVERY, &[]),
            (MEETING_ACCOUNT, &["meetings_by_id"]),
            (EVENTS_AFTER, &["INTEGER PRIMARY KEY (rowid>?)"]),
            (LAST_EVENT_SEQ, &[]),
            (
                DUE_HEADS,
                &[
                    "event_deliveries_due (due_ms<?)",
                    "event_deliveries_by_stream",
                ],
            ),
            (
                STREAM_CLAIMED,
                &[
                    "event_deliveries_by_stream",
                    "INTEGER PRIMARY KEY (rowid=?)",
                ],
            ),
            (LEASE_STREAM, &["event_deliveries_by_stream"]),
            (DELIVERED, &["PRIMARY KEY (seq=? AND target=?)"]),
            (RETRY, &["PRIMARY KEY (seq=? AND target=?)"]),
            (DEAD, &["PRIMARY KEY (seq=? AND target=?)"]),
            (RELEASED, &["PRIMARY KEY (seq=? AND target=?)"]),
            (DEAD_LETTERS, &["event_deliveries_dead"]),
            (REPLAY, &["PRIMARY KEY (seq=? AND target=?)"]),
            (REPLAY_ALL, &["event_deliveries_dead"]),
            (PRUNE, &["events_by_time (at_ms<?)", "PRIMARY KEY (seq=?)"]),
        ];
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for (sql, indexes) in cases {
            let details = plan(&conn, sql);
            for detail in &details {
                let allowed = !detail.starts_with("SCAN ")
                    || detail.starts_with("SCAN json_each")
                    || detail.contains(" VIRTUAL TABLE ")
                    || detail.starts_with("SCAN sqlite_sequence")
                    || detail.contains("INDEX event_deliveries_dead");
                assert!(allowed, "{sql}\n  plan: {details:?}");
            }
            for index in *indexes {
                assert!(
                    details.iter().any(|d| d.contains(index)),
                    "{sql}: {index}\n  plan: {details:?}"
                );
            }
        }
    }

    /// The claim's statements run at every claim with new values for their `LIMIT` and range
    /// parameters. SQLite re-prepares (parses and plans again) a statement whose plan used a
    /// bound value, as it does for a `LIMIT ?` since 3.47, unless the query planner stability
    /// guarantee is on: the store's connections turn it on, so none of these is re-prepared.
    #[test]
    fn no_statement_is_prepared_again_for_new_values() {
        use rusqlite::types::Value;
        let conn = crate::schema::open_memory().unwrap();
        let targets = || Value::Text(r#"["webhook:a"]"#.into());
        let text = |s: &str| Value::Text(s.into());
        type Params = Box<dyn Fn(i64) -> Vec<Value>>;
        let cases: Vec<(&str, Params)> = vec![
            (
                DUE_HEADS,
                Box::new(move |i| vec![Value::Integer(i), targets(), Value::Integer(i + 1)]),
            ),
            (
                STREAM_CLAIMED,
                Box::new(move |i| {
                    vec![
                        text("webhook:a"),
                        text("m"),
                        Value::Integer(i),
                        Value::Integer(i + 1),
                    ]
                }),
            ),
            (
                EVENTS_AFTER,
                Box::new(|i| vec![Value::Integer(i), Value::Integer(i + 1)]),
            ),
            (
                PRUNE,
                Box::new(|i| vec![Value::Integer(i), Value::Integer(i + 1)]),
            ),
        ];
        for (sql, params) in cases {
            let mut stmt = conn.prepare(sql).unwrap();
            for i in 0..5 {
                let mut rows = stmt.query(rusqlite::params_from_iter(params(i))).unwrap();
                while rows.next().unwrap().is_some() {}
            }
            let again = stmt.get_status(rusqlite::StatementStatus::RePrepare);
            assert_eq!(again, 0, "{sql}");
        }
    }
}
