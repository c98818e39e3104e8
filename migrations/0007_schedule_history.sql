-- The schedule history of an incident (its activation and each schedule change) is read
-- for every report, to find the deadline it counts for: an index of those events alone,
-- so that read does not grow with the incident's log.
CREATE INDEX events_schedule_history ON events (incident_id, seq)
    WHERE kind = 'incident.activated'
       OR (kind = 'incident.updated' AND data -> 'changes' ? 'schedule');
