"""The demo lives through its rounds: past rounds closed with snapshots, reminders queued."""

from __future__ import annotations

import asyncpg

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.county import DEMO_CONTACTS, ensure_demo
from tests.rounds.support import VIEWER, outbox, rounds_of, z
from tests.support import served


async def test_demo_has_closed_rounds_with_snapshots_and_reminder_contacts(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    await ensure_demo(dsn, settings, clock=clock)  # 13:00; activated at 11:00 the day before
    conn = await asyncpg.connect(dsn)
    try:
        incident_id = str(await conn.fetchval("SELECT id FROM incidents"))
        contacts = await conn.fetchval("SELECT count(*) FROM organisation_contacts")
    finally:
        await conn.close()
    assert contacts == len(DEMO_CONTACTS)
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        rounds = await rounds_of(api, incident_id)
        assert [(r["n"], r["due_at"]) for r in rounds] == [
            (1, z("2026-11-21T14:00")),
            (2, z("2026-11-21T20:00")),
            (3, z("2026-11-22T08:00")),
        ]
        assert all(0 < r["on_time"] < r["expected"] == 49 for r in rounds)
        assert any(r["late"] > 0 for r in rounds)
        snapshot = await api.call(
            "GET", f"/api/v1/incidents/{incident_id}/rounds/2/picture", as_=VIEWER
        )
        assert snapshot.body["reporting"]["due_at"] == z("2026-11-22T08:00")
        assert snapshot.body["reporting"]["overdue"]
        picture = await api.call("GET", f"/api/v1/incidents/{incident_id}/picture", as_=VIEWER)
        assert picture.body["reporting"]["due_at"] == z("2026-11-22T14:00")
    assert {m["kind"] for m in await outbox(dsn)} >= {"reminder.due"}


async def test_the_demos_agency_user_sees_vastra_gotalands_exercise_on_the_national_roll_up(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    await ensure_demo(dsn, settings, clock=clock)
    users = (settings.data_dir / "demo-users.txt").read_text(encoding="utf-8")
    assert "msb@demo.example" in users
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        reply = await api.call("GET", "/api/v1/national", as_=("MSB", "viewer"))
        assert reply.status == 200, reply.body
        assert reply.body["real"]["incidents"] == {}
        county = reply.body["exercise"]["counties"]["14"]
        assert county["name"] == "Västra Götalands län"
        assert county["reporting"]["expected"] == 49
        (incident,) = reply.body["exercise"]["incidents"].values()
        assert incident["exercise"] is True
        assert incident["title"].startswith("ÖVNING")
