-- A verifiable log: every event carries the sha256 of its canonical content and of the
-- previous event's hash (docs/events.md, "The hash chain"). The database computes both,
-- in a trigger, so that every write path gets them: one row per statement, several rows
-- in one statement, several statements in one transaction.

-- The text that is hashed for one event: its fields, one per line, then the previous
-- event's hash. `at` is written in UTC with microseconds (independent of the session's
-- TimeZone), `data` in jsonb's own text form (keys ordered by length, then bytewise).
CREATE FUNCTION event_canonical(
    incident_id uuid, seq bigint, kind text, at timestamptz, actor text, data jsonb
) RETURNS text LANGUAGE sql STABLE STRICT AS $$
    SELECT incident_id::text || E'\n' || seq::text || E'\n' || kind || E'\n'
        || to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\n'
        || actor || E'\n' || data::text
$$;

-- hash = sha256(prev_hash || "\n" || canonical), as lowercase hex.
CREATE FUNCTION event_hash(
    prev_hash text, incident_id uuid, seq bigint, kind text, at timestamptz, actor text,
    data jsonb
) RETURNS text LANGUAGE sql STABLE STRICT AS $$
    SELECT encode(sha256(convert_to(
        prev_hash || E'\n' || event_canonical(incident_id, seq, kind, at, actor, data),
        'UTF8')), 'hex')
$$;

-- The first event of an incident chains to this.
CREATE FUNCTION event_chain_genesis() RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT repeat('0', 64)
$$;

ALTER TABLE events ADD COLUMN prev_hash text, ADD COLUMN hash text;

-- Existing events get their hashes in seq order (the only UPDATE events ever see).
ALTER TABLE events DISABLE TRIGGER events_immutable;
DO $$
DECLARE
    event record;
    previous text;
    current_incident uuid;
BEGIN
    FOR event IN
        SELECT incident_id, seq, kind, at, actor, data FROM events ORDER BY incident_id, seq
    LOOP
        IF current_incident IS DISTINCT FROM event.incident_id THEN
            current_incident := event.incident_id;
            previous := event_chain_genesis();
        END IF;
        UPDATE events
        SET prev_hash = previous,
            hash = event_hash(previous, event.incident_id, event.seq, event.kind, event.at,
                              event.actor, event.data)
        WHERE incident_id = event.incident_id AND seq = event.seq
        RETURNING hash INTO previous;
    END LOOP;
END;
$$;
ALTER TABLE events ENABLE TRIGGER events_immutable;

ALTER TABLE events ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL;

-- Whatever the writer puts in `hash`/`prev_hash` is replaced. The previous event is the
-- row with seq - 1: committed before (the incident's row lock orders writers) or written
-- earlier by the same statement or transaction (a BEFORE ROW trigger sees those). Rows of
-- one statement must therefore come in seq order; a gap is refused.
CREATE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    previous text;
BEGIN
    IF NEW.seq = 1 THEN
        previous := event_chain_genesis();
    ELSE
        SELECT hash INTO previous FROM events
        WHERE incident_id = NEW.incident_id AND seq = NEW.seq - 1;
        IF previous IS NULL THEN
            RAISE EXCEPTION 'event % of incident % has no event % before it',
                NEW.seq, NEW.incident_id, NEW.seq - 1
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    NEW.prev_hash := previous;
    NEW.hash := event_hash(previous, NEW.incident_id, NEW.seq, NEW.kind, NEW.at, NEW.actor,
                           NEW.data);
    RETURN NEW;
END;
$$;
CREATE TRIGGER events_chain BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_chain();

-- The first event of an incident whose chain does not hold (its hash is not that of its
-- content and its predecessor's hash), or NULL when the whole chain holds.
CREATE FUNCTION event_chain_break(incident uuid) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT min(seq) FROM (
        SELECT seq, hash, prev_hash, kind, at, actor, data, incident_id,
               coalesce(lag(hash) OVER (ORDER BY seq), event_chain_genesis()) AS expected_prev,
               coalesce(lag(seq) OVER (ORDER BY seq), 0) AS previous_seq
        FROM events WHERE incident_id = incident
    ) chained
    WHERE previous_seq <> seq - 1
       OR prev_hash IS DISTINCT FROM expected_prev
       OR hash IS DISTINCT FROM event_hash(prev_hash, incident_id, seq, kind, at, actor, data)
$$;

GRANT EXECUTE ON FUNCTION event_chain_break(uuid) TO lagesbild_service;

-- The incident journal's entries are `journal.entry` events (service/journal/): read by
-- incident, in seq order, and counted for the next entry's number.
CREATE INDEX events_journal ON events (incident_id, seq) WHERE kind = 'journal.entry';
