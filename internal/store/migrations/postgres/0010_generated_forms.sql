-- The approval form PDFs the service generated, by content: one uploaded back
-- unsigned as the "signed approval" is recognised and refused.
CREATE TABLE generated_forms (
    sha256        TEXT NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    generated_at  BIGINT NOT NULL,
    PRIMARY KEY (sha256, submission_id)
);
