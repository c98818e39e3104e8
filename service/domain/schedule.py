"""Reporting deadlines from an incident's schedule. Pure, DST-correct."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.incident import DailySchedule, IntervalSchedule


def deadline_at_or_after(schedule: IntervalSchedule | DailySchedule, moment: datetime) -> datetime:
    """The first deadline at or after `moment` (the deadline a report as of then counts for)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    if isinstance(schedule, IntervalSchedule):
        return _interval_deadline(schedule, moment)
    return _daily_deadline(schedule, moment)


def _interval_deadline(schedule: IntervalSchedule, moment: datetime) -> datetime:
    first = schedule.first_due_at.astimezone(UTC)
    if moment <= first:
        return first
    step = timedelta(minutes=schedule.interval_minutes)
    steps = -((first - moment) // step)  # ceiling division of timedeltas
    return first + steps * step


def _local_deadlines(schedule: DailySchedule, day: date) -> list[datetime]:
    """The day's deadlines as UTC instants. A local time that does not exist (spring
    forward) falls at the same wall time after the gap; a repeated one (autumn) is the
    first of the two."""
    zone = ZoneInfo(schedule.timezone)
    instants = []
    for local in schedule.local_times():
        naive = datetime.combine(day, local)
        aware = naive.replace(tzinfo=zone, fold=0)
        # Round-trip through UTC normalises a non-existent wall time past the gap.
        instants.append(aware.astimezone(UTC))
    return sorted(instants)


def _daily_deadline(schedule: DailySchedule, moment: datetime) -> datetime:
    zone = ZoneInfo(schedule.timezone)
    today = moment.astimezone(zone).date()
    for offset in (0, 1, 2):
        for instant in _local_deadlines(schedule, today + timedelta(days=offset)):
            if instant >= moment:
                return instant
    raise AssertionError("a daily schedule always has a deadline within two days")
