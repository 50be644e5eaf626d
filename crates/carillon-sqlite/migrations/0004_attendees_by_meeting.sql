-- 0004: attendees are found by (meeting, AttendeeId), so that a meeting's attendees share the
-- pages of their index.
--
-- Every lookup of an attendee names its meeting (`sql.rs`). Keyed by the AttendeeId alone, a
-- random GUID, each new attendee landed on a random page of the index: a batch of 100 wrote about
-- 100 index pages to the WAL, and on a large store those pages were rarely in the writer's cache.
-- Keyed by meeting first, a batch's attendees fall on the few pages of their meeting.
--
-- An AttendeeId is now unique within its meeting rather than across the store; AttendeeIds are
-- random version 4 GUIDs (122 random bits), so two meetings never draw the same one in practice,
-- and a lookup under the wrong meeting finds nothing either way.

DROP INDEX attendees_by_id;
CREATE UNIQUE INDEX attendees_by_meeting_and_id ON attendees (meeting_seq, attendee_id);
