-- The digital signatures read in a signed approval when it was uploaded,
-- checked against the file but not against a trust list: a JSON array of
-- {signer, signed_at, problem}; NULL for uploads stored before they were read.
ALTER TABLE signed_approvals ADD COLUMN signatures TEXT;
