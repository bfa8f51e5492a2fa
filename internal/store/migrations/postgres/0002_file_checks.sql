-- The file check of each submission (SPEC §4): pending until a job finishes it.
-- Written with the submission, and its job enqueued, in the same transaction.
CREATE TABLE file_checks (
    submission_id TEXT PRIMARY KEY REFERENCES submissions (id),
    state         TEXT NOT NULL,              -- pending, passed, failed, refused
    requested_at  BIGINT NOT NULL,
    checked_at    BIGINT,                     -- set when the check finished
    attempts      INTEGER NOT NULL DEFAULT 0,
    http_status   INTEGER NOT NULL DEFAULT 0,
    size          BIGINT NOT NULL DEFAULT 0,
    content_type  TEXT NOT NULL DEFAULT '',
    sha256        TEXT NOT NULL DEFAULT '',
    format        TEXT NOT NULL DEFAULT '',
    reason        TEXT NOT NULL DEFAULT '',
    job_id        BIGINT NOT NULL DEFAULT 0   -- the job running the current request; 0 when none was enqueued
);

-- Every background job enqueued for a submission, so the status view can show them.
CREATE TABLE submission_jobs (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    job_id        BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (submission_id, job_id)
);
