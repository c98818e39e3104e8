"""The demo's journal, and its log: verified unbroken, and broken after tampering."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.county import DEMO_JOURNAL, ensure_demo
from tests.command import lagesbild
from tests.support import served


async def test_the_demo_has_a_journal_and_a_log_that_verifies_until_it_is_tampered_with(
    settings: Settings, dsn: str, clock: FixedClock, tmp_path: Path
) -> None:
    await ensure_demo(dsn, settings, clock=clock)
    conn = await asyncpg.connect(dsn)
    try:
        incident_id = str(await conn.fetchval("SELECT id FROM incidents"))
    finally:
        await conn.close()
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as api:
        listed = await api.call(
            "GET", f"/api/v1/incidents/{incident_id}/journal", as_=("LST-14", "viewer")
        )
        assert listed.status == 200, listed.body
        entries = listed.body["entries"]
        assert len(entries) == len(DEMO_JOURNAL)
        (decision,) = [e for e in entries if e["significant"]]
        assert decision["category"] == "decision"
        assert decision["decided_by"]
        picture = await api.call(
            "GET", f"/api/v1/incidents/{incident_id}/picture", as_=("LST-14", "viewer")
        )
        assert picture.body["journal"]["count"] == len(DEMO_JOURNAL)
        assert picture.body["journal"]["significant"][0]["number"] == decision["number"]

    verified = await lagesbild("log", "verify", incident_id, database_url=dsn, data_dir=tmp_path)
    assert verified.code == 0, verified.err
    assert verified.out.startswith("unbroken: ")

    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute("SET LOCAL ROLE lagesbild_owner")
            await conn.execute("ALTER TABLE events DISABLE TRIGGER events_immutable")
            await conn.execute(
                "UPDATE events SET data = jsonb_set(data, '{text}', '\"Inget beslut\"')"
                " WHERE incident_id = $1 AND kind = 'journal.entry' AND seq = $2",
                uuid.UUID(incident_id),
                decision["seq"],
            )
            await conn.execute("ALTER TABLE events ENABLE TRIGGER events_immutable")
    finally:
        await conn.close()
    tampered = await lagesbild("log", "verify", incident_id, database_url=dsn, data_dir=tmp_path)
    assert tampered.code == 1
    assert tampered.out.strip() == f"broken at seq {decision['seq']}"
