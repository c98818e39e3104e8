-- Imports between installations: where each imported report came from, and which local
-- incident a relaying county board's incident feeds.

-- Which exchange, API token and relay brought a report (null for reports sent directly).
ALTER TABLE reports ADD COLUMN provenance jsonb;

-- A county board's incident on its own installation, relayed into an incident here.
CREATE TABLE relay_links (
    sender              text NOT NULL REFERENCES organisations (code),
    relayed_incident    uuid NOT NULL,
    incident_id         uuid NOT NULL REFERENCES incidents (id),
    linked_at           timestamptz NOT NULL,
    linked_by           text NOT NULL,
    PRIMARY KEY (sender, relayed_incident)
);
CREATE INDEX relay_links_incident ON relay_links (incident_id);
