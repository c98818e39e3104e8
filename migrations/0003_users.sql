-- People who log in to the web app, and their server-side sessions.

CREATE TABLE users (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text NOT NULL CHECK (email = lower(email) AND position('@' IN email) > 1),
    name            text NOT NULL,
    organisation    text NOT NULL REFERENCES organisations (code),
    role            text NOT NULL CHECK (role IN ('reporter', 'viewer', 'duty_officer', 'admin')),
    password_hash   text NOT NULL,
    created_at      timestamptz NOT NULL,
    removed_at      timestamptz
);
-- One live account per address; a removed account's address may be used again.
CREATE UNIQUE INDEX users_email ON users (email) WHERE removed_at IS NULL;

-- The cookie holds a random secret; the table holds only its SHA-256.
CREATE TABLE sessions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE,
    user_id         bigint NOT NULL REFERENCES users (id),
    csrf_token      text NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE ended_at IS NULL;
