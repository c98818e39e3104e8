"""The rounds timer: each run says when work next falls due, and the timer runs the job
at that moment on the app's clock, not on its next tick. Time moves with the FixedClock;
no test sleeps for a time that decides anything (waits are bounded by the test timeout)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from aiohttp import web

from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.rounds.support import at, change_incident, log_of, rounds_of, z
from tests.settings import with_changes
from tests.support import Api, Who, served

DUTY: Who = ("LST-14", "duty_officer")


@pytest.fixture
def timed(settings: Settings) -> Settings:
    """The suite's settings with the timer on and a tick that never comes in a test."""
    return with_changes(settings, rounds_timer=True, rounds_tick_seconds=3600)


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    """Wait for `check` to hold; the test's own timeout bounds the wait."""
    for _ in range(1_000_000):
        if await check():
            return
        await asyncio.sleep(0.01)


async def test_each_run_says_when_work_next_falls_due(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    job = app[keys.rounds_job]
    assert (await job.run_due(clock.now())).wake_at is None  # no incident, nothing ahead
    await api.activate()  # 13:00, daily 08/14/20: first deadline 14:00
    # Next: the reminder 30 minutes before, then the deadline itself, then the next one's.
    assert (await job.run_due(at("2026-11-22T13:00"))).wake_at == at("2026-11-22T13:30")
    assert (await job.run_due(at("2026-11-22T13:30"))).wake_at == at("2026-11-22T14:00")
    assert (await job.run_due(at("2026-11-22T13:59:59.999999"))).wake_at == at("2026-11-22T14:00")
    closing = await job.run_due(at("2026-11-22T14:00"))
    assert [n for _, n, _ in closing.closed] == [1]
    assert closing.wake_at == at("2026-11-22T19:30")
    assert job.wake_at == at("2026-11-22T19:30")


async def test_the_earliest_wake_up_across_incidents_wins(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    await api.activate()  # daily: reminder at 13:30
    await api.activate(
        schedule={"interval_minutes": 15, "first_due_at": "2026-11-22T13:10:00+01:00"}
    )
    progress = await app[keys.rounds_job].run_due(at("2026-11-22T13:00"))
    assert progress.wake_at == at("2026-11-22T13:10")  # 13:10 - 30 min has passed


async def test_round_closes_when_the_clock_reaches_the_deadline_without_a_tick(
    timed: Settings, dsn: str, clock: FixedClock
) -> None:
    app = create_app(timed, dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await api.activate()  # the activation wakes the timer: set for 13:30
        await woken_for(app, at("2026-11-22T13:30"))

        clock.set(at("2026-11-22T14:00"))

        await until(lambda: _has_rounds(api, incident["id"], 1))
        [round_one] = await rounds_of(api, incident["id"])
        assert round_one["due_at"] == z("2026-11-22T14:00")
        assert round_one["closed_at"] == z("2026-11-22T14:00")  # at the deadline itself
        await woken_for(app, at("2026-11-22T19:30"))


async def test_a_schedule_change_sets_the_timer_for_the_new_deadline(
    timed: Settings, dsn: str, clock: FixedClock
) -> None:
    app = create_app(timed, dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await api.activate()  # set for 13:30 (the reminder before 14:00)
        await woken_for(app, at("2026-11-22T13:30"))
        clock.set(at("2026-11-22T13:05"))
        await change_incident(
            api,
            incident["id"],
            schedule={"interval_minutes": 60, "first_due_at": "2026-11-22T10:20:00+01:00"},
        )
        await woken_for(app, at("2026-11-22T13:20"))

        clock.set(at("2026-11-22T13:20"))  # before the 13:30 the timer was set for first

        await until(lambda: _has_rounds(api, incident["id"], 1))
        [round_one] = await rounds_of(api, incident["id"])
        assert (round_one["due_at"], round_one["closed_at"]) == (
            z("2026-11-22T13:20"),
            z("2026-11-22T13:20"),
        )


async def test_closing_an_incident_clears_its_wake_up(
    timed: Settings, dsn: str, clock: FixedClock
) -> None:
    app = create_app(timed, dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await api.activate()
        await woken_for(app, at("2026-11-22T13:30"))
        reply = await api.call(
            "POST",
            f"/api/v1/incidents/{incident['id']}/close",
            as_=DUTY,
            json_body={"summary": "Över"},
        )
        assert reply.status == 200, reply.body
        await woken_for(app, None)


async def test_two_instances_woken_at_the_deadline_close_the_round_once(
    timed: Settings, dsn: str, clock: FixedClock
) -> None:
    first = create_app(timed, dsn=dsn, clock=clock)
    second = create_app(timed, dsn=dsn, clock=clock)
    async with served(first, dsn) as api, served(second, dsn):
        incident = await api.activate()  # on the first; the second hears of it by NOTIFY
        for app in (first, second):
            await woken_for(app, at("2026-11-22T13:30"))

        clock.set(at("2026-11-22T14:00"))  # both wake at once

        for app in (first, second):
            await woken_for(app, at("2026-11-22T19:30"))
        closed = await log_of(api, incident["id"], "round.closed")
        assert [event["data"]["n"] for event in closed] == [1]
        assert [r["n"] for r in await rounds_of(api, incident["id"])] == [1]
        counted = [
            app[keys.metrics].registry.get_sample_value("lagesbild_rounds_closed_total") or 0
            for app in (first, second)
        ]
        assert sum(counted) == 1


class _NeverWakes(FixedClock):
    """A clock whose sleepers never wake: only the tick can run the job."""

    async def sleep_until(self, moment: datetime) -> None:
        await asyncio.Event().wait()


async def test_the_tick_catches_up_what_no_wake_up_ran(timed: Settings, dsn: str) -> None:
    clock = _NeverWakes(at("2026-11-22T13:00"))
    ticking = with_changes(timed, rounds_tick_seconds=0.05)
    async with served(create_app(ticking, dsn=dsn, clock=clock), dsn) as api:
        incident = await api.activate()
        clock.set(at("2026-11-22T14:00"))
        await until(lambda: _has_rounds(api, incident["id"], 1))
        [round_one] = await rounds_of(api, incident["id"])
        assert round_one["due_at"] == z("2026-11-22T14:00")


async def woken_for(app: web.Application, moment: datetime | None) -> None:
    """Wait until the app's last rounds run set the timer for `moment`."""

    async def is_set() -> bool:
        return app[keys.rounds_job].wake_at == moment

    await until(is_set)


async def _has_rounds(api: Api, incident_id: str, count: int) -> bool:
    return len(await rounds_of(api, incident_id)) >= count
