-- Reporting by SMS and by invitation link.

-- The mobile numbers that may report for an organisation by SMS (E.164, e.g. +46701234567).
CREATE TABLE organisation_phones (
    organisation    text NOT NULL REFERENCES organisations (code),
    phone           text NOT NULL CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation, phone)
);
CREATE INDEX organisation_phones_phone ON organisation_phones (phone);

-- Every SMS the gateway delivered, once per gateway message id: a repeat of the same
-- text from the same number within the window takes the first one's key, so the
-- report it makes is one report.
CREATE TABLE sms_messages (
    message_id      text PRIMARY KEY,
    sender          text NOT NULL,
    text_sha256     bytea NOT NULL,
    received_at     timestamptz NOT NULL,
    report_key      text NOT NULL
);
CREATE INDEX sms_messages_sender_text ON sms_messages (sender, text_sha256, received_at);

-- A link that lets one organisation report in one incident without an account. The
-- link's secret is stored only as its SHA-256.
CREATE TABLE invitations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    organisation    text NOT NULL REFERENCES organisations (code),
    email           text CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    secret_sha256   bytea NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_by      text,
    last_used_at    timestamptz,
    uses            integer NOT NULL DEFAULT 0
);
CREATE INDEX invitations_incident ON invitations (incident_id, created_at);
