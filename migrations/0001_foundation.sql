-- Lägesbild foundation: organisations, API tokens, incidents, reports and the event log.

CREATE TABLE organisations (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('municipality', 'county_board', 'region', 'agency', 'other')),
    county      text CHECK (county ~ '^[0-9]{2}$')
);
CREATE INDEX organisations_county ON organisations (county);

CREATE TABLE api_tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL,
    organisation    text NOT NULL REFERENCES organisations (code),
    role            text NOT NULL CHECK (role IN ('reporter', 'viewer', 'duty_officer', 'admin', 'adapter')),
    token_hash      bytea NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);

CREATE TABLE incidents (
    id              uuid PRIMARY KEY,
    title           text NOT NULL,
    description     text NOT NULL DEFAULT '',
    county          text NOT NULL CHECK (county ~ '^[0-9]{2}$'),
    owner           text NOT NULL REFERENCES organisations (code),
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'very_high')),
    exercise        boolean NOT NULL,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    schedule        jsonb NOT NULL,
    activated_at    timestamptz NOT NULL,
    activated_by    text NOT NULL,
    closed_at       timestamptz,
    closed_by       text,
    summary         text,
    -- The seq of the latest event; the next event takes last_seq + 1 under this row's lock.
    last_seq        bigint NOT NULL DEFAULT 0,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX incidents_county_status ON incidents (county, status);

CREATE TABLE incident_participants (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    organisation    text NOT NULL REFERENCES organisations (code),
    added_at        timestamptz NOT NULL,
    PRIMARY KEY (incident_id, organisation)
);
CREATE INDEX incident_participants_organisation ON incident_participants (organisation);

-- Reports are immutable: rows are only ever inserted.
CREATE TABLE reports (
    report_id       uuid PRIMARY KEY,
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    organisation    text NOT NULL REFERENCES organisations (code),
    version         integer NOT NULL CHECK (version >= 1),
    fingerprint     bytea NOT NULL,
    content         jsonb NOT NULL,
    unchanged       boolean NOT NULL,
    as_of           timestamptz NOT NULL,
    received_at     timestamptz NOT NULL,
    due_at          timestamptz,
    late            boolean NOT NULL,
    submitted_by    text NOT NULL,
    supersedes      uuid REFERENCES reports (report_id),
    seq             bigint NOT NULL,
    UNIQUE (incident_id, organisation, version)
);

CREATE TABLE events (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    seq             bigint NOT NULL CHECK (seq >= 1),
    kind            text NOT NULL,
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    data            jsonb NOT NULL,
    PRIMARY KEY (incident_id, seq)
);

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are immutable', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER reports_immutable BEFORE UPDATE OR DELETE ON reports
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER events_immutable BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
