-- The language each person reads the pages in, remembered from their pages
-- after they sign in; their email puts it first. Emails are stored lower-cased.
CREATE TABLE languages (
    email      TEXT PRIMARY KEY,
    lang       TEXT NOT NULL CHECK (lang IN ('en', 'fr')),
    updated_at INTEGER NOT NULL
);
