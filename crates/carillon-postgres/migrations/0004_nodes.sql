-- The live nodes of the cluster, for the signaling plane: each node records a heartbeat every
-- second or so; a node not heard from within a few seconds is taken as gone.
CREATE TABLE nodes (
    node_id      TEXT        PRIMARY KEY,
    url          TEXT        NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);
