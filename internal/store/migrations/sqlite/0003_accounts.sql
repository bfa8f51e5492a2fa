-- People of the web UI: their roles, one-time sign-in links and sessions.
-- Emails are stored lower-cased. Tokens are stored only as SHA-256 hashes.

-- A role held by an address: approver or admin, for every project ('') or one.
CREATE TABLE roles (
    email      TEXT NOT NULL,
    role       TEXT NOT NULL,
    project    TEXT NOT NULL DEFAULT '',
    granted_at INTEGER NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (email, role, project)
);

-- A sign-in link sent by email: short-lived, and spent by its first use.
CREATE TABLE login_tokens (
    hash       BLOB PRIMARY KEY,
    email      TEXT NOT NULL,
    next       TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX login_tokens_expires ON login_tokens (expires_at);

-- A signed-in browser. The cookie holds the token; csrf is the token its forms carry.
CREATE TABLE sessions (
    hash       BLOB PRIMARY KEY,
    email      TEXT NOT NULL,
    csrf       TEXT NOT NULL,
    method     TEXT NOT NULL,  -- link or oidc
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_email ON sessions (email);
