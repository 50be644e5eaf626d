-- 0005: the automatic end of meetings (idle timeout, maximum duration) and why a meeting ended.
--
-- `idle_since_ms` is when the meeting last had no session connected (its creation for a new
-- meeting), NULL while one is; `presence_lease_ms` is until when the signaling plane vouched for
-- a connected session, NULL unless one is. A meeting is idle from
-- coalesce(idle_since_ms, presence_lease_ms): a lease its node stopped renewing counts as idle
-- from its end. `end_reason` is `EndReason::as_str()`, NULL while active.
ALTER TABLE meetings ADD COLUMN idle_since_ms INTEGER;
ALTER TABLE meetings ADD COLUMN presence_lease_ms INTEGER;
ALTER TABLE meetings ADD COLUMN end_reason TEXT;

-- Meetings active before this version never had their presence recorded: their idle clock
-- starts now, so that sessions still connected have a whole idle timeout to be reported.
UPDATE meetings SET idle_since_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
WHERE ended_at_ms IS NULL;

-- Before this version only DeleteMeeting ended meetings, a replica's included or through its
-- primary (then both ended at the same instant).
UPDATE meetings SET end_reason = CASE
        WHEN primary_meeting_id IS NOT NULL AND EXISTS (
            SELECT 1 FROM meetings p
            WHERE p.meeting_id = meetings.primary_meeting_id AND p.ended_at_ms = meetings.ended_at_ms)
        THEN 'primary-ended'
        ELSE 'deleted' END
WHERE ended_at_ms IS NOT NULL;

-- What a sweep reads, in the order deadlines come: active meetings that are not replicas (they
-- never expire on their own) by the instant they are idle from, and by their age. Ended
-- meetings leave both indexes.
CREATE INDEX meetings_idle_clock ON meetings (coalesce(idle_since_ms, presence_lease_ms))
    WHERE ended_at_ms IS NULL AND primary_meeting_id IS NULL;
CREATE INDEX meetings_active_by_age ON meetings (created_at_ms)
    WHERE ended_at_ms IS NULL AND primary_meeting_id IS NULL;
