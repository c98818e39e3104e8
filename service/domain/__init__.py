"""Domain operations: each one a transaction that writes a change and its event."""
