//! The statements of the operator's view, reset and import ([`carillon_core::store::admin`]).

/// A meeting's columns as [`crate::rows::meeting`] reads them, then its attendee count, idle
/// clock, its tags as a JSON array of `[key, value]` in the order their keys were first set, and
/// its position (columns 17 to 21).
macro_rules! stored_meeting {
    () => {
        concat!(
            "SELECT ",
            meeting_columns!(),
            ", attendee_count, idle_since_ms, presence_lease_ms, \
             (SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.seq) \
              FROM meeting_tags t WHERE t.meeting_seq = meetings.seq)::text, \
             seq FROM meetings "
        )
    };
}

/// `$1` after this position, `$2` row limit: meetings in creation order, through the primary
/// key. A filter is applied to these windows by the caller: one statement whose plan must serve
/// every combination of filters would be planned once for all (a prepared statement's generic
/// plan) and then sort the whole table.
pub const ADMIN_MEETINGS: &str = concat!(stored_meeting!(), "WHERE seq > $1 ORDER BY seq LIMIT $2");

/// `$1` meeting id, any scope, active or ended.
pub const ADMIN_MEETING: &str = concat!(stored_meeting!(), "WHERE meeting_id = $1");

/// `$1` meeting id, `$2` its creation time: how many events the log holds for it, read through
/// `events_by_time` from the meeting's creation on (see the embedded store's statement for why
/// there is no index by meeting).
pub const MEETING_EVENT_COUNT: &str =
    "SELECT count(*) FROM events WHERE at_ms >= $2 AND meeting_id = $1";

/// `$1` meeting seq, `$2` after this position, `$3` row limit: the attendee columns, the
/// attendee's tags as a JSON array of `[key, value]`, its position.
pub const ADMIN_ATTENDEES: &str = concat!(
    "SELECT ",
    attendee_columns!(),
    ", (SELECT json_agg(json_build_array(t.key, t.value) ORDER BY t.seq) \
       FROM attendee_tags t WHERE t.attendee_seq = attendees.seq)::text, \
     seq FROM attendees WHERE meeting_seq = $1 AND seq > $2 ORDER BY seq LIMIT $3"
);

/// A row when the store holds any meeting.
pub const ANY_MEETING: &str = "SELECT 1 FROM meetings LIMIT 1";

/// What a reset empties, the per-account rate buckets included; one statement, so every table
/// is emptied at once for every other transaction.
pub const RESET: &str = "TRUNCATE event_deliveries, events, attendee_tags, attendees, \
     meeting_tags, meetings, rate_buckets";

/// A meeting as exported: `$1`..`$17` its columns, `$18` max attendees, `$19` idle since, `$20`
/// presence lease. No row when its id or its ClientRequestToken is already held.
pub const IMPORT_MEETING: &str = concat!(
    "INSERT INTO meetings (",
    meeting_columns!(),
    ", max_attendees, idle_since_ms, presence_lease_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
     $19, $20) ON CONFLICT DO NOTHING RETURNING seq"
);

/// `$1` meeting id, any scope: what an imported attendee's meeting must be. Locks it, as every
/// write to a meeting's attendees does.
pub const IMPORT_ATTENDEE_MEETING: &str =
    "SELECT seq, max_attendees, attendee_count, ended_at_ms FROM meetings WHERE meeting_id = $1 \
     FOR UPDATE";

/// `$1` meeting seq, `$2` AttendeeId, `$3` ExternalUserId, `$4` JoinToken, `$5` capabilities
/// JSON or NULL. No row when the meeting already has an attendee with this AttendeeId or
/// ExternalUserId.
pub const IMPORT_ATTENDEE: &str = "INSERT INTO attendees \
     (meeting_seq, attendee_id, external_user_id, join_token, capabilities) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING seq";
