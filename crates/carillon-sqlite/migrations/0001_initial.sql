-- 0001: meetings, their attendees and their tags.
--
-- Every table has an integer key (`seq`) that never changes; the meeting and attendee keys are
-- never reused (AUTOINCREMENT), so later tables can reference rows by them with ON DELETE CASCADE
-- (attendee tags, for one, fit as `attendee_tags (attendee_seq REFERENCES attendees (seq))`).
-- The namespace column already holds both `meetings` and `legacy`; legacy-only members can be
-- added as nullable columns. Timestamps are unix milliseconds; struct-valued members are JSON text.

CREATE TABLE meetings (
    seq                          INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_id                   TEXT    NOT NULL,
    account_id                   TEXT    NOT NULL,
    namespace                    TEXT    NOT NULL,  -- Namespace::as_str()
    control_region               TEXT    NOT NULL,
    client_request_token         TEXT    NOT NULL,
    media_region                 TEXT    NOT NULL,
    external_meeting_id          TEXT,
    meeting_host_id              TEXT,
    primary_meeting_id           TEXT,
    tenant_ids                   TEXT    NOT NULL,  -- JSON array of strings
    features                     TEXT,              -- JSON MeetingFeatures
    notifications                TEXT,              -- JSON NotificationsConfiguration
    media_placement_network_type TEXT,
    transcription                TEXT,              -- JSON TranscriptionConfiguration
    max_attendees                INTEGER NOT NULL,  -- MeetingRecord::max_attendees(), never changes
    attendee_count               INTEGER NOT NULL DEFAULT 0,  -- undeleted attendees
    created_at_ms                INTEGER NOT NULL,
    ended_at_ms                  INTEGER            -- NULL while active
);

-- Meeting ids are globally unique GUIDs; the scope is checked on every lookup.
CREATE UNIQUE INDEX meetings_by_id ON meetings (meeting_id);

-- One meeting per (scope, ClientRequestToken), ended or not.
CREATE UNIQUE INDEX meetings_by_token ON meetings (account_id, namespace, client_request_token);

-- The active replicas of a primary (counted at replica creation, ended with the primary).
CREATE INDEX meetings_active_replicas ON meetings (primary_meeting_id)
    WHERE primary_meeting_id IS NOT NULL AND ended_at_ms IS NULL;

-- Undeleted attendees only: deleting an attendee deletes its row, so `seq` (never reused) is the
-- list position and the unique index below is the one-attendee-per-ExternalUserId rule.
CREATE TABLE attendees (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_seq      INTEGER NOT NULL REFERENCES meetings (seq) ON DELETE CASCADE,
    attendee_id      TEXT    NOT NULL,
    external_user_id TEXT    NOT NULL,
    join_token       TEXT    NOT NULL,
    capabilities     TEXT               -- JSON AttendeeCapabilities; NULL in the legacy namespace
);

CREATE UNIQUE INDEX attendees_by_id ON attendees (attendee_id);
CREATE UNIQUE INDEX attendees_by_user ON attendees (meeting_seq, external_user_id);
CREATE INDEX attendees_by_position ON attendees (meeting_seq, seq);

-- Tags of active meetings; `seq` orders them by when their key was first set.
CREATE TABLE meeting_tags (
    seq         INTEGER PRIMARY KEY,
    meeting_seq INTEGER NOT NULL REFERENCES meetings (seq) ON DELETE CASCADE,
    key         TEXT    NOT NULL,
    value       TEXT    NOT NULL
);

CREATE UNIQUE INDEX meeting_tags_by_key ON meeting_tags (meeting_seq, key);
