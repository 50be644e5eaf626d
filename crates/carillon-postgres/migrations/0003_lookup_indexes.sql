-- 0003: indexes that a lookup by meeting id cannot take for its own.
--
-- Lookups by meeting id also name the scope (meeting_id = $1 AND account_id = $2 AND
-- namespace = $3). Without fresh statistics (a new database, autovacuum off) the planner took
-- the indexes that lead with (account_id, namespace) for those lookups: a walk through every
-- meeting of the account instead of one probe of meetings_by_id. Leading the token index with
-- the token, and the scope index with one expression, leaves those lookups meetings_by_id alone.

DROP INDEX meetings_by_token;
CREATE UNIQUE INDEX meetings_by_token ON meetings (client_request_token, account_id, namespace);

DROP INDEX meetings_active_by_scope;
CREATE INDEX meetings_active_by_scope ON meetings ((account_id || '/' || namespace), seq)
    WHERE ended_at_ms IS NULL;
