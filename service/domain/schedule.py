"""Reporting deadlines from an incident's schedule history. Pure, DST-correct.

An incident's deadlines come from its schedule *history*: the activation's schedule and
each change of it, in the log's order. A schedule set at time `t` decides every deadline
at or after `t` and before the next change, so deadlines that have passed never move.
`deadline_for` is the one rule for which deadline a report counts for; report
submission, the rounds and the exchange adapters all ask it (or `next_deadline`, the
same walk through the history).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.incident import DailySchedule, IntervalSchedule

# Deadlines are instants; the next one after `d` is the first at or after `d + TICK`.
TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Segment:
    """A schedule in force from `since` until the next segment's `since`."""

    since: datetime
    schedule: IntervalSchedule | DailySchedule


def history(changes: Iterable[tuple[datetime, IntervalSchedule | DailySchedule]]) -> list[Segment]:
    """The segments of a schedule history from its changes in log order (activation
    first). A change never reaches back before the one it follows (an instance whose
    clock lags cannot rewrite deadlines the others already passed)."""
    segments: list[Segment] = []
    for since, schedule in changes:
        if segments and since < segments[-1].since:
            since = segments[-1].since
        segments.append(Segment(since=since, schedule=schedule))
    return segments


def next_deadline(segments: Sequence[Segment], after: datetime | None) -> datetime | None:
    """The first deadline strictly after `after` (the first of all with `None`).

    A segment contributes the deadlines at or after its `since` and before the next
    segment's `since`. None only without segments.
    """
    for index, segment in enumerate(segments):
        start = segment.since if after is None else max(segment.since, after + TICK)
        candidate = deadline_at_or_after(segment.schedule, start)
        following = segments[index + 1].since if index + 1 < len(segments) else None
        if following is None or candidate < following:
            return candidate
    return None


def deadlines_until(
    segments: Sequence[Segment], after: datetime | None, until: datetime
) -> list[datetime]:
    """Every deadline after `after` and at or before `until`, in order."""
    found: list[datetime] = []
    current = next_deadline(segments, after)
    while current is not None and current <= until:
        found.append(current)
        current = next_deadline(segments, current)
    return found


def deadline_for(segments: Sequence[Segment], as_of: datetime) -> datetime:
    """The deadline a report as of `as_of` counts for: the first deadline of the
    history at or after it. So the round ending at `d`, with previous deadline `p`,
    takes the reports with `p < as_of <= d` (`service.rounds.plan.counts_for`)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    found = next_deadline(segments, as_of - TICK)
    if found is None:
        raise ValueError("a schedule history has at least the activation's schedule")
    return found


def is_late(received_at: datetime, due_at: datetime) -> bool:
    """Late: received after the deadline it counts for (exactly at it is on time)."""
    return received_at > due_at


def deadline_at_or_after(schedule: IntervalSchedule | DailySchedule, moment: datetime) -> datetime:
    """The first deadline of one schedule at or after `moment` (the history's
    deadlines are found with `next_deadline`)."""
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
