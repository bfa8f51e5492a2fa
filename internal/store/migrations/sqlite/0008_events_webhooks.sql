-- Every change to a submission, written in the change's transaction; the
-- events feed reads a project's events in seq order (opendata.EventID).
CREATE TABLE events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    project       TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    type          TEXT NOT NULL,
    at            INTEGER NOT NULL,
    data          TEXT NOT NULL  -- opendata.EventData as JSON
);
CREATE INDEX events_project_seq ON events (project, seq);

-- A key's webhook endpoint; its signing secrets are sealed (internal/secret).
CREATE TABLE webhooks (
    key_prefix        TEXT PRIMARY KEY REFERENCES api_keys (prefix),
    url               TEXT NOT NULL,
    secret_sealed     TEXT NOT NULL,
    old_secret_sealed TEXT NOT NULL DEFAULT '',  -- still signs, as a second signature, until old_secret_until
    old_secret_until  INTEGER,
    failing_since     INTEGER,                   -- the first failed delivery since the last success
    disabled_at       INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

-- One delivery of one event to one endpoint, run by a River job.
CREATE TABLE webhook_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_seq   INTEGER NOT NULL REFERENCES events (seq),
    key_prefix  TEXT NOT NULL,
    job_id      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    last_at     INTEGER,
    next_at     INTEGER,
    done_at     INTEGER,
    outcome     TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_key ON webhook_deliveries (key_prefix, id);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_seq);

-- The approvers and admins a notice goes to, without reading every role.
CREATE INDEX roles_role_project ON roles (role, project, email);
