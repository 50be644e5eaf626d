-- 0006: meeting events and the deliveries they owe (the outbox; see carillon-core's
-- `events::outbox`).
--
-- `events` is the log. Sequence values are taken when a row is inserted but become visible when
-- its transaction commits, so a reader that walked the log by `seq` alone could pass a value a
-- slower transaction commits later. Each row therefore also records the id of the transaction
-- that wrote it (`xid`, 64 bits with its epoch, so it never wraps), and the log is read in
-- (xid, seq) order, up to the oldest transaction still running (src/events.rs says why that
-- never skips a row). `body` is the event's JSON: the EventBridge envelope of a meeting event,
-- the client's own text for a client event.
CREATE TABLE events (
    seq        BIGSERIAL PRIMARY KEY,
    xid        BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    event_id   TEXT   NOT NULL,
    meeting_id TEXT   NOT NULL,
    account_id TEXT   NOT NULL,
    source     TEXT   NOT NULL,  -- EventSource::as_str()
    name       TEXT   NOT NULL,
    at_ms      BIGINT NOT NULL,
    body       TEXT   NOT NULL
);

-- Reading the log.
CREATE INDEX events_by_position ON events (xid, seq);
-- Pruning old events.
CREATE INDEX events_by_time ON events (at_ms);

-- One row per (event, target) still owed; a delivered one is deleted. `target` is
-- `Target::key()`, compared bytewise (COLLATE "C") so that SQL orders and prefixes keys as Rust
-- does. A *stream* is one meeting's deliveries to one target; its head is its oldest row that is
-- not a dead letter. `claim` identifies the lease that holds a row until `lease_until_ms`.
CREATE TABLE event_deliveries (
    target         TEXT COLLATE "C" NOT NULL,
    seq            BIGINT NOT NULL,  -- events.seq; pruning keeps an event that a row names
    meeting_id     TEXT   NOT NULL,
    attempts       INT    NOT NULL DEFAULT 0,
    due_ms         BIGINT NOT NULL,
    lease_until_ms BIGINT,
    claim          BIGINT,
    dead_at_ms     BIGINT,
    last_error     TEXT,
    PRIMARY KEY (target, seq)
);

-- The rows of a stream in order (heads, followers), dead letters left out.
CREATE INDEX event_deliveries_streams ON event_deliveries (target, meeting_id, seq)
    WHERE dead_at_ms IS NULL;
-- Due heads, oldest first: the claim walks the live rows in log order.
CREATE INDEX event_deliveries_live ON event_deliveries (seq) WHERE dead_at_ms IS NULL;
-- Whether an event still owes anything (pruning).
CREATE INDEX event_deliveries_by_seq ON event_deliveries (seq);
-- Dead letters in (seq, target) order, without walking the rows still owed.
CREATE INDEX event_deliveries_dead ON event_deliveries (seq, target)
    WHERE dead_at_ms IS NOT NULL;
-- Leases in force are few: a claim checks that no row of a stream is leased through this.
CREATE INDEX event_deliveries_leased ON event_deliveries (target, meeting_id)
    WHERE lease_until_ms IS NOT NULL;
