-- 0002: API rate quotas shared by every node (a generic cell rate algorithm, as the in-process
-- quotas of a single node; see carillon-api's quota module).
--
-- One row per bucket: its next free time in microseconds of the database's clock, so that nodes
-- whose clocks disagree still share one timeline.

CREATE TABLE rate_buckets (
    bucket       TEXT   PRIMARY KEY,  -- "<account>/<namespace>/<bucket>"
    next_free_us BIGINT NOT NULL
);

-- Admits one request against every bucket of `buckets` at once, or against none: bucket i costs
-- `interval_us[i]` per request and admits while its next free time is at most `tolerance_us[i]`
-- ahead of now. Returns NULL when admitted (every bucket advanced), else for each bucket the
-- wait in microseconds until it would admit (0 for one that would admit now); then nothing is
-- taken. Rows are locked in key order, so two requests never wait on each other crosswise.
CREATE FUNCTION carillon_take_rate(buckets TEXT[], interval_us BIGINT[], tolerance_us BIGINT[])
RETURNS BIGINT[] LANGUAGE plpgsql AS $$
DECLARE
    now_us  BIGINT := (extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT;
    tats    BIGINT[] := '{}';
    waits   BIGINT[] := '{}';
    refused BOOLEAN  := false;
    tat     BIGINT;
BEGIN
    -- Quota state need not wait for its WAL flush: losing its last instants in a database crash
    -- only lets a few requests through early, and admission stays one quick round trip.
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO rate_buckets (bucket, next_free_us)
        SELECT b, 0 FROM unnest(buckets) AS b
        ON CONFLICT (bucket) DO NOTHING;
    PERFORM 1 FROM rate_buckets WHERE bucket = ANY (buckets) ORDER BY bucket FOR UPDATE;
    FOR i IN 1 .. cardinality(buckets) LOOP
        SELECT greatest(next_free_us, now_us) INTO tat FROM rate_buckets WHERE bucket = buckets[i];
        tats := tats || tat;
        IF tat - now_us <= tolerance_us[i] THEN
            waits := waits || 0::BIGINT;
        ELSE
            waits := waits || (tat - tolerance_us[i] - now_us);
            refused := true;
        END IF;
    END LOOP;
    IF refused THEN
        RETURN waits;
    END IF;
    FOR i IN 1 .. cardinality(buckets) LOOP
        UPDATE rate_buckets SET next_free_us = tats[i] + interval_us[i] WHERE bucket = buckets[i];
    END LOOP;
    RETURN NULL;
END
$$;
