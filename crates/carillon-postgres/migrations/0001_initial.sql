-- 0001: meetings, attendees, their tags.
--
-- The same shape as the embedded store's schema. Every table has a BIGINT key (`seq`) from an
-- identity that never hands out a value twice, so rows reference each other by it with
-- ON DELETE CASCADE. Timestamps are unix milliseconds; struct-valued members are JSON text.
--
-- Positions: attendees are inserted while their meeting's row is locked (SELECT ... FOR UPDATE),
-- and the meetings of a scope are created while the scope's advisory lock is held when their
-- order matters (see src/meetings.rs), so `seq` grows in commit order where a listing pages by it.

CREATE TABLE meetings (
    seq                          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_id                   TEXT   NOT NULL,
    account_id                   TEXT   NOT NULL,
    namespace                    TEXT   NOT NULL,  -- Namespace::as_str()
    control_region               TEXT   NOT NULL,
    client_request_token         TEXT   NOT NULL,
    media_region                 TEXT   NOT NULL,
    external_meeting_id          TEXT,
    meeting_host_id              TEXT,
    primary_meeting_id           TEXT,
    tenant_ids                   TEXT   NOT NULL,  -- JSON array of strings
    features                     TEXT,             -- JSON MeetingFeatures
    notifications                TEXT,             -- JSON NotificationsConfiguration
    media_placement_network_type TEXT,
    transcription                TEXT,             -- JSON TranscriptionConfiguration
    created_at_ms                BIGINT NOT NULL,
    ended_at_ms                  BIGINT,           -- NULL while active
    max_attendees                BIGINT NOT NULL,  -- MeetingRecord::max_attendees(), never changes
    attendee_count               BIGINT NOT NULL DEFAULT 0  -- undeleted attendees
);

-- Meeting ids are globally unique GUIDs; the scope is checked on every lookup.
CREATE UNIQUE INDEX meetings_by_id ON meetings (meeting_id);

-- One meeting per (scope, ClientRequestToken), ended or not.
CREATE UNIQUE INDEX meetings_by_token ON meetings (account_id, namespace, client_request_token);

-- The active replicas of a primary.
CREATE INDEX meetings_active_replicas ON meetings (primary_meeting_id)
    WHERE primary_meeting_id IS NOT NULL AND ended_at_ms IS NULL;

-- The active meetings of a scope in creation order (legacy ListMeetings, the meeting quota).
CREATE INDEX meetings_active_by_scope ON meetings (account_id, namespace, seq)
    WHERE ended_at_ms IS NULL;

-- Undeleted attendees only: deleting an attendee deletes its row, so `seq` is the list position
-- and the unique index on (meeting_seq, external_user_id) is the one-attendee-per-ExternalUserId
-- rule.
CREATE TABLE attendees (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_seq      BIGINT NOT NULL REFERENCES meetings (seq) ON DELETE CASCADE,
    attendee_id      TEXT   NOT NULL,
    external_user_id TEXT   NOT NULL,
    join_token       TEXT   NOT NULL,
    capabilities     TEXT              -- JSON AttendeeCapabilities; NULL in the legacy namespace
);

CREATE UNIQUE INDEX attendees_by_id ON attendees (attendee_id);
CREATE UNIQUE INDEX attendees_by_user ON attendees (meeting_seq, external_user_id);
CREATE INDEX attendees_by_position ON attendees (meeting_seq, seq);

-- Tags of active meetings and of undeleted attendees; `seq` orders them by when their key was
-- first set.
CREATE TABLE meeting_tags (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    meeting_seq BIGINT NOT NULL REFERENCES meetings (seq) ON DELETE CASCADE,
    key         TEXT   NOT NULL,
    value       TEXT   NOT NULL
);

CREATE UNIQUE INDEX meeting_tags_by_key ON meeting_tags (meeting_seq, key);

CREATE TABLE attendee_tags (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attendee_seq BIGINT NOT NULL REFERENCES attendees (seq) ON DELETE CASCADE,
    key          TEXT   NOT NULL,
    value        TEXT   NOT NULL
);

CREATE UNIQUE INDEX attendee_tags_by_key ON attendee_tags (attendee_seq, key);
