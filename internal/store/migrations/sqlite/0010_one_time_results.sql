-- A result shown once after a post/redirect/get (a new API key), sealed
-- (internal/secret), for the session that asked, for a few minutes: reading it
-- deletes it, so a reload shows it no more and creates nothing.
CREATE TABLE one_time_results (
    id           TEXT PRIMARY KEY,
    session_hash BLOB NOT NULL,
    sealed       TEXT NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX one_time_results_expires ON one_time_results (expires_at);
