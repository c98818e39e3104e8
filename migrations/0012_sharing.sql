-- Incidents shared with other county boards. The log holds the history
-- (`incident.shared`, `incident.unshared`); this table is who it is shared with now,
-- written in the same transaction as the event, as `incident_participants` is.

CREATE TABLE incident_shares (
    incident_id     uuid NOT NULL REFERENCES incidents (id),
    organisation    text NOT NULL REFERENCES organisations (code),
    shared_at       timestamptz NOT NULL,
    shared_by       text NOT NULL,
    PRIMARY KEY (incident_id, organisation)
);
CREATE INDEX incident_shares_organisation ON incident_shares (organisation);
