"""Reporting rounds: deadlines, who reported in time, reminders and snapshots.

`plan` is pure (who reported for which round; the deadlines themselves come from
`service.domain.schedule`); `messages` writes reminder texts; `repo` holds the SQL;
`job` does the due work in transactions; `scheduler` runs it when work falls due.
"""
