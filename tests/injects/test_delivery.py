"""Injects delivered at their times: once across instances, after a restart, never when
withdrawn, only to their audience, and always marked ÖVNING."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import pytest
from yarl import URL

from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db.pool import create_pool
from service.injects import repo as inject_repo
from service.injects.demo import add_demo_script
from tests.injects.support import OFFICER, add_inject, board, exercise, injects_seen
from tests.rounds.support import add_contacts, at, log_of, outbox, z
from tests.support import served

CONTACTS = {"1440": "isk@ale.example.se", "1442": "isk@vargarda.example.se"}


async def test_two_instances_deliver_each_inject_once_at_its_time(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    first = create_app(settings, dsn=dsn, clock=clock)
    second = create_app(settings, dsn=dsn, clock=clock)
    async with served(first, dsn) as api, served(second, dsn):
        await add_contacts(api, CONTACTS)
        incident = await exercise(api, participants=["1440", "1442"])
        await add_inject(api, incident["id"], text="Elen går i Ale", offset_minutes=20)
        await add_inject(api, incident["id"], text="Vattnet stiger", at="2026-11-22T13:40:00+01:00")
        jobs = [first[keys.rounds_job], second[keys.rounds_job]]
        clock.set(at("2026-11-22T13:10"))
        await asyncio.gather(*(job.run_due(clock.now()) for job in jobs))
        assert await log_of(api, incident["id"], "inject.delivered") == []
        assert jobs[0].wake_at == at("2026-11-22T13:20")
        for when in ("2026-11-22T13:20", "2026-11-22T13:40"):
            clock.set(at(when))
            for _ in range(3):
                await asyncio.gather(*(job.run_due(clock.now()) for job in jobs))

        delivered = await log_of(api, incident["id"], "inject.delivered")
        assert [(e["data"]["number"], e["at"]) for e in delivered] == [
            (1, z("2026-11-22T13:20")),
            (2, z("2026-11-22T13:40")),
        ]
        assert all("text" not in e["data"] for e in delivered)
        mails = await outbox(dsn, "inject.delivered")
        assert Counter((m["destination"], m["message_id"]) for m in mails).most_common(1)[0][1] == 1
        assert len(mails) == 4  # two injects, two participants with a contact each
        assert all(m["payload"]["subject"].startswith("ÖVNING ") for m in mails)
        assert all(m["payload"]["text"].startswith("ÖVNING") for m in mails)
        seen = await injects_seen(api, incident["id"], ("1442", "reporter"))
        assert [(i["number"], i["state"]) for i in seen] == [(1, "delivered"), (2, "delivered")]


async def test_an_inject_due_while_the_service_was_down_is_delivered_at_start(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        await add_contacts(api, CONTACTS)
        incident = await exercise(api, participants=["1440", "1442"])
        await add_inject(api, incident["id"], text="Elen går i Ale", offset_minutes=20)
    clock.set(at("2026-11-22T13:50"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        [event] = await log_of(api, incident["id"], "inject.delivered")
        assert event["at"] == z("2026-11-22T13:50")
        assert event["data"]["scheduled_at"] == z("2026-11-22T13:20")
    assert len(await outbox(dsn, "inject.delivered")) == 2


async def test_a_withdrawn_inject_is_not_delivered(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        await add_contacts(api, CONTACTS)
        incident = await exercise(api, participants=["1440", "1442"])
        inject = await add_inject(api, incident["id"], text="Elen går", offset_minutes=20)
        await add_inject(api, incident["id"], text="Vattnet stiger", offset_minutes=30)
        path = f"/api/v1/incidents/{incident['id']}/injects/{inject['id']}/withdraw"
        assert (await api.call("POST", path, as_=OFFICER)).status == 200
        clock.set(at("2026-11-22T14:30"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        delivered = await log_of(api, incident["id"], "inject.delivered")
        assert [e["data"]["number"] for e in delivered] == [2]
        states = {i["number"]: i["state"] for i in await injects_seen(api, incident["id"], OFFICER)}
        assert states == {1: "withdrawn", 2: "delivered"}
    assert {
        m["payload"]["text"].count("Elen går") for m in await outbox(dsn, "inject.delivered")
    } == {0}


async def test_an_inject_for_chosen_participants_reaches_only_them(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        await add_contacts(api, CONTACTS)
        incident = await exercise(api, participants=["1440", "1442"])
        await add_inject(
            api, incident["id"], text="Bara Vårgårda", offset_minutes=5, audience=["1442"]
        )
    clock.set(at("2026-11-22T13:05"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        assert len(await injects_seen(api, incident["id"], ("1442", "reporter"))) == 1
        assert await injects_seen(api, incident["id"], ("1440", "reporter")) == []
        assert len(await injects_seen(api, incident["id"], ("LST-14", "viewer"))) == 1
        log = await api.call(
            "GET", f"/api/v1/incidents/{incident['id']}/log", as_=("1440", "reporter")
        )
        assert "Bara Vårgårda" not in str(log.body)
    [mail] = await outbox(dsn, "inject.delivered")
    assert mail["payload"]["to"] == ["isk@vargarda.example.se"]


async def test_no_inject_appears_in_the_national_roll_up(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        incident = await exercise(api, participants=["1440", "1442"])
        await add_inject(api, incident["id"], text="Inspel om elavbrott", offset_minutes=5)
    clock.set(at("2026-11-22T13:05"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        assert len(await log_of(api, incident["id"], "inject.delivered")) == 1
        national = await api.call("GET", "/api/v1/national", as_=("MSB", "viewer"))
        assert national.status == 200, national.body
        assert "Inspel om elavbrott" not in str(national.body)
        assert "inject" not in str(national.body)


async def test_the_demo_script_delivers_one_inject_at_once_and_one_later(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        incident = await exercise(api, participants=["1440", "1442"])
    clock.set(at("2026-11-22T16:00"))
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        await add_demo_script(
            pool,
            await board(pool),
            uuid.UUID(incident["id"]),
            clock.now(),
            written_at=at("2026-11-22T13:00"),
        )
    finally:
        await pool.close()
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        first = await log_of(api, incident["id"], "inject.delivered")
        assert [e["data"]["number"] for e in first] == [1]
    clock.set(at("2026-11-22T16:15"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        both = await log_of(api, incident["id"], "inject.delivered")
        assert [e["data"]["number"] for e in both] == [1, 2]


async def test_a_links_report_page_shows_the_injects_meant_for_its_organisation(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        incident = await exercise(api, participants=["1440", "1442"])
        await add_inject(
            api, incident["id"], text="Till Vårgårda", offset_minutes=5, audience=["1442"]
        )
        await add_inject(api, incident["id"], text="Till Ale", offset_minutes=5, audience=["1440"])
        made = await api.call(
            "POST",
            f"/api/v1/incidents/{incident['id']}/invitations",
            as_=OFFICER,
            json_body={"organisation": "1442"},
        )
        assert made.status == 201, made.body
    clock.set(at("2026-11-22T13:05"))
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        page = await api.call("GET", URL(made.body["link"]).path)
        assert page.status == 200
        assert "Till Vårgårda" in str(page.body)
        assert "Till Ale" not in str(page.body)
        assert "ÖVNING" in str(page.body)


async def test_an_inject_moved_later_while_a_run_was_under_way_waits_for_its_new_time(
    settings: Settings, dsn: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run read the inject as due; before it took the lock, the duty officer moved
    it an hour on. It is delivered at the new time, not the old one."""
    app = create_app(settings, dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await exercise(api, participants=["1440", "1442"])
        inject = await add_inject(api, incident["id"], text="Elen går", offset_minutes=20)
        path = f"/api/v1/incidents/{incident['id']}/injects/{inject['id']}"
        read_due = inject_repo.due

        async def due_then_moved(conn: Any, now: Any) -> Any:
            found = await read_due(conn, now)
            moved = await api.call(
                "PUT", path, as_=OFFICER, json_body={"text": "Elen går", "offset_minutes": 80}
            )
            assert moved.status == 200, moved.body
            return found

        monkeypatch.setattr(inject_repo, "due", due_then_moved)
        clock.set(at("2026-11-22T13:25"))
        await app[keys.rounds_job].run_due(clock.now())
        assert await log_of(api, incident["id"], "inject.delivered") == []
        monkeypatch.setattr(inject_repo, "due", read_due)
        clock.set(at("2026-11-22T14:20"))
        await app[keys.rounds_job].run_due(clock.now())
        [event] = await log_of(api, incident["id"], "inject.delivered")
        assert event["at"] == z("2026-11-22T14:20")
