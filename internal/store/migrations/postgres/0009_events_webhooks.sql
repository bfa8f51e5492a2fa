-- Every change to a submission, written in the change's transaction; the
-- events feed reads a project's events in seq order (opendata.EventID).
CREATE TABLE events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project       TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    type          TEXT NOT NULL,
    at            BIGINT NOT NULL,
    data          TEXT NOT NULL,  -- opendata.EventData as JSON
    -- The writing transaction, for diagnosis: the feed's order comes from writers
    -- committing in seq order (store's eventsLock), not from this column.
    txid          xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX events_project_seq ON events (project, seq);

-- A key's webhook endpoint; its signing secrets are sealed (internal/secret).
CREATE TABLE webhooks (
    key_prefix        TEXT PRIMARY KEY REFERENCES api_keys (prefix),
    url               TEXT NOT NULL,
    secret_sealed     TEXT NOT NULL,
    old_secret_sealed TEXT NOT NULL DEFAULT '',  -- still signs, as a second signature, until old_secret_until
    old_secret_until  BIGINT,
    failing_since     BIGINT,                   -- the first failed delivery since the last success
    disabled_at       BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- One delivery of one event to one endpoint, run by a River job.
CREATE TABLE webhook_deliveries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_seq   BIGINT NOT NULL REFERENCES events (seq),
    key_prefix  TEXT NOT NULL,
    job_id      BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    last_at     BIGINT,
    next_at     BIGINT,
    done_at     BIGINT,
    outcome     TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_key ON webhook_deliveries (key_prefix, id);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_seq);

-- The approvers and admins a notice goes to, without reading every role.
CREATE INDEX roles_role_project ON roles (role, project, email);
