-- Limits shared by every instance, and what an adapter token may speak for.

-- Failed log-ins, counted per (account, address), per address and per account; a row
-- is forgotten once its last failure is older than the window (pruned as failures come).
CREATE TABLE login_failures (
    scope           text NOT NULL CHECK (scope IN ('pair', 'address', 'account')),
    key             text NOT NULL,
    failures        integer NOT NULL CHECK (failures > 0),
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);

-- An adapter token speaks for the organisations listed, or for every organisation of a
-- county; with neither, for its own organisation alone (tokens made before this).
ALTER TABLE api_tokens
    ADD COLUMN scope_organisations text[],
    ADD COLUMN scope_county text CHECK (scope_county ~ '^[0-9]{2}$');

-- Secrets of this installation, made at first use by the service (random, 256 bits):
-- `import_ids` keys the report ids of imported messages, so nobody can foresee them.
CREATE TABLE installation_secrets (
    name            text PRIMARY KEY,
    secret          bytea NOT NULL CHECK (length(secret) >= 32)
);

-- API requests per token: a token bucket each (`tokens` left at `updated_at`), updated in
-- one statement per request; a bucket left alone long enough is full again, and deleted.
CREATE TABLE api_rate_buckets (
    token_hash      bytea PRIMARY KEY,
    tokens          double precision NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX api_rate_buckets_updated ON api_rate_buckets (updated_at);

-- Open stream sockets per user (or token), counted over every instance: each instance
-- renews its sockets' `seen_at`; a row not renewed for a while (its instance stopped
-- without closing it) no longer counts, and is deleted.
CREATE TABLE stream_sockets (
    id              uuid PRIMARY KEY,
    holder          text NOT NULL,
    seen_at         timestamptz NOT NULL
);
CREATE INDEX stream_sockets_holder ON stream_sockets (holder, seen_at);
CREATE INDEX stream_sockets_seen ON stream_sockets (seen_at);
