"""Fixtures for the outbox: a real SMTP server, real HTTP receivers, the test's outbox.

The worker's background loop is off here (`outbox_worker=False`); tests drive it one
pass at a time with `run_once()` and move the FixedClock instead of sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service.clock import FixedClock
from service.config import Settings
from service.demo.ports import free_port
from tests.outbox.support import (
    OUTBOX_LIMITS,
    Outbox,
    Receiver,
    SmtpSink,
    receiver_app,
    smtp_server,
)
from tests.settings import with_changes


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[SmtpSink, int]]:
    async with smtp_server() as running:
        yield running


@pytest.fixture
def settings(settings: Settings, smtp: tuple[SmtpSink, int]) -> Settings:
    """The suite's test settings, with the outbox's limits small and e-mail to the sink."""
    return with_changes(
        settings,
        **OUTBOX_LIMITS,
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_from="lagesbild@lst14.example.se",
    )


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    """Start receivers on demand: `await receivers()`, or `port=` to reuse a port."""
    servers: list[TestServer] = []

    async def start(*, port: int | None = None, receiver: Receiver | None = None) -> Receiver:
        port = port or free_port()
        target = receiver or Receiver(url=f"http://127.0.0.1:{port}/hook")
        server = TestServer(receiver_app(target), host="127.0.0.1", port=port)
        await server.start_server()
        servers.append(server)
        return target

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def outbox(server: TestServer, app: web.Application, dsn: str, clock: FixedClock) -> Outbox:
    """The app is served (so its cleanup contexts ran) and its worker is idle."""
    return Outbox(dsn, app, clock)
