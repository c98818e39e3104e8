"""Reports by e-mail: an inbound SMTP server, the sender checked, answers by the outbox."""
