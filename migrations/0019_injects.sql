-- Scripted injects of an exercise, and scripts saved as templates.

-- One inject of an exercise's script: a text (and plain-text attachments) delivered to
-- its audience (NULL: every participant) at `deliver_at`. `offset_seconds` is set when
-- the time was given relative to the start (the incident's activation). Rows are never
-- deleted: a withdrawn inject keeps its row, marked; a delivered one is marked with the
-- seq of its `inject.delivered` event, set in the transaction that appends it (the
-- claim: whoever sets it first delivers, exactly once).
CREATE TABLE injects (
    id              uuid PRIMARY KEY,
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    number          integer NOT NULL CHECK (number >= 1),
    text            text NOT NULL,
    attachments     jsonb NOT NULL DEFAULT '[]',
    audience        text[],
    offset_seconds  integer,
    deliver_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    updated_at      timestamptz NOT NULL,
    withdrawn_at    timestamptz,
    withdrawn_by    text,
    delivered_at    timestamptz,
    delivered_seq   bigint,
    UNIQUE (incident_id, number),
    CHECK ((delivered_at IS NULL) = (delivered_seq IS NULL)),
    CHECK (withdrawn_at IS NULL OR delivered_at IS NULL)
);
CREATE INDEX injects_pending ON injects (deliver_at)
    WHERE delivered_at IS NULL AND withdrawn_at IS NULL;

-- A script kept for the next exercise: its injects with times relative to the start.
CREATE TABLE inject_templates (
    id              uuid PRIMARY KEY,
    organisation    text NOT NULL REFERENCES organisations (code),
    name            text NOT NULL,
    injects         jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL
);
CREATE INDEX inject_templates_organisation ON inject_templates (organisation, created_at);
