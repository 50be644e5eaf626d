//! The statements of the operator's view, reset and import ([`carillon_core::store::admin`]).

/// A meeting's columns as [`crate::rows::meeting_row`] reads them, then its attendee count, idle
/// clock, its tags as a JSON array of `[key, value]` in the order their keys were first set, and
/// its position (columns 17 to 21).
macro_rules! stored_meeting {
    () => {
        concat!(
            "SELECT ",
            meeting_columns!(),
            ", attendee_count, idle_since_ms, presence_lease_ms, \
             (SELECT json_group_array(json_array(t.key, t.value) ORDER BY t.seq) \
              FROM meeting_tags t WHERE t.meeting_seq = meetings.seq), \
             seq FROM meetings "
        )
    };
}

/// `?1` after this position, `?2` account or NULL, `?3` namespace or NULL, `?4`
/// ExternalMeetingId or NULL, `?5` [`MeetingState::code`](carillon_core::store::admin::MeetingState::code),
/// `?6` row limit. Walks meetings in creation order from the position (the primary key), keeping
/// those the filter takes.
pub const ADMIN_MEETINGS: &str = concat!(
    stored_meeting!(),
    "WHERE seq > ?1 AND (?2 IS NULL OR account_id = ?2) AND (?3 IS NULL OR namespace = ?3) \
     AND (?4 IS NULL OR external_meeting_id = ?4) \
     AND (?5 = 0 OR (?5 = 1) = (ended_at_ms IS NULL)) \
     ORDER BY seq LIMIT ?6"
);

/// `?1` meeting id, any scope, active or ended.
pub const ADMIN_MEETING: &str = concat!(stored_meeting!(), "WHERE meeting_id = ?1");

/// `?1` meeting id, `?2` its creation time: how many events the log holds for it, read through
/// `events_by_time` from the meeting's creation on. An index by meeting would answer directly,
/// but every recorded event would pay for it: it cost CreateAttendee with events logged about a
/// quarter of its throughput (BENCHMARKS.md, "A meeting's events, counted"). A client event
/// the client dated before the meeting's creation is not counted.
pub const MEETING_EVENT_COUNT: &str =
    "SELECT count(*) FROM events WHERE at_ms >= ?2 AND meeting_id = ?1";

/// `?1` meeting seq, `?2` after this position, `?3` row limit: the attendee columns, the
/// attendee's tags as a JSON array of `[key, value]`, its position.
pub const ADMIN_ATTENDEES: &str = concat!(
    "SELECT ",
    attendee_columns!(),
    ", (SELECT json_group_array(json_array(t.key, t.value) ORDER BY t.seq) \
       FROM attendee_tags t WHERE t.attendee_seq = attendees.seq), \
     seq FROM attendees WHERE meeting_seq = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
);

/// A row when the store holds any meeting.
pub const ANY_MEETING: &str = "SELECT 1 FROM meetings WHERE seq > 0 LIMIT 1";

/// What a reset deletes, children first (the deliveries' reference to their events has no
/// cascade). Each reads its whole table: that is the point.
pub const RESET: &[&str] = &[
    "DELETE FROM event_deliveries",
    "DELETE FROM events",
    "DELETE FROM attendee_tags",
    "DELETE FROM attendees",
    "DELETE FROM meeting_tags",
    "DELETE FROM meetings",
];

/// A meeting as exported: `?1`..`?17` its columns, `?18` max attendees, `?19` idle since, `?20`
/// presence lease. No row when its id or its ClientRequestToken is already held.
pub const IMPORT_MEETING: &str = concat!(
    "INSERT INTO meetings (",
    meeting_columns!(),
    ", max_attendees, idle_since_ms, presence_lease_ms) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
     ?19, ?20) ON CONFLICT DO NOTHING"
);

/// `?1` meeting id, any scope: what an imported attendee's meeting must be.
pub const IMPORT_ATTENDEE_MEETING: &str =
    "SELECT seq, max_attendees, attendee_count, ended_at_ms FROM meetings WHERE meeting_id = ?1";

/// As [`crate::sql::INSERT_ATTENDEE`], doing nothing when the meeting already has an attendee
/// with this AttendeeId or this ExternalUserId.
pub const IMPORT_ATTENDEE: &str = "INSERT INTO attendees \
     (meeting_seq, attendee_id, external_user_id, join_token, capabilities) \
     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::tests::plan;

    /// Every statement of the operator's view finds its rows through an index or the primary
    /// key; only a reset reads whole tables.
    #[test]
    fn admin_statements_use_their_indexes() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for (sql, index) in [
            (ADMIN_MEETINGS, "INTEGER PRIMARY KEY (rowid>?)"),
            (ADMIN_MEETING, "meetings_by_id"),
            (MEETING_EVENT_COUNT, "events_by_time (at_ms>?)"),
            (ADMIN_ATTENDEES, "attendees_by_position"),
            (ANY_MEETING, "INTEGER PRIMARY KEY"),
            (IMPORT_ATTENDEE_MEETING, "meetings_by_id"),
        ] {
            let details = plan(&conn, sql);
            assert!(
                details.iter().any(|d| d.contains(index)),
                "{sql}\n  plan: {details:?}"
            );
            for detail in &details {
                assert!(!detail.starts_with("SCAN "), "{sql}\n  plan: {details:?}");
                // Sorting one meeting's or attendee's few tags is fine; sorting rows is not.
                let sorts_tags = detail.contains("TEMP B-TREE FOR json_group_array");
                assert!(
                    !detail.contains("TEMP B-TREE") || sorts_tags,
                    "{sql}\n  plan: {details:?}"
                );
            }
        }
        // The tags' subqueries search their owner's index.
        for sql in [ADMIN_MEETINGS, ADMIN_ATTENDEES] {
            let details = plan(&conn, sql);
            assert!(
                details.iter().any(|d| d.contains("_tags_by_key")),
                "{sql}\n  plan: {details:?}"
            );
        }
        for sql in RESET.iter().chain([&IMPORT_MEETING, &IMPORT_ATTENDEE]) {
            conn.prepare(sql).unwrap();
        }
    }
}
