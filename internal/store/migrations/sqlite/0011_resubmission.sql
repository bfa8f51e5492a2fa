-- A file_id whose submission was withdrawn or rejected can be submitted again:
-- the new submission names the one it replaces, and the old row's file_id
-- column (what uniqueness and look-ups use) is retired; its fields keep the file_id.
ALTER TABLE submissions ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
