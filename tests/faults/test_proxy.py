"""The fault proxy itself: what it drops, cuts, holds back and lets through."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.faults.proxy import FaultProxy


@pytest.fixture
async def counting() -> AsyncIterator[tuple[TestServer, list[str]]]:
    """A service that remembers every request it answered."""
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(await request.text())
        return web.Response(text="stored")

    app = web.Application()
    app.router.add_post("/", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server, seen
    await server.close()


async def outcomes(port: int, count: int) -> list[str]:
    """Send `count` requests one after another; what each one got back."""
    found = []
    async with aiohttp.ClientSession() as session:
        for number in range(count):
            try:
                async with session.post(f"http://127.0.0.1:{port}/", data=str(number)) as r:
                    found.append(await r.text())
            except aiohttp.ClientError:
                found.append("lost")
    return found


async def test_a_dropped_response_is_lost_after_the_service_took_the_request(
    counting: tuple[TestServer, list[str]],
) -> None:
    server, seen = counting
    proxy = FaultProxy(server.port or 0, seed=1, drop_responses=1.0)
    port = await proxy.start()
    try:
        got = await outcomes(port, 3)
    finally:
        await proxy.close()

    assert got == ["lost", "lost", "lost"]
    assert seen == ["0", "1", "2"]
    assert proxy.counts.dropped_responses == 3


async def test_the_same_seed_drops_the_same_responses(
    counting: tuple[TestServer, list[str]],
) -> None:
    server, _ = counting
    runs = []
    for _ in range(2):
        proxy = FaultProxy(server.port or 0, seed=42, drop_responses=0.5, delay=0.001)
        port = await proxy.start()
        try:
            runs.append(await outcomes(port, 20))
        finally:
            await proxy.close()

    assert runs[0] == runs[1]
    assert "lost" in runs[0]
    assert "stored" in runs[0]


async def test_a_frozen_link_passes_nothing_closes_nothing_and_notices_the_far_end_closing(
    counting: tuple[TestServer, list[str]],
) -> None:
    server, seen = counting
    proxy = FaultProxy(server.port or 0, seed=1)
    port = await proxy.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.sleep(0.05)
        proxy.freeze()
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n7")
        await writer.drain()
        await asyncio.sleep(0.2)
        assert seen == []
        assert proxy.open_connections == 1
        await server.close()  # the service ends its side
        async with asyncio.timeout(10):
            while not proxy.closed_while_frozen:  # noqa: ASYNC110  # the proxy's own state
                await asyncio.sleep(0.01)
        with contextlib.suppress(OSError):
            assert await reader.read() == b""  # not one byte of an answer came through
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    finally:
        await proxy.close()

    assert seen == []
