-- Reporting drills: a county board's exercise incident with one deadline, whose
-- participants are all notified at once. What each was sent and when it was delivered is
-- in the outbox (message ids `drill:<id>:…`); when each responded, in its reports.
CREATE TABLE drills (
    id              uuid PRIMARY KEY,
    incident_id     uuid NOT NULL UNIQUE REFERENCES incidents (id),
    county          text NOT NULL,
    message         text NOT NULL,
    respond_minutes integer NOT NULL CHECK (respond_minutes > 0),
    respond_by      timestamptz NOT NULL,
    started_at      timestamptz NOT NULL,
    started_by      text NOT NULL,
    started_by_actor text NOT NULL,
    invitations     boolean NOT NULL DEFAULT false,
    -- who was asked to respond, as at the start: a participant added to the incident
    -- later was never notified, one removed still counts (the figures cannot be mended)
    participants    text[] NOT NULL
);
CREATE INDEX drills_county ON drills (county, started_at DESC);
