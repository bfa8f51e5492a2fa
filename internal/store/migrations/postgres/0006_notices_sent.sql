-- The emails a notify job has sent, one row per submission: a job that
-- covers several submissions (the "received" emails of one group commit)
-- and is retried after a failure sends only those not sent yet.
CREATE TABLE notices_sent (
    job_id        BIGINT NOT NULL,
    submission_id TEXT NOT NULL,
    sent_at       BIGINT NOT NULL,
    PRIMARY KEY (job_id, submission_id)
);
