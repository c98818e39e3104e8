"""Who reported for each round, in time, late or not at all. Pure.

A round is one deadline of the incident; the deadlines come from the schedule history
(`service.domain.schedule`): a change at time `t` decides every deadline at or after
`t`, so rounds that have passed never move and the next round follows the new schedule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from service.domain.schedule import is_late


@dataclass(frozen=True, slots=True)
class ReportTimes:
    """What classification needs of a report."""

    organisation: str
    as_of: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    """Who reported for one deadline: in time, late, or not at all (yet)."""

    expected: tuple[str, ...]
    on_time: tuple[str, ...]
    late: tuple[str, ...]
    overdue: tuple[str, ...]


def counts_for(report: ReportTimes, previous: datetime | None, due_at: datetime) -> bool:
    """A report counts for the round ending at `due_at` when its `as_of` lies after the
    previous deadline and at or before this one: `deadline_for` seen from the round
    (for consecutive deadlines of one history the two agree; a property test pins it)."""
    return (previous is None or report.as_of > previous) and report.as_of <= due_at


def classify(
    expected: Iterable[str],
    reports: Iterable[ReportTimes],
    *,
    previous: datetime | None,
    due_at: datetime,
) -> Outcome:
    """Sort the participants at `due_at` by the reports known now.

    On time: some report for the round was received at or before the deadline. Late:
    reports for the round exist, all received after it. Overdue: none for the round.
    """
    codes = sorted(set(expected))
    on_time: set[str] = set()
    late: set[str] = set()
    for report in reports:
        if report.organisation not in codes or not counts_for(report, previous, due_at):
            continue
        if is_late(report.received_at, due_at):
            late.add(report.organisation)
        else:
            on_time.add(report.organisation)
    late -= on_time
    overdue = [code for code in codes if code not in on_time and code not in late]
    return Outcome(
        expected=tuple(codes),
        on_time=tuple(sorted(on_time)),
        late=tuple(sorted(late)),
        overdue=tuple(overdue),
    )


def not_reported(
    codes: Iterable[str],
    reports: Iterable[ReportTimes],
    *,
    previous: datetime | None,
    due_at: datetime,
) -> list[str]:
    """The participants with no report for the round ending at `due_at` (before reminders)."""
    reported = {report.organisation for report in reports if counts_for(report, previous, due_at)}
    return sorted(code for code in set(codes) if code not in reported)


@dataclass(frozen=True, slots=True)
class PastRound:
    due_at: datetime
    expected: frozenset[str]


def missed_run(
    code: str, rounds: Sequence[PastRound], reports: Iterable[ReportTimes]
) -> tuple[datetime | None, int]:
    """The unbroken run of deadlines, ending with the last of `rounds`, that `code` was
    expected at and has no report for at all (neither in time nor late): its first
    deadline and its length; `(None, 0)` when it did not miss the last one."""
    reports = list(reports)
    start: datetime | None = None
    length = 0
    for index in range(len(rounds) - 1, -1, -1):
        current = rounds[index]
        previous = rounds[index - 1].due_at if index > 0 else None
        if code not in current.expected or not not_reported(
            [code], reports, previous=previous, due_at=current.due_at
        ):
            break
        start = current.due_at
        length += 1
    return start, length
