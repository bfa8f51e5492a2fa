-- The publishing workflow (SPEC §3): what the contact prepares, what approvers
-- open, and where each project publishes. Times are Unix microseconds (UTC).

-- Who last changed a submission's metadata or state.
ALTER TABLE submissions ADD COLUMN updated_by TEXT NOT NULL DEFAULT '';
-- "My submissions" finds the contact's whatever the case they typed.
CREATE INDEX submissions_contact_lower ON submissions (lower(email_contact), seq);
-- The approvers' queue: pending submissions, oldest first.
CREATE INDEX submissions_state_seq ON submissions (state, seq);

-- The approval form as last saved, complete or not.
CREATE TABLE approval_forms (
    submission_id TEXT PRIMARY KEY REFERENCES submissions (id),
    form          TEXT NOT NULL,  -- opendata.ApprovalForm as JSON
    updated_at    BIGINT NOT NULL,
    updated_by    TEXT NOT NULL
);

-- The signed approval PDF, stored under DATA/uploads/<submission_id>/<sha256>.pdf.
CREATE TABLE signed_approvals (
    submission_id TEXT PRIMARY KEY REFERENCES submissions (id),
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    pages         INTEGER NOT NULL,
    file_name     TEXT NOT NULL,  -- the uploader's name for it
    uploaded_at   BIGINT NOT NULL,
    uploaded_by   TEXT NOT NULL
);

-- Who opened which upload: an approver must open the current one before approving.
CREATE TABLE document_opens (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    email         TEXT NOT NULL,  -- lower-cased
    sha256        TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    PRIMARY KEY (submission_id, email, sha256)
);

-- Where each project's datasets are published (SPEC §5). Projects match case-insensitively.
CREATE TABLE publishing_targets (
    project      TEXT PRIMARY KEY,
    registry_url TEXT NOT NULL,
    organization TEXT NOT NULL,
    updated_at   BIGINT NOT NULL,
    updated_by   TEXT NOT NULL
);
CREATE UNIQUE INDEX publishing_targets_project_lower ON publishing_targets (lower(project));
