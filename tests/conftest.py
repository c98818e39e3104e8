"""Test fixtures: one embedded PostgreSQL per session, a fresh database per test.

Each test gets its own database, cloned from a template that already holds the
migrations and the seed organisations, and a real app from `create_app` served on
a real socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import hypothesis
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db.embedded import embedded_server, with_database
from service.db.pool import prepare_database
from tests.support import Api

# Locally, hypothesis explores new examples on every run; in CI (CI=true) it draws the
# same ones every time, so main stays green or red for a reason, not by chance.
hypothesis.settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis.settings.load_profile("ci")

TEMPLATE = "lagesbild_template"
# Sunday 22 November 2026, 13:00 in Stockholm.
T0 = datetime.fromisoformat("2026-11-22T13:00:00+01:00")


class PgServer:
    def __init__(self, base_uri: str) -> None:
        self.base_uri = base_uri

    def uri(self, database: str) -> str:
        return with_database(self.base_uri, database)

    async def _admin(self, sql: str) -> None:
        admin = await asyncpg.connect(self.base_uri)
        try:
            await admin.execute(sql)
        finally:
            await admin.close()

    @contextlib.asynccontextmanager
    async def database(self, prefix: str, *, template: str | None = None) -> AsyncIterator[str]:
        """A new database (a copy of `template`, or empty) for as long as the block runs."""
        name = f"{prefix}_{uuid.uuid4().hex[:16]}"
        copy = f" TEMPLATE {template}" if template else ""
        await self._admin(f"CREATE DATABASE {name}{copy}")
        try:
            yield self.uri(name)
        finally:
            await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


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
    return Settings(
        data_dir=tmp_path,
        log_format="console",
        log_level="warning",
        max_body_bytes=64 * 1024,
        stream_queue_size=64,
        stream_heartbeat_seconds=5,
        stream_send_timeout_seconds=2,
        stream_replay_limit=50,
        shutdown_timeout_seconds=2,
        db_pool_min=1,
        db_pool_max=10,
        # Tests run the rounds job themselves (`app[keys.rounds_job].run_due(now)`).
        rounds_timer=False,
        rounds_tick_seconds=3600,
    )


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
