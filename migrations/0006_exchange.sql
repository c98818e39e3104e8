-- Exchange with other systems (docs/exchange.md).
--
-- Outbound: every event whose kind a subscribed destination wants is copied into the outbox
-- by a trigger on `events`, so it is stored in the very transaction of the change, whichever
-- operation wrote the event (activation, report, a round closing, closure, and kinds added
-- later). The app keeps `exchange_subscriptions` in step with its settings at start.

CREATE TABLE exchange_subscriptions (
    destination text PRIMARY KEY,
    kinds       text[] NOT NULL
);

-- Reports that came in from another system, by that system's own id. Written before the
-- report is submitted, so the trigger never sends an imported report back where it came from.
CREATE TABLE exchange_imports (
    source      text NOT NULL,
    external_id text NOT NULL,
    report_id   uuid NOT NULL,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    received_at timestamptz NOT NULL,
    PRIMARY KEY (source, external_id)
);
CREATE INDEX exchange_imports_report ON exchange_imports (report_id);

-- How far each inbound source's change log has been read.
CREATE TABLE exchange_cursors (
    source   text PRIMARY KEY,
    position bigint NOT NULL CHECK (position >= 0)
);

-- Whether `destination` takes this event: a kind it subscribed to, and not a report that
-- came in from that very destination.
CREATE FUNCTION exchange_wants(destination text, kinds text[], kind text, data jsonb)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT kind = ANY (kinds)
       AND NOT (
           kind = 'report.submitted'
           AND EXISTS (
               SELECT 1 FROM exchange_imports x
               WHERE x.source = destination
                 AND x.report_id::text = data -> 'report' ->> 'report_id'))
$$;

-- The outbox payload: the event as the log has it, its incident and the exercise mark.
CREATE FUNCTION exchange_payload(e events, exercise boolean)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'incident_id', e.incident_id, 'seq', e.seq, 'kind', e.kind, 'at', e.at,
        'actor', e.actor, 'exercise', exercise, 'data', e.data)
$$;

CREATE FUNCTION exchange_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (message_id, destination, kind, incident_id, payload,
                        created_at, next_attempt_at)
    SELECT NEW.incident_id::text || ':' || NEW.seq::text, s.destination, NEW.kind,
           NEW.incident_id, exchange_payload(NEW, i.exercise), NEW.at, NEW.at
    FROM exchange_subscriptions s
    JOIN incidents i ON i.id = NEW.incident_id
    WHERE exchange_wants(s.destination, s.kinds, NEW.kind, NEW.data)
    ON CONFLICT (destination, message_id) DO NOTHING;
    RETURN NULL;
END;
$$;

-- A destination subscribed anew receives what the active incidents have said so far
-- (the same message ids as the trigger would have given, so nothing is sent twice).
CREATE FUNCTION exchange_backfill(target text, due timestamptz) RETURNS bigint
LANGUAGE sql AS $$
    WITH added AS (
        INSERT INTO outbox (message_id, destination, kind, incident_id, payload,
                            created_at, next_attempt_at)
        SELECT e.incident_id::text || ':' || e.seq::text, s.destination, e.kind,
               e.incident_id, exchange_payload(e, i.exercise), e.at, due
        FROM exchange_subscriptions s
        JOIN events e ON true
        JOIN incidents i ON i.id = e.incident_id
        WHERE s.destination = target
          AND i.status = 'active'
          AND exchange_wants(s.destination, s.kinds, e.kind, e.data)
        ORDER BY e.incident_id, e.seq
        ON CONFLICT (destination, message_id) DO NOTHING
        RETURNING 1)
    SELECT count(*) FROM added
$$;

CREATE TRIGGER events_to_outbox AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION exchange_enqueue();
