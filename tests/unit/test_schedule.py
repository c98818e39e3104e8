"""Deadlines from schedules: intervals, daily times, and daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from schemas.incident import DailySchedule, IntervalSchedule
from service.domain.schedule import (
    TICK,
    Segment,
    deadline_at_or_after,
    deadline_for,
    deadlines_until,
    history,
    is_late,
    next_deadline,
)
from service.rounds.plan import ReportTimes, counts_for


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


# --- the schedule history: which deadline a report counts for -----------------------------

HOURLY_AT_TEN_PAST = IntervalSchedule(
    interval_minutes=60, first_due_at=datetime.fromisoformat("2026-11-22T10:10:00+01:00")
)
# Activated 13:00 with 08/14/20; changed at 14:30 to 14:15 and 18:00.
CHANGED = [
    Segment(since=utc("2026-11-22T13:00:00+01:00"), schedule=DAILY),
    Segment(
        since=utc("2026-11-22T14:30:00+01:00"), schedule=DailySchedule(times=["14:15", "18:00"])
    ),
]


@pytest.mark.parametrize(
    ("as_of", "deadline"),
    [
        ("2026-11-22T12:00:00+01:00", "2026-11-22T14:00:00+01:00"),  # before activation
        ("2026-11-22T13:50:00+01:00", "2026-11-22T14:00:00+01:00"),  # the old schedule's
        ("2026-11-22T14:00:00+01:00", "2026-11-22T14:00:00+01:00"),  # exactly at it
        # After 14:00 and before the change: the old schedule's next (20:00) lies after
        # the change, and the new one's 14:15 before it; the first after the change counts.
        ("2026-11-22T14:10:00+01:00", "2026-11-22T18:00:00+01:00"),
        ("2026-11-22T14:20:00+01:00", "2026-11-22T18:00:00+01:00"),
        ("2026-11-22T18:00:01+01:00", "2026-11-23T14:15:00+01:00"),
    ],
)
def test_report_counts_for_the_first_deadline_of_the_history_at_or_after_its_as_of(
    as_of: str, deadline: str
) -> None:
    assert deadline_for(CHANGED, utc(as_of)) == utc(deadline)


def test_a_change_never_reaches_back_before_the_one_it_follows() -> None:
    segments = history(
        [
            (utc("2026-11-22T13:00:00+01:00"), DAILY),
            (utc("2026-11-22T12:00:00+01:00"), HOURLY_AT_TEN_PAST),  # a lagging clock
        ]
    )
    assert [s.since for s in segments] == [utc("2026-11-22T13:00:00+01:00")] * 2
    assert deadline_for(segments, utc("2026-11-22T12:30:00+01:00")) == utc(
        "2026-11-22T13:10:00+01:00"
    )


def test_a_history_without_its_activation_has_no_deadline() -> None:
    with pytest.raises(ValueError, match="activation"):
        deadline_for([], utc("2026-11-22T12:00:00+01:00"))


def test_received_exactly_at_the_deadline_is_on_time() -> None:
    due = utc("2026-11-22T14:00:00+01:00")
    assert not is_late(due, due)
    assert is_late(due + TICK, due)


BASE = utc("2026-11-22T00:00:00+01:00")
schedules = st.one_of(
    st.builds(
        IntervalSchedule,
        interval_minutes=st.integers(min_value=15, max_value=600),
        first_due_at=st.integers(min_value=-600, max_value=3000).map(
            lambda minutes: BASE + timedelta(minutes=minutes)
        ),
    ),
    st.lists(
        st.tuples(st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
        min_size=1,
        max_size=4,
        unique=True,
    ).map(lambda hm: DailySchedule(times=[f"{h:02d}:{m:02d}" for h, m in hm])),
)
offsets = st.integers(min_value=0, max_value=4 * 24 * 60 * 60)  # seconds into four days


@hsettings(max_examples=200, deadline=None)
@given(
    changes=st.lists(st.tuples(offsets, schedules), min_size=1, max_size=4),
    as_of=offsets,
)
def test_deadline_for_and_the_rounds_agree_on_which_deadline_a_report_counts_for(
    changes: list[tuple[int, IntervalSchedule | DailySchedule]], as_of: int
) -> None:
    """For every schedule history and `as_of`, the round whose (previous, deadline] holds
    `as_of` is the deadline `deadline_for` names, and it is the only such round."""
    segments = history(
        (BASE + timedelta(seconds=since), schedule)
        for since, schedule in sorted(changes, key=lambda change: change[0])
    )
    moment = BASE + timedelta(seconds=as_of)
    found = deadline_for(segments, moment)
    rounds = deadlines_until(segments, None, found)
    assert rounds
    assert rounds[-1] == found
    report = ReportTimes(organisation="1442", as_of=moment, received_at=moment)
    holding = [
        due
        for previous, due in zip([None, *rounds[:-1]], rounds, strict=True)
        if counts_for(report, previous, due)
    ]
    assert holding == [found]
    following = next_deadline(segments, found)
    assert following is None or not counts_for(report, found, following)
