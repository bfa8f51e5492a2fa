-- A file check's reason as a stable code with its arguments, which the pages
-- say in the reader's language; checks saved before keep their English reason only.
ALTER TABLE file_checks ADD COLUMN reason_code TEXT NOT NULL DEFAULT '';
ALTER TABLE file_checks ADD COLUMN reason_args TEXT NOT NULL DEFAULT '{}';
