"""Several instances on one database, restarts, and the scheduler's own ticks."""

from __future__ import annotations

import asyncio
from collections import Counter

from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.rounds.support import add_contacts, at, log_of, outbox, rounds_of, z
from tests.settings import with_changes
from tests.support import report, served

CONTACTS = {
    "1440": "isk@ale.example.se",
    "1442": "isk@vargarda.example.se",
    "1443": "isk@bollebygd.example.se",
    "LST-14": "tib@lst14.example.se",
}


async def test_two_instances_close_each_round_once_and_enqueue_each_reminder_once(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    first = create_app(settings, dsn=dsn, clock=clock)
    second = create_app(settings, dsn=dsn, clock=clock)
    async with served(first, dsn) as api, served(second, dsn):
        await add_contacts(api, CONTACTS)
        incident = await api.activate()
        jobs = [first[keys.rounds_job], second[keys.rounds_job]]
        for when in (
            "2026-11-22T13:30",
            "2026-11-22T14:00",
            "2026-11-22T19:45",
            "2026-11-22T20:00",
        ):
            clock.set(at(when))
            for _ in range(3):
                await asyncio.gather(*(job.run_due(clock.now()) for job in jobs))

        closed = await log_of(api, incident["id"], "round.closed")
        assert [event["data"]["n"] for event in closed] == [1, 2]
        assert [r["n"] for r in await rounds_of(api, incident["id"])] == [1, 2]
        messages = await outbox(dsn)
        repeats = Counter((m["destination"], m["message_id"]) for m in messages)
        assert set(repeats.values()) == {1}
        kinds = Counter(m["kind"] for m in messages)
        # Three participants with contacts, two rounds; at 20:00 all five participants
        # have missed two deadlines in a row: one escalation each to the county board.
        assert kinds == {"reminder.before": 6, "reminder.due": 6, "reminder.escalation": 5}
        closed_by = [
            app[keys.metrics].registry.get_sample_value("lagesbild_rounds_closed_total")
            for app in (first, second)
        ]
        assert sum(value or 0 for value in closed_by) == 2


async def test_service_stopped_across_two_deadlines_catches_both_up_at_start(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        await add_contacts(api, CONTACTS)
        incident = await api.activate()  # 13:00; deadlines 14:00, 20:00, 08:00
        clock.set(at("2026-11-22T13:30"))
        assert (await api.submit(incident["id"], report("1440"))).status == 201
    # Down from 13:30 to 21:00: 14:00 and 20:00 pass with no instance running.
    clock.set(at("2026-11-22T21:00"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        rounds = await rounds_of(api, incident["id"])
        closed = await log_of(api, incident["id"], "round.closed")

        assert [(r["n"], r["due_at"], r["closed_at"]) for r in rounds] == [
            (1, z("2026-11-22T14:00"), z("2026-11-22T21:00")),
            (2, z("2026-11-22T20:00"), z("2026-11-22T21:00")),
        ]
        assert [(e["data"]["n"], e["at"]) for e in closed] == [
            (1, z("2026-11-22T14:00")),
            (2, z("2026-11-22T20:00")),
        ]
        assert closed[0]["seq"] < closed[1]["seq"]
        assert closed[0]["data"]["on_time"] == ["1440"]
        assert closed[1]["data"]["overdue"] == ["1440", "1441", "1442", "1443", "1444"]
        # Reminders only for the latest deadline, stamped with its time; none for the
        # one long gone, and no `before` reminder for deadlines that have passed.
        messages = await outbox(dsn)
        assert {(m["kind"], m["created_at"]) for m in messages} == {
            ("reminder.due", at("2026-11-22T20:00")),
            ("reminder.escalation", at("2026-11-22T20:00")),
        }
        escalated = sorted(
            m["message_id"].split(":")[-2] for m in messages if "escalation" in m["kind"]
        )
        assert escalated == ["1441", "1442", "1443", "1444"]
        picture = (
            await api.call(
                "GET", f"/api/v1/incidents/{incident['id']}/picture", as_=("LST-14", "viewer")
            )
        ).body
        assert picture["reporting"]["due_at"] == z("2026-11-23T08:00")
        assert picture["reporting"]["overdue"] == ["1440", "1441", "1442", "1443", "1444"]


async def test_a_run_of_misses_found_at_catch_up_escalates_once(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        await add_contacts(api, {"LST-14": "tib@lst14.example.se"})
        incident = await api.activate(participants=["1442"])
        clock.set(at("2026-11-22T14:00"))
        body = report("1442", as_of="2026-11-22T13:00:00+01:00")
        assert (await api.submit(incident["id"], body)).status == 201
    # Misses 20:00; then every instance is down over 08:00 and 14:00 the next day.
    clock.set(at("2026-11-22T20:00"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn):
        pass
    assert await outbox(dsn, "reminder.escalation") == []
    clock.set(at("2026-11-23T14:30"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        assert [r["n"] for r in await rounds_of(api, incident["id"])] == [1, 2, 3, 4]
    [escalation] = await outbox(dsn, "reminder.escalation")
    # Three in a row by the time anyone looked: one escalation, named by the run's start.
    assert escalation["message_id"] == (
        f"reminder:{incident['id']}:{z('2026-11-22T20:00')}:escalation:1442:tib@lst14.example.se"
    )
    assert escalation["created_at"] == at("2026-11-23T14:00")
    assert "2026-11-23 08:00 och 2026-11-23 14:00" in escalation["payload"]["text"]


async def test_the_scheduler_runs_the_job_on_its_own(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    ticking = with_changes(settings, rounds_timer=True, rounds_tick_seconds=0.05)
    async with served(create_app(ticking, dsn=dsn, clock=clock), dsn) as api:
        incident = await api.activate()
        clock.set(at("2026-11-22T14:00"))
        rounds: list[dict[str, object]] = []
        for _ in range(1000):  # the test's own timeout bounds the wait; no sleep decides
            rounds = await rounds_of(api, incident["id"])
            if rounds:
                break
            await asyncio.sleep(0.05)
        [round_one] = rounds
        assert round_one["due_at"] == z("2026-11-22T14:00")
