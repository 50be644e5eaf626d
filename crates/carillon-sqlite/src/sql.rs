//! Every statement the store runs, in one place so that a test can check each query plan (no
//! statement may scan a table in proportion to the data it holds); those of the event log are in
//! [`events`].

/// The meeting columns [`crate::rows::meeting`] reads, in order.
macro_rules! meeting_columns {
    () => {
        "meeting_id, account_id, namespace, control_region, client_request_token, media_region, \
         external_meeting_id, meeting_host_id, primary_meeting_id, tenant_ids, features, \
         notifications, media_placement_network_type, transcription, created_at_ms, ended_at_ms, \
         end_reason"
    };
}

/// The attendee columns [`crate::rows::attendee`] reads, in order.
macro_rules! attendee_columns {
    () => {
        "attendee_id, external_user_id, join_token, capabilities"
    };
}

// Declared after the column macros, which they use.
pub mod admin;
pub mod events;

// Meetings. `?1` meeting id, `?2` account, `?3` namespace unless noted.

pub const ACTIVE_MEETING: &str = "SELECT seq, max_attendees, attendee_count, primary_meeting_id \
     FROM meetings \
     WHERE meeting_id = ?1 AND account_id = ?2 AND namespace = ?3 AND ended_at_ms IS NULL";

pub const GET_MEETING: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings \
     WHERE meeting_id = ?1 AND account_id = ?2 AND namespace = ?3 AND ended_at_ms IS NULL"
);

/// `?1` account, `?2` namespace, `?3` ClientRequestToken.
pub const MEETING_BY_TOKEN: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings \
     WHERE account_id = ?1 AND namespace = ?2 AND client_request_token = ?3"
);

/// `?18` max attendees. The idle clock starts at creation (`?15`).
pub const INSERT_MEETING: &str = concat!(
    "INSERT INTO meetings (",
    meeting_columns!(),
    ", max_attendees, idle_since_ms) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?15)"
);

/// `?1` account, `?2` namespace, `?3` list after this position, `?4` row limit. The position is
/// the last column.
pub const LIST_MEETINGS: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", seq FROM meetings \
     WHERE account_id = ?1 AND namespace = ?2 AND ended_at_ms IS NULL AND seq > ?3 \
     ORDER BY seq LIMIT ?4"
);

/// `?1` account, `?2` namespace, `?3` the quota minus one. A row when the scope holds at least
/// `?3 + 1` active meetings: a walk of at most that many entries of the partial index, whatever
/// the scope's history.
pub const NTH_ACTIVE_MEETING: &str = "SELECT seq FROM meetings \
     WHERE account_id = ?1 AND namespace = ?2 AND ended_at_ms IS NULL \
     LIMIT 1 OFFSET ?3";

/// `?1` meeting id, in any scope, active or ended. The seq is the last column.
pub const MEETING_BY_ID: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", seq FROM meetings WHERE meeting_id = ?1"
);

/// `?1` primary meeting id.
pub const ACTIVE_REPLICAS: &str = "SELECT seq, meeting_id FROM meetings \
     WHERE primary_meeting_id = ?1 AND ended_at_ms IS NULL";

/// `?1` meeting seq, `?2` end time, `?3` end reason.
pub const END_MEETING: &str =
    "UPDATE meetings SET ended_at_ms = ?2, attendee_count = 0, end_reason = ?3 WHERE seq = ?1";

// The lifecycle.

/// `?1` meeting id, in any scope: the active meeting's key and presence, unless a replica
/// (whose presence nothing reads).
pub const PRESENCE: &str = "SELECT seq, idle_since_ms, presence_lease_ms FROM meetings \
     WHERE meeting_id = ?1 AND ended_at_ms IS NULL AND primary_meeting_id IS NULL";

/// `?1` meeting seq, `?2` idle since, `?3` lease.
pub const SET_PRESENCE: &str =
    "UPDATE meetings SET idle_since_ms = ?2, presence_lease_ms = ?3 WHERE seq = ?1";

/// The columns [`crate::meetings`] reads for a sweep, in order.
macro_rules! sweep_columns {
    () => {
        "SELECT seq, meeting_id, account_id, namespace, max_attendees, attendee_count, \
         created_at_ms, idle_since_ms, presence_lease_ms FROM meetings \
         WHERE ended_at_ms IS NULL AND primary_meeting_id IS NULL AND "
    };
}

/// `?1` account, `?2` namespace, `?3` idle cutoff, `?4` age cutoff (either NULL: off), `?5` row
/// limit: the scope's expired meetings, through its index of active meetings.
pub const EXPIRED_IN_SCOPE: &str = concat!(
    sweep_columns!(),
    "account_id = ?1 AND namespace = ?2 \
     AND (coalesce(idle_since_ms, presence_lease_ms) <= ?3 OR created_at_ms <= ?4) \
     ORDER BY seq LIMIT ?5"
);

/// `?1` idle cutoff, `?2` JSON array of the accounts left out, `?3` row limit: idle the longest
/// first, through `meetings_idle_clock`.
pub const EXPIRED_IDLE: &str = concat!(
    sweep_columns!(),
    "coalesce(idle_since_ms, presence_lease_ms) <= ?1 \
     AND account_id NOT IN (SELECT value FROM json_each(?2)) \
     ORDER BY coalesce(idle_since_ms, presence_lease_ms) LIMIT ?3"
);

/// `?1` age cutoff, `?2` JSON array of the accounts left out, `?3` row limit: oldest first,
/// through `meetings_active_by_age`.
pub const EXPIRED_BY_AGE: &str = concat!(
    sweep_columns!(),
    "created_at_ms <= ?1 AND account_id NOT IN (SELECT value FROM json_each(?2)) \
     ORDER BY created_at_ms LIMIT ?3"
);

/// `?4` transcription JSON or NULL.
pub const SET_TRANSCRIPTION: &str = "UPDATE meetings SET transcription = ?4 \
     WHERE meeting_id = ?1 AND account_id = ?2 AND namespace = ?3 AND ended_at_ms IS NULL";

/// `?1` meeting seq, `?2` the new count.
pub const SET_ATTENDEE_COUNT: &str = "UPDATE meetings SET attendee_count = ?2 WHERE seq = ?1";

// Attendees. `?1` meeting seq unless noted.

/// `?2` AttendeeId, `?3` ExternalUserId, `?4` JoinToken (`rows::join_token_value`), `?5`
/// capabilities (`rows::capabilities_code`) or NULL. Does nothing when the meeting already has
/// an attendee with this ExternalUserId.
pub const INSERT_ATTENDEE: &str = "INSERT INTO attendees \
     (meeting_seq, attendee_id, external_user_id, join_token, capabilities) \
     VALUES (?1, ?2, ?3, ?4, ?5) \
     ON CONFLICT (meeting_seq, external_user_id) DO NOTHING";

/// `?2` ExternalUserId.
pub const ATTENDEE_BY_USER: &str = concat!(
    "SELECT ",
    attendee_columns!(),
    " FROM attendees WHERE meeting_seq = ?1 AND external_user_id = ?2"
);

/// `?2` AttendeeId. The attendee's key, which its tags reference.
pub const ATTENDEE_SEQ: &str =
    "SELECT seq FROM attendees WHERE attendee_id = ?2 AND meeting_seq = ?1";

/// `?2` AttendeeId.
pub const GET_ATTENDEE: &str = concat!(
    "SELECT ",
    attendee_columns!(),
    " FROM attendees WHERE attendee_id = ?2 AND meeting_seq = ?1"
);

/// GetAttendee in one statement: the attendee with AttendeeId `?4` of the active meeting `?1`
/// of account `?2` and namespace `?3`. No row: no such meeting; a row of NULLs: the meeting
/// has no such attendee.
pub const GET_ATTENDEE_OF_MEETING: &str = "SELECT a.attendee_id, a.external_user_id, \
     a.join_token, a.capabilities \
     FROM meetings m LEFT JOIN attendees a ON a.meeting_seq = m.seq AND a.attendee_id = ?4 \
     WHERE m.meeting_id = ?1 AND m.account_id = ?2 AND m.namespace = ?3 \
     AND m.ended_at_ms IS NULL";

/// ListAttendees in one statement: the attendees of the active meeting `?1` of account `?2` and
/// namespace `?3` after position `?4`, at most `?5` rows, in order; the position is the last
/// column. No row: no such meeting; a row of NULLs: the meeting has no attendee after `?4`.
pub const LIST_ATTENDEES_OF_MEETING: &str = "SELECT a.attendee_id, a.external_user_id, \
     a.join_token, a.capabilities, a.seq \
     FROM meetings m LEFT JOIN attendees a ON a.meeting_seq = m.seq AND a.seq > ?4 \
     WHERE m.meeting_id = ?1 AND m.account_id = ?2 AND m.namespace = ?3 \
     AND m.ended_at_ms IS NULL \
     ORDER BY a.seq LIMIT ?5";

/// `?2` AttendeeId.
pub const DELETE_ATTENDEE: &str =
    "DELETE FROM attendees WHERE attendee_id = ?2 AND meeting_seq = ?1";

/// Their tags go with them (ON DELETE CASCADE), as with [`DELETE_ATTENDEE`].
pub const DELETE_MEETING_ATTENDEES: &str = "DELETE FROM attendees WHERE meeting_seq = ?1";

/// `?2` AttendeeId, `?3` capabilities (`rows::capabilities_code`).
pub const UPDATE_CAPABILITIES: &str = concat!(
    "UPDATE attendees SET capabilities = ?3 WHERE attendee_id = ?2 AND meeting_seq = ?1 \
     RETURNING ",
    attendee_columns!()
);

/// `?2` capabilities (`rows::capabilities_code`), `?3` JSON array of the excluded AttendeeIds.
pub const UPDATE_CAPABILITIES_EXCEPT: &str = "UPDATE attendees SET capabilities = ?2 \
     WHERE meeting_seq = ?1 AND attendee_id NOT IN (SELECT value FROM json_each(?3))";

// Meeting tags. `?1` meeting seq.

pub const TAG_KEYS: &str = "SELECT key FROM meeting_tags WHERE meeting_seq = ?1";

/// `?2` key, `?3` value. An existing key keeps its place.
pub const UPSERT_TAG: &str =
    "INSERT INTO meeting_tags (meeting_seq, key, value) VALUES (?1, ?2, ?3) \
     ON CONFLICT (meeting_seq, key) DO UPDATE SET value = excluded.value";

/// `?2` key.
pub const DELETE_TAG: &str = "DELETE FROM meeting_tags WHERE meeting_seq = ?1 AND key = ?2";

pub const DELETE_MEETING_TAGS: &str = "DELETE FROM meeting_tags WHERE meeting_seq = ?1";

pub const LIST_TAGS: &str =
    "SELECT key, value FROM meeting_tags WHERE meeting_seq = ?1 ORDER BY seq";

// Attendee tags, the same statements. `?1` attendee seq. Deleting an attendee deletes them.

pub const ATTENDEE_TAG_KEYS: &str = "SELECT key FROM attendee_tags WHERE attendee_seq = ?1";

/// `?2` key, `?3` value. An existing key keeps its place.
pub const UPSERT_ATTENDEE_TAG: &str =
    "INSERT INTO attendee_tags (attendee_seq, key, value) VALUES (?1, ?2, ?3) \
     ON CONFLICT (attendee_seq, key) DO UPDATE SET value = excluded.value";

/// `?2` key.
pub const DELETE_ATTENDEE_TAG: &str =
    "DELETE FROM attendee_tags WHERE attendee_seq = ?1 AND key = ?2";

pub const LIST_ATTENDEE_TAGS: &str =
    "SELECT key, value FROM attendee_tags WHERE attendee_seq = ?1 ORDER BY seq";

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[&str] = &[
        ACTIVE_MEETING,
        GET_MEETING,
        MEETING_BY_ID,
        MEETING_BY_TOKEN,
        INSERT_MEETING,
        LIST_MEETINGS,
        NTH_ACTIVE_MEETING,
        ACTIVE_REPLICAS,
        END_MEETING,
        PRESENCE,
        SET_PRESENCE,
        EXPIRED_IN_SCOPE,
        EXPIRED_IDLE,
        EXPIRED_BY_AGE,
        SET_TRANSCRIPTION,
        SET_ATTENDEE_COUNT,
        INSERT_ATTENDEE,
        ATTENDEE_BY_USER,
        ATTENDEE_SEQ,
        GET_ATTENDEE,
        GET_ATTENDEE_OF_MEETING,
        LIST_ATTENDEES_OF_MEETING,
        DELETE_ATTENDEE,
        DELETE_MEETING_ATTENDEES,
        UPDATE_CAPABILITIES,
        UPDATE_CAPABILITIES_EXCEPT,
        TAG_KEYS,
        UPSERT_TAG,
        DELETE_TAG,
        DELETE_MEETING_TAGS,
        LIST_TAGS,
        ATTENDEE_TAG_KEYS,
        UPSERT_ATTENDEE_TAG,
        DELETE_ATTENDEE_TAG,
        LIST_ATTENDEE_TAGS,
        CASCADE_ATTENDEE_TAGS,
    ];

    /// What SQLite runs for ON DELETE CASCADE when an attendee row is deleted (a statement of
    /// its own only here, so that its plan is checked too).
    const CASCADE_ATTENDEE_TAGS: &str = "DELETE FROM attendee_tags WHERE attendee_seq = ?1";

    /// The plan of `sql`, one line per step (also the event statements' test's).
    pub(crate) fn plan(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        stmt.query_map(rusqlite::params_from_iter(nulls), |row| row.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Every statement finds its rows through an index (or the primary key): a full `SCAN` of a
    /// table would make it cost in proportion to all the data stored. Scanning the `json_each`
    /// of a parameter is fine, and so is sorting the few tags of one meeting or attendee.
    #[test]
    fn no_statement_scans_a_table() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for sql in ALL {
            let details = plan(&conn, sql);
            for detail in &details {
                let allowed = !detail.starts_with("SCAN ") || detail.starts_with("SCAN json_each");
                assert!(allowed, "{sql}\n  plan: {details:?}");
            }
            if sql.contains(" WHERE ") && !sql.starts_with("INSERT") {
                assert!(
                    details.iter().any(|d| d.starts_with("SEARCH ")),
                    "{sql}\n  plan: {details:?}"
                );
            }
        }
    }

    /// A page of attendees is read in one statement: the meeting by its id, then its attendees
    /// in order from the index that leads with the meeting (no sort).
    #[test]
    fn list_attendees_reads_the_meeting_then_its_attendees_in_order() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let details = plan(&conn, LIST_ATTENDEES_OF_MEETING);
        assert!(
            details.iter().all(|d| !d.contains("TEMP B-TREE")),
            "{details:?}"
        );
        assert!(
            details
                .iter()
                .any(|d| d.starts_with("SEARCH a ") && d.contains("seq>?")),
            "{details:?}"
        );
    }

    /// A page of meetings reads the scope's active meetings in order from the partial index:
    /// neither ended meetings nor a sort cost anything.
    #[test]
    fn list_meetings_uses_the_partial_index_in_order() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let details = plan(&conn, LIST_MEETINGS);
        assert!(
            details
                .iter()
                .any(|d| d.contains("meetings_active_by_scope") && d.contains("seq>?")),
            "{details:?}"
        );
        assert!(
            !details.iter().any(|d| d.contains("TEMP B-TREE")),
            "{details:?}"
        );
    }

    /// Counting a scope's active meetings walks the partial index and never reads a table row
    /// (the program has no `Column` step: the seek into the table is deferred and never made).
    #[test]
    fn the_meeting_quota_reads_the_partial_index_only() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let details = plan(&conn, NTH_ACTIVE_MEETING);
        assert!(
            details
                .iter()
                .any(|d| d.contains("meetings_active_by_scope")),
            "{details:?}"
        );
        let mut stmt = conn
            .prepare(&format!("EXPLAIN {NTH_ACTIVE_MEETING}"))
            .unwrap();
        let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
        let opcodes: Vec<String> = stmt
            .query_map(rusqlite::params_from_iter(nulls), |row| row.get(1))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(!opcodes.iter().any(|op| op == "Column"), "{opcodes:?}");
    }

    /// Every statement that finds one attendee searches the index that leads with its meeting
    /// (migration 0004), whatever the number of attendees stored.
    #[test]
    fn attendee_lookups_search_the_meeting_index() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for statement in [
            ATTENDEE_SEQ,
            GET_ATTENDEE,
            GET_ATTENDEE_OF_MEETING,
            DELETE_ATTENDEE,
            UPDATE_CAPABILITIES,
        ] {
            let details = plan(&conn, statement);
            assert!(
                details
                    .iter()
                    .any(|d| d.contains("INDEX attendees_by_meeting_and_id (")),
                "{statement}: {details:?}"
            );
        }
    }

    /// A sweep reads active meetings only, through the index made for each of its reads, in
    /// the order of the index (no sort).
    #[test]
    fn sweeps_read_the_indexes_of_active_meetings() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for (statement, index) in [
            (EXPIRED_IN_SCOPE, "meetings_active_by_scope"),
            (EXPIRED_IDLE, "meetings_idle_clock"),
            (EXPIRED_BY_AGE, "meetings_active_by_age"),
        ] {
            let details = plan(&conn, statement);
            assert!(
                details.iter().any(|d| d.contains(index)),
                "{statement}: {details:?}"
            );
            assert!(
                !details.iter().any(|d| d.contains("TEMP B-TREE")),
                "{statement}: {details:?}"
            );
        }
    }

    #[test]
    fn active_replicas_use_the_partial_index() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let details = plan(&conn, ACTIVE_REPLICAS);
        assert!(
            details
                .iter()
                .any(|d| d.contains("meetings_active_replicas")),
            "{details:?}"
        );
    }
}
