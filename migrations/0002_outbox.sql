-- The outbox: messages for other systems, written in the same transaction as the change
-- that causes them and delivered afterwards, at least once, by a worker in each instance.

CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stable across retries and instances: receivers drop repeats by it.
    message_id      text NOT NULL,
    -- A configured channel ('smtp', 'webhook', 'wis', …) and, within it, an address.
    destination     text NOT NULL,
    kind            text NOT NULL,
    incident_id     uuid REFERENCES incidents (id),
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    delivered_at    timestamptz,
    UNIQUE (destination, message_id),
    CHECK ((status = 'delivered') = (delivered_at IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_status_destination ON outbox (status, destination);
