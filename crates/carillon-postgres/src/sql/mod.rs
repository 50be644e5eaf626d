//! Every statement the store runs, in one place. `$1` meeting id, `$2` account, `$3` namespace
//! unless noted.

/// The meeting columns [`crate::rows::meeting`] reads, in order.
macro_rules! meeting_columns {
    () => {
        "meeting_id, account_id, namespace, control_region, client_request_token, media_region, \
         external_meeting_id, meeting_host_id, primary_meeting_id, tenant_ids, features, \
         notifications, media_placement_network_type, transcription, created_at_ms, ended_at_ms, \
         end_reason"
    };
}

/// The attendee columns [`crate::rows::attendee`] reads, in order (from `$first`).
macro_rules! attendee_columns {
    () => {
        "attendee_id, external_user_id, join_token, capabilities"
    };
}

pub mod admin;
mod events;
pub use events::*;

// Meetings.

/// Locks the active meeting's row until the transaction ends: every write to a meeting's
/// attendees, tags or state takes this lock first, so the attendee cap and the count hold.
pub const LOCK_ACTIVE_MEETING: &str =
    "SELECT seq, max_attendees, attendee_count, primary_meeting_id FROM meetings \
     WHERE meeting_id = $1 AND account_id = $2 AND namespace = $3 AND ended_at_ms IS NULL \
     FOR UPDATE";

/// [`LOCK_ACTIVE_MEETING`] with the meeting's columns after its own (from column 4): what a
/// write that records events reads instead.
pub const LOCK_ACTIVE_MEETING_RECORD: &str = concat!(
    "SELECT seq, max_attendees, attendee_count, primary_meeting_id, ",
    meeting_columns!(),
    " FROM meetings \
     WHERE meeting_id = $1 AND account_id = $2 AND namespace = $3 AND ended_at_ms IS NULL \
     FOR UPDATE"
);

/// `$1` meeting ids, in any scope, active or ended.
pub const MEETINGS_BY_ID: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings WHERE meeting_id = ANY ($1)"
);

pub const ACTIVE_MEETING: &str = "SELECT seq FROM meetings \
     WHERE meeting_id = $1 AND account_id = $2 AND namespace = $3 AND ended_at_ms IS NULL";

pub const GET_MEETING: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings \
     WHERE meeting_id = $1 AND account_id = $2 AND namespace = $3 AND ended_at_ms IS NULL"
);

/// `$1` account, `$2` namespace, `$3` ClientRequestToken.
pub const MEETING_BY_TOKEN: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    " FROM meetings WHERE account_id = $1 AND namespace = $2 AND client_request_token = $3"
);

/// Serialises the meeting creations of one scope (`$1`: "account/namespace") until the
/// transaction ends.
pub const LOCK_SCOPE: &str = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";

/// `$18` max attendees. No row when another transaction already took the ClientRequestToken.
/// The idle clock starts at creation (`$15`).
pub const INSERT_MEETING: &str = concat!(
    "INSERT INTO meetings (",
    meeting_columns!(),
    ", max_attendees, idle_since_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $15) \
     ON CONFLICT (account_id, namespace, client_request_token) DO NOTHING \
     RETURNING seq"
);

/// The scope of a meeting as the partial index `meetings_active_by_scope` has it (migration
/// 0003): `$1` account, `$2` namespace. Neither contains a `/`.
macro_rules! active_in_scope {
    () => {
        "account_id || '/' || namespace = $1 || '/' || $2 AND ended_at_ms IS NULL"
    };
}

/// `$1` account, `$2` namespace, `$3` list after this position, `$4` row limit. The position is
/// the last column.
pub const LIST_MEETINGS: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", seq FROM meetings WHERE ",
    active_in_scope!(),
    " AND seq > $3 ORDER BY seq LIMIT $4"
);

/// `$1` account, `$2` namespace, `$3` the quota. At most `$3` steps through the partial index.
pub const COUNT_ACTIVE_UP_TO: &str = concat!(
    "SELECT count(*) FROM (SELECT 1 FROM meetings WHERE ",
    active_in_scope!(),
    " LIMIT $3) AS active"
);

/// `$1` primary meeting id. Locks the replicas' rows.
pub const LOCK_ACTIVE_REPLICAS: &str = "SELECT seq, meeting_id FROM meetings \
     WHERE primary_meeting_id = $1 AND ended_at_ms IS NULL ORDER BY seq FOR UPDATE";

/// `$1` meeting seq, `$2` end time, `$3` end reason.
pub const END_MEETING: &str =
    "UPDATE meetings SET ended_at_ms = $2, attendee_count = 0, end_reason = $3 WHERE seq = $1";

/// [`END_MEETING`] returning the meeting as ended, for its event.
pub const END_MEETING_RETURNING: &str = concat!(
    "UPDATE meetings SET ended_at_ms = $2, attendee_count = 0, end_reason = $3 WHERE seq = $1 \
     RETURNING ",
    meeting_columns!()
);

// The lifecycle.

/// `$1` meeting ids, in any scope: the keys of those that are not replicas (whose presence
/// nothing reads). Only the id narrows it, so that it probes `meetings_by_id` even where the
/// planner has no statistics (the partial indexes of active meetings then look empty).
pub const PRIMARIES_BY_ID: &str =
    "SELECT seq FROM meetings WHERE meeting_id = ANY ($1) AND primary_meeting_id IS NULL";

/// `$1` meeting keys: their ids, presence and whether they are active, locked in key order so
/// that two batches never wait on each other crosswise. A sweep waits only for replicas' rows,
/// which this never locks. (Whether a meeting is active is read, not a condition, so that the
/// key alone narrows the statement; see [`PRIMARIES_BY_ID`].)
pub const LOCK_PRESENCE: &str =
    "SELECT seq, meeting_id, idle_since_ms, presence_lease_ms, ended_at_ms IS NULL \
     FROM meetings WHERE seq = ANY ($1) ORDER BY seq FOR UPDATE";

/// `$1` meeting keys, `$2` idle since, `$3` leases, one element per meeting.
pub const SET_PRESENCE: &str = "UPDATE meetings m \
     SET idle_since_ms = u.idle_since_ms, presence_lease_ms = u.lease \
     FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u (seq, idle_since_ms, lease) \
     WHERE m.seq = u.seq";

/// The columns [`crate::lifecycle`] reads for a sweep, in order. Rows another sweep holds are
/// skipped rather than waited for: that sweep ends them.
macro_rules! sweep {
    ($condition:expr, $order:expr) => {
        concat!(
            "SELECT seq, meeting_id, account_id, namespace, max_attendees, attendee_count, \
             created_at_ms, idle_since_ms, presence_lease_ms FROM meetings \
             WHERE ended_at_ms IS NULL AND primary_meeting_id IS NULL AND ",
            $condition,
            " ORDER BY ",
            $order,
            " FOR UPDATE SKIP LOCKED"
        )
    };
}

/// `$1` account, `$2` namespace, `$3` idle cutoff, `$4` age cutoff (either NULL: off), `$5` row
/// limit: the scope's expired meetings, through its index of active meetings.
pub const EXPIRED_IN_SCOPE: &str = sweep!(
    concat!(
        active_in_scope!(),
        " AND (coalesce(idle_since_ms, presence_lease_ms) <= $3 OR created_at_ms <= $4)"
    ),
    "seq LIMIT $5"
);

/// `$1` idle cutoff, `$2` the accounts left out, `$3` row limit: idle the longest first.
pub const EXPIRED_IDLE: &str = sweep!(
    "coalesce(idle_since_ms, presence_lease_ms) <= $1 AND account_id <> ALL ($2)",
    "coalesce(idle_since_ms, presence_lease_ms) LIMIT $3"
);

/// `$1` age cutoff, `$2` the accounts left out, `$3` row limit: oldest first.
pub const EXPIRED_BY_AGE: &str = sweep!(
    "created_at_ms <= $1 AND account_id <> ALL ($2)",
    "created_at_ms LIMIT $3"
);

/// `$4` transcription JSON or NULL.
pub const SET_TRANSCRIPTION: &str = "UPDATE meetings SET transcription = $4 \
     WHERE meeting_id = $1 AND account_id = $2 AND namespace = $3 AND ended_at_ms IS NULL";

/// [`SET_TRANSCRIPTION`] returning the meeting as changed and, last, the configuration that ran
/// before (read under the row's lock, so that two concurrent changes each see the other's).
pub const SET_TRANSCRIPTION_RETURNING: &str = concat!(
    "WITH running AS (SELECT seq AS running_seq, transcription AS running FROM meetings \
         WHERE meeting_id = $1 AND account_id = $2 AND namespace = $3 AND ended_at_ms IS NULL \
         FOR UPDATE) \
     UPDATE meetings SET transcription = $4 FROM running WHERE seq = running_seq \
     RETURNING ",
    meeting_columns!(),
    ", running"
);

/// `$1` meeting seq, `$2` the new count.
pub const SET_ATTENDEE_COUNT: &str = "UPDATE meetings SET attendee_count = $2 WHERE seq = $1";

// Attendees. `$1` meeting seq unless noted.

/// `$2` AttendeeIds, `$3` ExternalUserIds, `$4` JoinTokens, `$5` capabilities JSON or NULL,
/// one element per attendee: inserts them in that order (so their positions grow in that order),
/// skipping any whose ExternalUserId the meeting already has (an earlier element included), and
/// adds the number inserted to the meeting's count. Returns the inserted ones' keys and
/// ExternalUserIds.
pub const INSERT_ATTENDEES: &str = "WITH inserted AS ( \
         INSERT INTO attendees \
         (meeting_seq, attendee_id, external_user_id, join_token, capabilities) \
         SELECT $1, a, u, j, c \
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) \
             WITH ORDINALITY AS t (a, u, j, c, n) \
         ORDER BY n \
         ON CONFLICT (meeting_seq, external_user_id) DO NOTHING \
         RETURNING seq, external_user_id), \
     counted AS ( \
         UPDATE meetings SET attendee_count = attendee_count + (SELECT count(*) FROM inserted) \
         WHERE seq = $1) \
     SELECT seq, external_user_id FROM inserted";

/// `$2` ExternalUserIds.
pub const ATTENDEES_BY_USER: &str = concat!(
    "SELECT ",
    attendee_columns!(),
    " FROM attendees WHERE meeting_seq = $1 AND external_user_id = ANY ($2)"
);

/// `$2` ExternalUserId.
pub const ATTENDEE_BY_USER: &str = concat!(
    "SELECT ",
    attendee_columns!(),
    " FROM attendees WHERE meeting_seq = $1 AND external_user_id = $2"
);

/// `$2` AttendeeId. The attendee's key, which its tags reference.
pub const ATTENDEE_SEQ: &str =
    "SELECT seq FROM attendees WHERE attendee_id = $2 AND meeting_seq = $1";

/// `$1` meeting id, `$2` AttendeeId: the meeting in any scope, active or ended, with its
/// attendee's columns after its own (NULL when it has no such attendee).
pub const JOIN_LOOKUP: &str = concat!(
    "SELECT ",
    meeting_columns!(),
    ", a.attendee_id, a.external_user_id, a.join_token, a.capabilities \
     FROM meetings m LEFT JOIN attendees a ON a.meeting_seq = m.seq AND a.attendee_id = $2 \
     WHERE m.meeting_id = $1"
);

/// Meeting as in GET_MEETING, `$4` AttendeeId: one row when the meeting is active, with the
/// attendee's columns NULL when it has no such attendee. One round trip, one snapshot.
pub const GET_ATTENDEE: &str = "SELECT a.attendee_id, a.external_user_id, a.join_token, \
     a.capabilities FROM meetings m \
     LEFT JOIN attendees a ON a.meeting_seq = m.seq AND a.attendee_id = $4 \
     WHERE m.meeting_id = $1 AND m.account_id = $2 AND m.namespace = $3 \
     AND m.ended_at_ms IS NULL";

/// Meeting as in GET_MEETING, `$4` list after this position, `$5` row limit: one row per
/// attendee (position last), or one row of NULLs when the active meeting has none left.
pub const LIST_ATTENDEES: &str = "SELECT a.attendee_id, a.external_user_id, a.join_token, \
     a.capabilities, a.seq FROM meetings m \
     LEFT JOIN LATERAL (SELECT * FROM attendees \
         WHERE meeting_seq = m.seq AND seq > $4 ORDER BY seq LIMIT $5) a ON true \
     WHERE m.meeting_id = $1 AND m.account_id = $2 AND m.namespace = $3 \
     AND m.ended_at_ms IS NULL ORDER BY a.seq";

/// `$2` AttendeeId. Returns the attendee as it was (its event names its ExternalUserId).
pub const DELETE_ATTENDEE: &str = concat!(
    "DELETE FROM attendees WHERE attendee_id = $2 AND meeting_seq = $1 RETURNING ",
    attendee_columns!()
);

/// Their tags go with them (ON DELETE CASCADE).
pub const DELETE_MEETING_ATTENDEES: &str = "DELETE FROM attendees WHERE meeting_seq = $1";

/// `$2` AttendeeId, `$3` capabilities JSON.
pub const UPDATE_CAPABILITIES: &str = concat!(
    "UPDATE attendees SET capabilities = $3 WHERE attendee_id = $2 AND meeting_seq = $1 \
     RETURNING ",
    attendee_columns!()
);

/// `$2` capabilities JSON, `$3` the excluded AttendeeIds.
pub const UPDATE_CAPABILITIES_EXCEPT: &str = "UPDATE attendees SET capabilities = $2 \
     WHERE meeting_seq = $1 AND attendee_id <> ALL ($3)";

/// [`UPDATE_CAPABILITIES_EXCEPT`] returning the attendees as updated, their position last.
pub const UPDATE_CAPABILITIES_EXCEPT_RETURNING: &str = concat!(
    "UPDATE attendees SET capabilities = $2 \
     WHERE meeting_seq = $1 AND attendee_id <> ALL ($3) RETURNING ",
    attendee_columns!(),
    ", seq"
);

// Meeting tags. `$1` meeting seq.

pub const TAG_KEYS: &str = "SELECT key FROM meeting_tags WHERE meeting_seq = $1";

/// `$2` key, `$3` value. An existing key keeps its place.
pub const UPSERT_TAG: &str =
    "INSERT INTO meeting_tags (meeting_seq, key, value) VALUES ($1, $2, $3) \
     ON CONFLICT (meeting_seq, key) DO UPDATE SET value = excluded.value";

/// `$2` keys.
pub const DELETE_TAGS: &str = "DELETE FROM meeting_tags WHERE meeting_seq = $1 AND key = ANY ($2)";

pub const DELETE_MEETING_TAGS: &str = "DELETE FROM meeting_tags WHERE meeting_seq = $1";

pub const LIST_TAGS: &str =
    "SELECT key, value FROM meeting_tags WHERE meeting_seq = $1 ORDER BY seq";

// Attendee tags, the same statements. `$1` attendee seq.

pub const ATTENDEE_TAG_KEYS: &str = "SELECT key FROM attendee_tags WHERE attendee_seq = $1";

pub const UPSERT_ATTENDEE_TAG: &str =
    "INSERT INTO attendee_tags (attendee_seq, key, value) VALUES ($1, $2, $3) \
     ON CONFLICT (attendee_seq, key) DO UPDATE SET value = excluded.value";

pub const DELETE_ATTENDEE_TAGS: &str =
    "DELETE FROM attendee_tags WHERE attendee_seq = $1 AND key = ANY ($2)";

pub const LIST_ATTENDEE_TAGS: &str =
    "SELECT key, value FROM attendee_tags WHERE attendee_seq = $1 ORDER BY seq";

// Rate quotas.

/// `$1` bucket keys, `$2` intervals, `$3` tolerances (microseconds); see migration 0002.
pub const TAKE_RATE: &str = "SELECT carillon_take_rate($1, $2, $3)";
