"""The domain: incident `lifecycle` and `reporting` (each operation one transaction that
writes a change and its event), and the pure rules they share: `schedule` (which deadline),
`labels` (the words people read)."""
