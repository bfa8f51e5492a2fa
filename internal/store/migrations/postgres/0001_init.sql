-- The SQLite schema in PostgreSQL types: times are Unix microseconds (UTC) in
-- both dialects, so queries are shared; BYTEA for blobs; identity for seq.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE api_keys (
    prefix       TEXT PRIMARY KEY,
    hash         BYTEA NOT NULL,
    project      TEXT NOT NULL,
    client       TEXT NOT NULL,
    contact      TEXT NOT NULL,
    callback_url TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT
);

CREATE TABLE submissions (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    project       TEXT NOT NULL,
    file_id       TEXT NOT NULL,
    key_prefix    TEXT NOT NULL,
    state         TEXT NOT NULL,
    email_contact TEXT NOT NULL,
    fields        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (project, file_id)
);
CREATE INDEX submissions_project_seq ON submissions (project, seq);
CREATE INDEX submissions_project_state_seq ON submissions (project, state, seq);
CREATE INDEX submissions_contact ON submissions (email_contact);

CREATE TABLE transitions (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            BIGINT NOT NULL
);
CREATE INDEX transitions_submission ON transitions (submission_id, seq);

CREATE TABLE idempotency_keys (
    key_prefix  TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    body_sha256 BYTEA NOT NULL,
    status      INTEGER NOT NULL,
    response    BYTEA NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (key_prefix, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- PostgreSQL only: the key epoch (SQLite keeps it in a memory-mapped file).
-- Key changes bump it and NOTIFY datahub_key_epoch in the same transaction.
CREATE TABLE key_epoch (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    epoch    BIGINT NOT NULL
);
INSERT INTO key_epoch (epoch) VALUES (0);
