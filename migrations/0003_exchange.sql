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

CREATE FUNCTION exchange_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (message_id, destination, kind, incident_id, payload,
                        created_at, next_attempt_at)
    SELECT NEW.incident_id::text || ':' || NEW.seq::text,
           s.destination,
           NEW.kind,
           NEW.incident_id,
           jsonb_build_object(
               'incident_id', NEW.incident_id,
               'seq', NEW.seq,
               'kind', NEW.kind,
               'at', NEW.at,
               'actor', NEW.actor,
               'exercise', i.exercise,
               'data', NEW.data),
           NEW.at,
           NEW.at
    FROM exchange_subscriptions s
    JOIN incidents i ON i.id = NEW.incident_id
    WHERE NEW.kind = ANY (s.kinds)
      AND NOT (
          NEW.kind = 'report.submitted'
          AND EXISTS (
              SELECT 1 FROM exchange_imports x
              WHERE x.source = s.destination
                AND x.report_id::text = NEW.data -> 'report' ->> 'report_id'))
    ON CONFLICT (destination, message_id) DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_to_outbox AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION exchange_enqueue();
