"""The wall screen sees a round close live: the event and the patch that fills overdue."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.picture.merge_patch import merge
from tests.rounds.support import VIEWER, at, picture_of, z
from tests.stream.wsclient import Streams
from tests.support import Api, report


@pytest.fixture
async def streams(api: Api) -> AsyncIterator[Streams]:
    opened = Streams(api)
    yield opened
    await opened.aclose()


async def test_round_closed_reaches_subscribers_with_the_patch_that_lists_the_overdue(
    api: Api, app: web.Application, clock: FixedClock, streams: Streams
) -> None:
    incident = await api.activate()
    topic = f"incident:{incident['id']}"
    viewer = await streams.open(*VIEWER)
    await viewer.subscribe(topic)
    snapshot = await viewer.expect("snapshot", topic)
    clock.set(at("2026-11-22T13:40"))
    assert (await api.submit(incident["id"], report("1442"))).status == 201

    clock.set(at("2026-11-22T14:00"))
    await app[keys.rounds_job].run_due(clock.now())

    submitted, closed = await viewer.events(2, topic)
    assert closed["event"]["kind"] == "round.closed"
    assert closed["event"]["at"] == z("2026-11-22T14:00")
    assert closed["patch"]["reporting"] == {
        "due_at": z("2026-11-22T20:00"),
        "received": 0,
        "overdue": ["1440", "1441", "1443", "1444"],
    }
    live = merge(merge(snapshot["picture"], submitted["patch"]), closed["patch"])
    assert live == await picture_of(api, incident["id"])
