-- PostgreSQL only: the key epoch each process's listener has applied, by the
-- backend pid of its listening connection. A key change returns once every
-- live listener (pg_stat_activity) shows here its epoch or a later one; rows
-- of dead pids are ignored, and pruned when a listener connects. UNLOGGED:
-- the rows mean nothing after a crash, which ends every session anyway, and
-- an ack then commits without waiting for a WAL flush.
CREATE UNLOGGED TABLE key_epoch_acks (
    pid   INTEGER PRIMARY KEY,
    epoch BIGINT NOT NULL,
    at    TIMESTAMPTZ NOT NULL DEFAULT now() -- for whoever looks; nothing reads it
);
