-- An incident's messages, newest first: the duty officer's view of reminders,
-- deliveries and dead letters (GET /api/v1/incidents/{id}/deliveries).
CREATE INDEX outbox_incident ON outbox (incident_id, id);
