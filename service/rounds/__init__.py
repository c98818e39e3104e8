"""Reporting rounds: deadlines, who reported in time, reminders and snapshots.

`plan` is pure (deadlines, classification); `messages` writes reminder texts; `repo`
holds the SQL; `job` does the due work in transactions; `scheduler` triggers it.
"""
