-- 0002: attendee tags (legacy TagAttendee / ListAttendeeTags), and listing a scope's meetings
-- (legacy ListMeetings).

-- Tags of undeleted attendees; `seq` orders them by when their key was first set. Deleting an
-- attendee row deletes its tags (foreign keys are on in every writing connection), and ending a
-- meeting deletes its attendee rows, so only live attendees have tags. Attendee keys are never
-- reused (AUTOINCREMENT), so a tag can never pass to a later attendee.
CREATE TABLE attendee_tags (
    seq          INTEGER PRIMARY KEY,
    attendee_seq INTEGER NOT NULL REFERENCES attendees (seq) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    value        TEXT    NOT NULL
);

-- One value per key, and the index the cascade uses to find an attendee's tags.
CREATE UNIQUE INDEX attendee_tags_by_key ON attendee_tags (attendee_seq, key);

-- The active meetings of a scope in creation order: `seq` (never reused) is the list position,
-- and ended meetings leave the index, so a page costs what it returns.
CREATE INDEX meetings_active_by_scope ON meetings (account_id, namespace, seq)
    WHERE ended_at_ms IS NULL;
