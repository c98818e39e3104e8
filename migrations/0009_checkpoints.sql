-- Checkpoints of the picture: the fold of an incident's log up to `seq`, kept so that a
-- past picture (or a picture to start from) is the latest checkpoint at or before a seq
-- and the events after it, never a fold from seq 0. Any instance may write one; the
-- picture at a seq is the same wherever it is folded, so a second write is dropped.
CREATE TABLE picture_checkpoints (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    seq             bigint NOT NULL CHECK (seq >= 1),
    picture         jsonb NOT NULL,
    written_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, seq)
);

-- The picture at a moment is the picture at the seq just before the first event stamped
-- after it: found from the events' times without reading their data.
CREATE INDEX events_at ON events (incident_id, at) INCLUDE (seq);
