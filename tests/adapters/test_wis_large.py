"""A report valid in Lägesbild never dead-letters at the WIS node for its size: bodies go
as UTF-8, and one over the node's limit has its free text shortened, saying so."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.wis.fit import NOTE, encoded, fitted
from adapters.wis.mock import Actor, Store, create_mock_app, store_of
from service import keys
from service.clock import FixedClock
from service.config import Settings
from service.demo.ports import free_port
from tests.outbox.support import OUTBOX_LIMITS
from tests.settings import with_changes
from tests.support import Api, report

NODE_TOKEN = "node-token-lagesbild"
# A node that takes less than Lägesbild does (as real ones may).
NODE_LIMIT = 128 * 1024
SECTORS = ("water", "energy", "food", "care", "communication", "transport", "other")


def largest_report(organisation: str) -> dict[str, Any]:
    """A valid report near the most Lägesbild takes, in letters that are long in JSON."""
    long = ("Översvämning vid ån 🌊 " * 500)[:10_000].strip()
    short = ("Åtgärd på plats 🚒 " * 30)[:500].strip()
    return report(
        organisation,
        situation=long,
        development={"trend": "worsening", "text": long},
        sectors=[{"sector": s, "status": "serious", "text": long} for s in SECTORS],
        measures_taken=[short] * 100,
        measures_planned=[short] * 100,
    )


class Node:
    def __init__(self, max_body_bytes: int) -> None:
        self.limit = max_body_bytes
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_mock_app(
            {NODE_TOKEN: Actor("lagesbild", "Lägesbild", system=True)},
            max_body_bytes=max_body_bytes,
        )
        self.server = TestServer(self.app, host="127.0.0.1", port=self.port)

    @property
    def store(self) -> Store:
        return store_of(self.app)


@pytest.fixture(params=["default-limit", "small-node"])
async def node(request: pytest.FixtureRequest) -> AsyncIterator[Node]:
    mock = Node(1024 * 1024 if request.param == "default-limit" else NODE_LIMIT)
    await mock.server.start_server()
    yield mock
    await mock.server.close()


@pytest.fixture
def settings(settings: Settings, node: Node) -> Settings:
    return with_changes(
        settings,
        wis_url=node.url,
        wis_token=NODE_TOKEN,
        wis_poll_seconds=3600.0,
        wis_max_body_bytes=node.limit,  # Lägesbild is told the node's limit
        max_body_bytes=1024 * 1024,  # Lägesbild's own default: the report is valid
        **OUTBOX_LIMITS,
    )


async def _drain(app: web.Application, clock: FixedClock) -> None:
    for _ in range(50):
        clock.set(clock.now() + timedelta(seconds=61))
        if await app[keys.outbox_worker].run_once() == 0:
            return
    raise AssertionError("the outbox never went quiet")


async def test_the_largest_valid_report_reaches_the_node_as_an_answer(
    api: Api, app: web.Application, clock: FixedClock, node: Node, dsn: str
) -> None:
    incident = await api.activate()
    body = largest_report("1442")
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    assert len(data) <= 1024 * 1024  # within Lägesbild's own limit: a valid report
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/reports",
        as_=("1442", "reporter"),
        data=data,
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 201, reply.body
    await _drain(app, clock)

    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT kind, status, last_error FROM outbox WHERE destination='wis'"
        )
    finally:
        await conn.close()
    assert {row["status"] for row in rows} == {"delivered"}, [dict(r) for r in rows]
    answer = node.store.answers[body["report_id"]]
    if node.limit == NODE_LIMIT:
        assert answer["tillstånd"].endswith(NOTE)
        assert answer["tillstånd"].startswith("Översvämning vid ån 🌊")
        assert all(entry["kommentar"].endswith(NOTE) for entry in answer["påverkan"])
        assert [entry["nivå"] for entry in answer["påverkan"]] == ["Allvarlig"] * 7
        assert len(data) > NODE_LIMIT  # whole, it would have been a 413: a dead letter
    else:
        assert answer["tillstånd"] == body["situation"]  # whole: UTF-8 fits the node


def test_a_body_within_the_limit_is_left_whole() -> None:
    body = {"id": "x", "text": "Kort"}
    assert fitted(body, 1000) == (body, False)


def test_shortening_keeps_identifiers_and_cuts_only_free_text() -> None:
    body = {"id": "a" * 5000, "text": "å" * 50_000, "påverkan": [{"kommentar": "ö" * 50_000}]}
    shortened, cut = fitted(body, 40_000)
    assert cut
    assert shortened["id"] == body["id"]
    assert len(encoded(shortened)) <= 40_000
    assert shortened["text"].endswith(NOTE)
    assert shortened["påverkan"][0]["kommentar"].endswith(NOTE)
