-- Times are Unix microseconds (UTC) in both dialects, so queries are shared.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE api_keys (
    prefix       TEXT PRIMARY KEY,
    hash         BLOB NOT NULL,
    project      TEXT NOT NULL,
    client       TEXT NOT NULL,
    contact      TEXT NOT NULL,
    callback_url TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE submissions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    project       TEXT NOT NULL,
    file_id       TEXT NOT NULL,
    key_prefix    TEXT NOT NULL,
    state         TEXT NOT NULL,
    email_contact TEXT NOT NULL,
    fields        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (project, file_id)
);
CREATE INDEX submissions_project_seq ON submissions (project, seq);
CREATE INDEX submissions_project_state_seq ON submissions (project, state, seq);
CREATE INDEX submissions_contact ON submissions (email_contact);

CREATE TABLE transitions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    from_state    TEXT NOT NULL,
    to_state      TEXT NOT NULL,
    actor         TEXT NOT NULL,
    reason        TEXT NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX transitions_submission ON transitions (submission_id, seq);

CREATE TABLE idempotency_keys (
    key_prefix  TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    body_sha256 BLOB NOT NULL,
    status      INTEGER NOT NULL,
    response    BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (key_prefix, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
