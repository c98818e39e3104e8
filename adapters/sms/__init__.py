"""Reports by SMS: the gateway webhook and the outbox channel for replies."""
