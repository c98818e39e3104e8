-- Reports by e-mail: the identity of every inbound mail that was read as a report, so that
-- the same mail delivered twice (same Message-ID, or the same sender and content within
-- LAGESBILD_MAIL_IN_DUPLICATE_WINDOW_MINUTES) stores one report.

CREATE TABLE inbound_mails (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The Message-ID header as sent (angle brackets kept); one a mail without one is given.
    message_id      text NOT NULL UNIQUE,
    -- The sender's address, lower case.
    sender          text NOT NULL,
    -- SHA-256 of the incident and the text read as the report.
    content_hash    bytea NOT NULL,
    -- The key the report was submitted with (`email:<Message-ID>` of the first copy).
    report_key      text NOT NULL,
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    organisation    text NOT NULL REFERENCES organisations (code),
    report_id       uuid NOT NULL,
    received_at     timestamptz NOT NULL
);
CREATE INDEX inbound_mails_content ON inbound_mails (sender, content_hash, received_at);
