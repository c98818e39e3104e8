"""The demo's mock WIS node: started with the app by the same function `lagesbild demo`
uses, it receives the demo incident's area, requests, answers and summaries, and again
after a restart (the node keeps nothing between runs)."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import asyncpg
from aiohttp import web

from adapters.wis.demo import demo_node
from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.county import DEMO_TITLE, ensure_demo
from tests.settings import with_changes
from tests.support import served


async def passes(app: web.Application, clock: FixedClock) -> None:
    for _ in range(100):
        clock.set(clock.now() + timedelta(seconds=1))
        if await app[keys.outbox_worker].run_once() == 0:
            return
    raise AssertionError("the outbox never went quiet")


async def demo_log(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT kind, count(*) AS n FROM events GROUP BY kind")
    finally:
        await conn.close()
    return {row["kind"]: row["n"] for row in rows}


async def test_the_demo_node_shows_the_demo_incident_and_again_after_a_restart(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    await ensure_demo(dsn, settings, clock=clock)
    kinds = await demo_log(dsn)
    quiet = with_changes(settings, outbox_worker=False)
    for _run in range(2):
        node = demo_node()
        app = create_app(node.settings_for(quiet), dsn=dsn, clock=clock)
        node.add_to(app)
        async with served(app, dsn):
            await passes(app, clock)
            async with (
                aiohttp.ClientSession() as client,
                client.get(node.url + "/") as page,
            ):
                assert page.status == 200
                text = await page.text()
        store = node.store
        (area,) = store.areas.values()
        assert area["typ"] == "Övning"
        assert area["namn"] == DEMO_TITLE  # it says ÖVNING already: not marked twice
        assert len(area["deltagare"]) == 49
        assert len(store.answers) == kinds["report.submitted"]
        # A summary post per closed round, and the county board's summary 1.
        assert kinds["round.closed"] == 3
        assert kinds["summary.published"] == 1
        assert len(store.posts) == 4
        assert [p["nummer"] for p in store.posts.values() if "nummer" in p] == [1]
        assert len(store.requests) == 4  # three closed rounds and the current deadline
        assert len(store.accepted) == len(set(store.accepted))
        assert f"{len(store.answers)} svar" in text
        assert "Samlad lägesbild" in text
