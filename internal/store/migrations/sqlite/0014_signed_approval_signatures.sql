-- The digital signatures read in a signed approval when it was uploaded (not
-- verified): a JSON array of {signer, signed_at, problem}; NULL for uploads
-- stored before they were read.
ALTER TABLE signed_approvals ADD COLUMN signatures TEXT;
