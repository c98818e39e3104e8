"""Deadlines from schedules: intervals, daily times, and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.incident import DailySchedule, IntervalSchedule
from service.domain.schedule import deadline_at_or_after


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


DAILY = DailySchedule(times=["08:00", "14:00", "20:00"])


@pytest.mark.parametrize(
    ("moment", "deadline"),
    [
        ("2026-11-22T07:59:59+01:00", "2026-11-22T08:00:00+01:00"),
        ("2026-11-22T08:00:00+01:00", "2026-11-22T08:00:00+01:00"),  # at the deadline counts
        ("2026-11-22T08:00:01+01:00", "2026-11-22T14:00:00+01:00"),
        ("2026-11-22T20:00:01+01:00", "2026-11-23T08:00:00+01:00"),
    ],
)
def test_daily_deadline_is_the_first_time_at_or_after_the_moment(
    moment: str, deadline: str
) -> None:
    assert deadline_at_or_after(DAILY, utc(moment)) == utc(deadline)


def test_daily_times_keep_local_wall_time_across_spring_forward() -> None:
    # 29 March 2026: clocks go from 02:00 CET to 03:00 CEST.
    before = deadline_at_or_after(DAILY, utc("2026-03-28T20:00:01+01:00"))
    assert before == utc("2026-03-29T08:00:00+02:00")
    schedule = DailySchedule(times=["02:30"])
    # 02:30 does not exist that night; the deadline falls at 03:30 CEST, after the gap.
    gap = deadline_at_or_after(schedule, utc("2026-03-29T00:00:00+01:00"))
    assert gap == utc("2026-03-29T03:30:00+02:00")


def test_daily_times_keep_local_wall_time_across_fall_back() -> None:
    # 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET.
    after = deadline_at_or_after(DAILY, utc("2026-10-24T20:00:01+02:00"))
    assert after == utc("2026-10-25T08:00:00+01:00")
    schedule = DailySchedule(times=["02:30"])
    # 02:30 happens twice; the deadline is the first of them.
    twice = deadline_at_or_after(schedule, utc("2026-10-25T00:00:00+02:00"))
    assert twice == utc("2026-10-25T02:30:00+02:00")


def test_interval_deadlines_step_from_the_first_due_time() -> None:
    schedule = IntervalSchedule(
        interval_minutes=90, first_due_at=datetime.fromisoformat("2026-11-22T10:00:00+01:00")
    )
    assert deadline_at_or_after(schedule, utc("2026-11-22T06:00:00+01:00")) == utc(
        "2026-11-22T10:00:00+01:00"
    )
    assert deadline_at_or_after(schedule, utc("2026-11-22T11:30:00+01:00")) == utc(
        "2026-11-22T11:30:00+01:00"
    )
    assert deadline_at_or_after(schedule, utc("2026-11-22T11:30:01+01:00")) == utc(
        "2026-11-22T13:00:00+01:00"
    )


def test_interval_schedule_ignores_daylight_saving() -> None:
    schedule = IntervalSchedule(
        interval_minutes=60, first_due_at=datetime.fromisoformat("2026-10-25T01:00:00+02:00")
    )
    # Three hours of real time later, whatever the wall clock says.
    assert deadline_at_or_after(schedule, utc("2026-10-25T02:30:00+01:00")) == utc(
        "2026-10-25T03:00:00+01:00"
    )


def test_daily_schedule_refuses_bad_times_and_unknown_timezones() -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        DailySchedule(times=["25:00"])
    for not_a_zone in ("Europe/Atlantis", "Europe", "../../etc/passwd", ""):
        with pytest.raises(ValueError, match="unknown timezone"):
            DailySchedule(times=["08:00"], timezone=not_a_zone)
    with pytest.raises(ValueError, match="only once"):
        DailySchedule(times=["08:00", "08:00"])
