-- What the service did, or would do, to put a submission on the registry
-- (opendata.Publication): one row per submission, written by the publish job
-- in the same transaction as the state it moves the submission to.
CREATE TABLE publications (
    submission_id   TEXT PRIMARY KEY REFERENCES submissions (id),
    dry_run         INTEGER NOT NULL,
    target          TEXT NOT NULL,
    registry_id     TEXT NOT NULL,
    registry_url    TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_error      TEXT NOT NULL,
    errors          TEXT NOT NULL,  -- [{field, message}] as JSON
    payload         TEXT NOT NULL,  -- the JSON sent, or that would be sent
    published_at    INTEGER,
    unpublished_at  INTEGER
);
