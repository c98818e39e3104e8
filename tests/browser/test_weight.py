"""Page weight: on a phone, the report page's first load ≤ 150 KB transferred, a later
load ≤ 20 KB (static files are cached by their hashed URLs); on a laptop, the
dashboard's first load, map and charts included, ≤ 250 KB.

Bytes are counted on the wire, by a pass-through proxy between Chromium and the app:
headers, compression and everything the service worker fetches included. The figures
are written to test-artifacts/page-weights.txt.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import expect

from service.access import sessions
from service.clock import SystemClock
from service.repo import users
from tests.browser.conftest import DESK, PHONE, People
from tests.browser.support import SHOTS
from tests.browser.test_layout import busy_incident
from tests.support import Api

FIRST_LOAD_LIMIT = 150 * 1024
DASHBOARD_LIMIT = 250 * 1024
LATER_LOAD_LIMIT = 20 * 1024


class CountingProxy:
    """Forwards TCP connections to the app and counts the bytes sent to the browser."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.received = 0
        self.port = 0

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, count: bool
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if count:
                    self.received += len(chunk)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(ConnectionError, RuntimeError):
                writer.close()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        await asyncio.gather(
            self._pipe(client_r, server_w, count=False),
            self._pipe(server_r, client_w, count=True),
        )

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[CountingProxy]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), 2)


async def test_report_page_is_light_on_first_load_and_lighter_after(
    people: People, api: Api, server: TestServer, dsn: str
) -> None:
    incident = await api.activate(exercise=True)
    reporter = await people.make("1442", "reporter")
    assert server.port is not None
    async with CountingProxy(server.port).running() as proxy:
        base = f"http://127.0.0.1:{proxy.port}"
        context = await people.context(PHONE)
        # Logged in, with nothing cached: the phone's first visit to the report page.
        await context.add_cookies(
            [
                {
                    "name": sessions.COOKIE,
                    "value": await _session_for(dsn, reporter.email),
                    "url": base,
                }
            ]
        )
        page = await context.new_page()
        path = f"{base}/incidents/{incident['id']}/report"
        await page.goto(path)
        await page.wait_for_function(
            "caches.open('lagesbild-pages-v1').then(c => c.match(location.pathname)).then(Boolean)"
        )
        await page.wait_for_load_state("networkidle")
        first = proxy.received

        proxy.received = 0
        await page.goto(path)
        await expect(page.locator("#review")).to_be_visible()
        await page.wait_for_load_state("networkidle")
        later = proxy.received

    _write_weight(
        f"report page, first load: {first} bytes\nreport page, later load: {later} bytes\n"
    )
    assert first <= FIRST_LOAD_LIMIT, first
    assert later <= LATER_LOAD_LIMIT, later


async def test_dashboard_with_its_map_is_under_250_kb_on_first_load(
    people: People, api: Api, server: TestServer, dsn: str
) -> None:
    incident_id = await busy_incident(api)  # all 49 municipalities, a dozen reports
    viewer = await people.make("LST-14", "viewer")
    assert server.port is not None
    async with CountingProxy(server.port).running() as proxy:
        base = f"http://127.0.0.1:{proxy.port}"
        context = await people.context(DESK)
        await context.add_cookies(
            [{"name": sessions.COOKIE, "value": await _session_for(dsn, viewer.email), "url": base}]
        )
        page = await context.new_page()
        await page.goto(f"{base}/incidents/{incident_id}")
        await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
        await expect(page.locator("#map a.area.lvl-critical").first).to_be_visible()
        await expect(page.locator("#timeline table")).to_have_count(7)
        await page.wait_for_load_state("networkidle")
        first = proxy.received
    _write_weight(f"dashboard with the map, first load: {first} bytes\n")
    assert first <= DASHBOARD_LIMIT, first


def _write_weight(line: str) -> None:
    SHOTS.parent.mkdir(parents=True, exist_ok=True)
    with (SHOTS.parent / "page-weights.txt").open("a", encoding="utf-8") as out:
        out.write(line)


async def _session_for(dsn: str, email: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        user = await users.by_email(conn, email)
        assert user is not None
        new = await sessions.start(
            conn, user.id, at=SystemClock().now(), lifetime=timedelta(hours=1)
        )
    finally:
        await conn.close()
    return new.token
