"""The demo's county board has published summary 1 after an earlier round, and queued it
for the county's recipients."""

from __future__ import annotations

import json

import asyncpg

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.county import DEMO_SUMMARY_RECIPIENT, ensure_demo
from tests.rounds.support import VIEWER, z
from tests.support import served


async def test_demo_publishes_summary_one_after_an_earlier_round(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    await ensure_demo(dsn, settings, clock=clock)  # 13:00; activated at 11:00 the day before
    conn = await asyncpg.connect(dsn)
    try:
        incident_id = str(await conn.fetchval("SELECT id FROM incidents"))
        queued = await conn.fetch(
            "SELECT destination, payload FROM outbox WHERE kind = 'summary.published'"
        )
    finally:
        await conn.close()
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        listed = await api.call("GET", f"/api/v1/incidents/{incident_id}/summaries", as_=VIEWER)
        assert [s["number"] for s in listed.body["summaries"]] == [1]
        one = listed.body["summaries"][0]
        # After round 2 (20:00 the day before), before round 3 at 08:00.
        assert z("2026-11-21T20:00") < one["published_at"] < z("2026-11-22T08:00")
        picture = await api.call("GET", f"/api/v1/incidents/{incident_id}/picture", as_=VIEWER)
        assert picture.body["summary"]["number"] == 1
        assert picture.body["summary"]["requests"][0]["id"] == "msb-1"
        assert picture.body["summary"]["picture_seq"] < picture.body["seq"]
        page = await api.call(
            "GET", f"/api/v1/incidents/{incident_id}/summaries/1?format=html", as_=VIEWER
        )
        assert "ÖVNING" in page.body
    mails = [json.loads(row["payload"]) for row in queued if row["destination"] == "email"]
    assert [m["to"] for m in mails] == [[DEMO_SUMMARY_RECIPIENT]]
    assert mails[0]["subject"].startswith("ÖVNING: Samlad lägesbild nr 1")
