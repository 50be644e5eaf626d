-- 0006: meeting events and the outbox (carillon_core::events::outbox).
--
-- `events` is the log: every event recorded, in commit order (the one writer commits in `seq`
-- order, and AUTOINCREMENT never reuses a `seq`, so a reader's position never sees an older
-- event appear behind it). `source` is `EventSource::as_str()`, `body` the envelope's JSON (or
-- the client's event), `at_ms` when it happened.
CREATE TABLE events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   TEXT    NOT NULL,
    meeting_id TEXT    NOT NULL,
    account_id TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    body       TEXT    NOT NULL
);

-- Pruning takes the oldest events first.
CREATE INDEX events_by_time ON events (at_ms);

-- One row per (event, target) still owed: deleted once delivered, kept with `dead_at_ms` as a
-- dead letter once given up on. A stream is one meeting's deliveries to one target. `claim` and
-- `lease_until_ms` are set while a worker holds the delivery, NULL otherwise. An event is never
-- deleted while it owes a delivery (the reference has no cascade: such a delete fails). The key
-- leads with the event, so that it also answers whether an event owes anything (pruning, and the
-- reference's check) without an index of its own to write with every delivery.
CREATE TABLE event_deliveries (
    target         TEXT    NOT NULL,  -- Target::key()
    seq            INTEGER NOT NULL REFERENCES events (seq),
    meeting_id     TEXT    NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    due_ms         INTEGER NOT NULL,
    lease_until_ms INTEGER,
    claim          INTEGER,
    dead_at_ms     INTEGER,
    last_error     TEXT,
    PRIMARY KEY (seq, target)
) WITHOUT ROWID;

-- Each stream's undelivered deliveries in order: whether a delivery is its stream's head (none
-- earlier), and its followers.
CREATE INDEX event_deliveries_by_stream ON event_deliveries (target, meeting_id, seq)
    WHERE dead_at_ms IS NULL;

-- The deliveries that can be due, by when.
CREATE INDEX event_deliveries_due ON event_deliveries (due_ms) WHERE dead_at_ms IS NULL;

-- Dead letters in the order they are listed, (seq, target).
CREATE INDEX event_deliveries_dead ON event_deliveries (seq, target)
    WHERE dead_at_ms IS NOT NULL;
