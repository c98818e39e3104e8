-- Reporting rounds: the work claimed by the scheduler, each closed round with its snapshot,
-- and the addresses reminders go to.

-- One row per piece of scheduled work (closing a round, sending its reminders), inserted
-- in the transaction that does the work: whoever inserts it first does it, exactly once.
CREATE TABLE round_claims (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    due_at          timestamptz NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('close', 'reminder.before')),
    claimed_at      timestamptz NOT NULL,
    PRIMARY KEY (incident_id, due_at, kind)
);

-- A closed round: who was expected, on time, late and overdue when it closed, and the
-- picture as of its deadline.
CREATE TABLE rounds (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    n               integer NOT NULL CHECK (n >= 1),
    due_at          timestamptz NOT NULL,
    closed_at       timestamptz NOT NULL,
    seq             bigint NOT NULL,
    expected        text[] NOT NULL,
    on_time         text[] NOT NULL,
    late            text[] NOT NULL,
    overdue         text[] NOT NULL,
    picture         jsonb NOT NULL,
    PRIMARY KEY (incident_id, n),
    UNIQUE (incident_id, due_at)
);

-- Where an organisation's reminders go.
CREATE TABLE organisation_contacts (
    organisation    text NOT NULL REFERENCES organisations (code),
    email           text NOT NULL CHECK (email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation, email)
);
