"""Rounds from schedules (DST included), and who counts as on time, late or overdue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from schemas.incident import DailySchedule, IntervalSchedule
from service.domain.labels import local_time
from service.domain.schedule import Segment, deadlines_until, next_deadline
from service.rounds.messages import reminder
from service.rounds.plan import (
    PastRound,
    ReportTimes,
    classify,
    missed_run,
    not_reported,
)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


DAILY = DailySchedule(times=["08:00", "14:00", "20:00"])
TICK = timedelta(microseconds=1)


def daily_from(since: str, times: list[str]) -> list[Segment]:
    return [Segment(since=utc(since), schedule=DailySchedule(times=times))]


def test_rounds_are_every_deadline_from_activation_in_order() -> None:
    segments = [Segment(since=utc("2026-11-22T13:00:00+01:00"), schedule=DAILY)]
    found = deadlines_until(segments, None, utc("2026-11-23T14:00:00+01:00"))
    assert found == [
        utc("2026-11-22T14:00:00+01:00"),
        utc("2026-11-22T20:00:00+01:00"),
        utc("2026-11-23T08:00:00+01:00"),
        utc("2026-11-23T14:00:00+01:00"),
    ]


def test_activation_exactly_at_a_deadline_makes_it_the_first_round() -> None:
    segments = [Segment(since=utc("2026-11-22T14:00:00+01:00"), schedule=DAILY)]
    assert next_deadline(segments, None) == utc("2026-11-22T14:00:00+01:00")


def test_daily_rounds_keep_local_wall_time_across_spring_forward() -> None:
    # Sunday 29 March 2026: 02:00 CET becomes 03:00 CEST.
    segments = daily_from("2026-03-28T00:00:00+01:00", ["02:30", "08:00", "20:00"])
    found = deadlines_until(segments, None, utc("2026-03-30T23:00:00+02:00"))
    assert found == [
        utc("2026-03-28T02:30:00+01:00"),
        utc("2026-03-28T08:00:00+01:00"),
        utc("2026-03-28T20:00:00+01:00"),
        utc("2026-03-29T03:30:00+02:00"),  # 02:30 does not exist: just after the gap
        utc("2026-03-29T08:00:00+02:00"),
        utc("2026-03-29T20:00:00+02:00"),
        utc("2026-03-30T02:30:00+02:00"),
        utc("2026-03-30T08:00:00+02:00"),
        utc("2026-03-30T20:00:00+02:00"),
    ]
    # The day of the change is an hour shorter: 08:00 to 08:00 is 23 hours.
    assert found[4] - found[1] == timedelta(hours=23)


def test_daily_rounds_keep_local_wall_time_across_fall_back() -> None:
    # Sunday 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    segments = daily_from("2026-10-24T00:00:00+02:00", ["02:30", "08:00"])
    found = deadlines_until(segments, None, utc("2026-10-26T09:00:00+01:00"))
    assert found == [
        utc("2026-10-24T02:30:00+02:00"),
        utc("2026-10-24T08:00:00+02:00"),
        utc("2026-10-25T02:30:00+02:00"),  # the first 02:30 only: one round, not two
        utc("2026-10-25T08:00:00+01:00"),
        utc("2026-10-26T02:30:00+01:00"),
        utc("2026-10-26T08:00:00+01:00"),
    ]
    assert found[3] - found[1] == timedelta(hours=25)


def test_interval_rounds_step_in_real_time_across_fall_back() -> None:
    schedule = IntervalSchedule(
        interval_minutes=60, first_due_at=datetime.fromisoformat("2026-10-25T01:00:00+02:00")
    )
    segments = [Segment(since=utc("2026-10-25T00:00:00+02:00"), schedule=schedule)]
    found = deadlines_until(segments, None, utc("2026-10-25T03:00:00+01:00"))
    # 01:00 CEST, 02:00 CEST, 02:00 CET, 03:00 CET: four hours of real time.
    assert [local_time(d) for d in found] == [
        "2026-10-25 01:00",
        "2026-10-25 02:00",
        "2026-10-25 02:00",
        "2026-10-25 03:00",
    ]


def test_interval_rounds_before_first_due_at_do_not_exist() -> None:
    schedule = IntervalSchedule(
        interval_minutes=90, first_due_at=datetime.fromisoformat("2026-11-22T16:00:00+01:00")
    )
    segments = [Segment(since=utc("2026-11-22T13:00:00+01:00"), schedule=schedule)]
    assert deadlines_until(segments, None, utc("2026-11-22T19:00:00+01:00")) == [
        utc("2026-11-22T16:00:00+01:00"),
        utc("2026-11-22T17:30:00+01:00"),
        utc("2026-11-22T19:00:00+01:00"),
    ]


def test_a_schedule_change_decides_the_deadlines_from_the_change_on() -> None:
    hourly = IntervalSchedule(
        interval_minutes=30, first_due_at=datetime.fromisoformat("2026-11-22T10:00:00+01:00")
    )
    segments = [
        Segment(since=utc("2026-11-22T13:00:00+01:00"), schedule=DAILY),
        Segment(since=utc("2026-11-22T15:10:00+01:00"), schedule=hourly),
    ]
    found = deadlines_until(segments, None, utc("2026-11-22T16:00:00+01:00"))
    # 14:00 from the daily schedule; 14:30 and 15:00 of the new one were before the change.
    assert found == [
        utc("2026-11-22T14:00:00+01:00"),
        utc("2026-11-22T15:30:00+01:00"),
        utc("2026-11-22T16:00:00+01:00"),
    ]


def test_a_deadline_of_the_old_schedule_before_the_change_still_is_a_round() -> None:
    segments = [
        Segment(since=utc("2026-11-22T13:00:00+01:00"), schedule=DAILY),
        Segment(since=utc("2026-11-22T14:30:00+01:00"), schedule=DailySchedule(times=["18:00"])),
    ]
    # Closing lags behind (all instances down): 14:00 is still a round, then 18:00.
    assert next_deadline(segments, None) == utc("2026-11-22T14:00:00+01:00")
    assert next_deadline(segments, utc("2026-11-22T14:00:00+01:00")) == utc(
        "2026-11-22T18:00:00+01:00"
    )


PREVIOUS = utc("2026-11-22T08:00:00+01:00")
DUE = utc("2026-11-22T14:00:00+01:00")


def times(org: str, as_of: datetime, received: datetime) -> ReportTimes:
    return ReportTimes(organisation=org, as_of=as_of, received_at=received)


def test_classification_at_exact_boundaries() -> None:
    reports = [
        times("a", DUE, DUE),  # as_of and received exactly at the deadline: on time
        times("b", DUE - timedelta(minutes=5), DUE + TICK),  # received just after: late
        times("c", DUE + TICK, DUE + TICK),  # as of just after: counts for the next round
        times("d", PREVIOUS, PREVIOUS),  # as of the previous deadline: counts for that one
        times("e", PREVIOUS + TICK, PREVIOUS + TICK),  # just after the previous: this round
        times("x", DUE, DUE),  # not a participant at the deadline
    ]
    outcome = classify(["a", "b", "c", "d", "e"], reports, previous=PREVIOUS, due_at=DUE)
    assert outcome.expected == ("a", "b", "c", "d", "e")
    assert outcome.on_time == ("a", "e")
    assert outcome.late == ("b",)
    assert outcome.overdue == ("c", "d")


def test_one_report_in_time_outweighs_a_late_correction() -> None:
    reports = [
        times("a", DUE - timedelta(hours=1), DUE - timedelta(hours=1)),
        times("a", DUE - timedelta(minutes=1), DUE + timedelta(minutes=5)),
    ]
    outcome = classify(["a"], reports, previous=PREVIOUS, due_at=DUE)
    assert (outcome.on_time, outcome.late, outcome.overdue) == (("a",), (), ())


def test_first_round_counts_every_report_as_of_its_deadline_or_earlier() -> None:
    reports = [times("a", DUE - timedelta(days=3), DUE - timedelta(hours=1))]
    outcome = classify(["a", "b"], reports, previous=None, due_at=DUE)
    assert outcome.on_time == ("a",)
    assert outcome.overdue == ("b",)


def test_not_reported_lists_who_a_reminder_goes_to() -> None:
    reports = [times("a", DUE - timedelta(hours=1), DUE - timedelta(hours=1))]
    assert not_reported(["a", "b", "c"], reports, previous=PREVIOUS, due_at=DUE) == ["b", "c"]


def test_reminder_text_is_swedish_with_title_local_deadline_and_report_link() -> None:
    incident_id = uuid.UUID("5b0e8c52-3f0e-4f57-9d55-2a1c1c7e9a10")
    message = reminder(
        "before",
        incident_id=incident_id,
        title="Storm Ylva",
        exercise=False,
        due_at=utc("2026-11-22T13:00:00Z"),
        organisation="Vårgårda (1442)",
    )
    assert message.subject.startswith("Påminnelse")
    assert "Storm Ylva" in message.subject
    assert "2026-11-22 14:00" in message.text
    assert f"/incidents/{incident_id}/report" in message.text
    assert "ÖVNING" not in message.subject + message.text


def test_every_reminder_of_an_exercise_says_ovning() -> None:
    for kind in ("before", "due", "escalation"):
        message = reminder(
            kind,
            incident_id=uuid.uuid4(),
            title="Storm",
            exercise=True,
            due_at=utc("2026-07-01T12:00:00Z"),
            organisation="1442",
            previous_due_at=utc("2026-07-01T06:00:00Z"),
        )
        assert message.subject.startswith("ÖVNING ")
        assert message.text.startswith("ÖVNING")
        assert "2026-07-01 14:00" in message.text  # summer time: UTC+2


def test_missed_run_counts_back_over_deadlines_without_any_report() -> None:
    d1, d2, d3 = DUE, DUE + timedelta(hours=6), DUE + timedelta(hours=18)
    everyone = frozenset({"a", "b", "c", "d"})
    rounds = [PastRound(d1, everyone), PastRound(d2, everyone), PastRound(d3, everyone)]
    reports = [
        times("a", d3 - timedelta(hours=1), d3 - timedelta(hours=1)),  # reported for d3
        times("b", d1 - timedelta(minutes=1), d2),  # late for d1: only d2, d3 missed
    ]
    assert missed_run("a", rounds, reports) == (None, 0)
    assert missed_run("b", rounds, reports) == (d2, 2)
    assert missed_run("c", rounds, reports) == (d1, 3)
    # Not expected at d1 (added later): the run starts at d2.
    joined = [PastRound(d1, frozenset({"a"})), *rounds[1:]]
    assert missed_run("d", joined, reports) == (d2, 2)
