-- Projects and addresses are stored in their normal form (opendata.NormProject,
-- opendata.NormEmail) and compared with =, so every index serves the lookups.
UPDATE api_keys SET project = upper(trim(project));
UPDATE submissions SET project = upper(trim(project)), email_contact = lower(trim(email_contact));
UPDATE roles SET project = upper(trim(project)), email = lower(trim(email));
UPDATE publishing_targets SET project = upper(trim(project));
DROP INDEX submissions_contact_lower;
DROP INDEX submissions_contact;
CREATE INDEX submissions_contact_seq ON submissions (email_contact, seq);
DROP INDEX publishing_targets_project_lower;

-- A target's registry API token, sealed (internal/secret) under a key kept
-- outside the database; '' when none is set.
ALTER TABLE publishing_targets ADD COLUMN token_sealed TEXT NOT NULL DEFAULT '';
