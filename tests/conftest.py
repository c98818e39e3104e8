"""Test fixtures: one embedded PostgreSQL per session, a fresh database per test.

Each test gets its own database, cloned from a template that already holds the
migrations and the seed organisations, and a real app from `create_app` served on
a real socket.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import hypothesis
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db.embedded import embedded_server
from service.db.pool import prepare_database
from tests.database import TEMPLATE, PgServer
from tests.logcapture import restored_logging
from tests.settings import suite_settings
from tests.support import T0, Api

# Locally, hypothesis explores new examples on every run; in CI (CI=true) it draws the
# same ones every time, so main stays green or red for a reason, not by chance.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    server = embedded_server(tmp_path_factory.mktemp("pg"), cleanup_mode="delete")
    pg = PgServer(server.get_uri())

    async def make_template() -> None:
        admin = await asyncpg.connect(pg.base_uri)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        await prepare_database(pg.uri(TEMPLATE))

    asyncio.run(make_template())
    yield pg
    server.cleanup()


@pytest.fixture
async def dsn(pg_server: PgServer) -> AsyncIterator[str]:
    """A database of this test's own, with migrations and organisations in place."""
    async with pg_server.database("t", template=TEMPLATE) as test_dsn:
        yield test_dsn


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return suite_settings(tmp_path)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def app(settings: Settings, dsn: str, clock: FixedClock) -> web.Application:
    return create_app(settings, dsn=dsn, clock=clock)


@pytest.fixture
async def server(app: web.Application) -> AsyncIterator[TestServer]:
    """The app served on a real socket."""
    test_server = TestServer(app)
    await test_server.start_server()
    yield test_server
    await test_server.close()


@pytest.fixture
async def api(server: TestServer, dsn: str) -> AsyncIterator[Api]:
    async with Api(str(server.make_url("")).rstrip("/"), dsn) as client:
        yield client


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Whatever a test does to logging is undone afterwards, cached loggers included."""
    with restored_logging():
        yield
