"""Invitation links: a capability to report for one organisation in one incident, for an
actor without an account (docs/design.md, "Invitation links")."""
