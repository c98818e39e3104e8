-- Webhooks: HTTP endpoints of an organisation that outbox messages for `webhook:<id>`
-- are POSTed to, signed with the webhook's secret (docs/DECISIONS.md, "Outbox").

CREATE TABLE webhooks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation text NOT NULL REFERENCES organisations (code),
    url          text NOT NULL CHECK (url ~ '^https?://'),
    -- Kept as is: the service needs it to sign; receivers hold the same value.
    secret       text NOT NULL CHECK (length(secret) >= 16),
    created_at   timestamptz NOT NULL,
    disabled_at  timestamptz
);
CREATE INDEX webhooks_organisation ON webhooks (organisation);
