"""Browser tests: Debian's Chromium, headless, driven by Playwright, against the real app.

One Chromium for the whole run, a fresh browser context (cookies, storage, service
workers, time zone) for each test. Playwright's connection lives on the event loop
that started it, so these tests and their async fixtures run on the session's loop;
each test still gets its own database, app and server.

The browser runs on real time, so these tests serve the app with the system clock.
Screenshots of every page go to `test-artifacts/screenshots/` (kept after the run,
for a person to look at).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from schemas.common import Role
from service.access.sessions import create_user
from service.app import create_app
from service.clock import Clock, SystemClock
from service.config import Settings
from tests.database import TEMPLATE, PgServer
from tests.support import Api

CHROMIUM = os.environ.get("LAGESBILD_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
PHONE: ViewportSize = {"width": 360, "height": 740}
DESK: ViewportSize = {"width": 1400, "height": 900}
WALL: ViewportSize = {"width": 1920, "height": 1080}
STOCKHOLM = "Europe/Stockholm"
HERE = Path(__file__).resolve().parent

session_loop = pytest_asyncio.fixture(loop_scope="session")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder runs on the session's loop, where the browser lives."""
    for item in items:
        if item.path.is_relative_to(HERE) and pytest_asyncio.is_async_test(item):
            item.add_marker(pytest.mark.asyncio(loop_scope="session"), append=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


# The suite's per-test fixtures, on the session's loop.


@session_loop
async def dsn(pg_server: PgServer) -> AsyncIterator[str]:
    async with pg_server.database("t", template=TEMPLATE) as test_dsn:
        yield test_dsn


@pytest.fixture
def clock() -> Clock:
    return SystemClock()


@session_loop
async def app(settings: Settings, dsn: str, clock: Clock) -> web.Application:
    return create_app(settings, dsn=dsn, clock=clock)


@session_loop
async def server(app: web.Application) -> AsyncIterator[TestServer]:
    test_server = TestServer(app)
    await test_server.start_server()
    yield test_server
    await test_server.close()


@session_loop
async def api(server: TestServer, dsn: str) -> AsyncIterator[Api]:
    async with Api(str(server.make_url("")).rstrip("/"), dsn) as client:
        yield client


@session_loop
async def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@dataclass
class Person:
    email: str
    organisation: str
    role: Role


class People:
    """Users of the app under test, made on demand, and logged-in browser pages for them."""

    def __init__(self, dsn: str, browser: Browser, base_url: str) -> None:
        self.dsn = dsn
        self.browser = browser
        self.base_url = base_url
        self.page_errors: list[str] = []  # uncaught script errors on any page: a test fails
        self.contexts: list[BrowserContext] = []

    async def make(self, organisation: str, role: Role, name: str | None = None) -> Person:
        email = f"{role}.{organisation}.{uuid.uuid4().hex[:6]}@test.example".lower()
        conn = await asyncpg.connect(self.dsn)
        try:
            await create_user(
                conn,
                email=email,
                name=name or f"{role} {organisation}",
                organisation=organisation,
                role=role,
                password=PASSWORD,
                at=SystemClock().now(),
            )
        finally:
            await conn.close()
        return Person(email, organisation, role)

    async def context(
        self,
        viewport: ViewportSize | None = None,
        *,
        timezone_id: str = STOCKHOLM,
        java_script_enabled: bool = True,
    ) -> BrowserContext:
        """A fresh context of the shared browser, closed when the test ends."""
        context = await self.browser.new_context(
            viewport=viewport or DESK,
            locale="sv-SE",
            timezone_id=timezone_id,
            java_script_enabled=java_script_enabled,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return context

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()
        self.contexts.clear()

    async def login(
        self,
        person: Person,
        viewport: ViewportSize | None = None,
        *,
        path: str = "/incidents",
        timezone_id: str = STOCKHOLM,
    ) -> Page:
        context = await self.context(viewport, timezone_id=timezone_id)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        await page.goto(f"{self.base_url}/login?next={path}")
        await page.fill("#email", person.email)
        await page.fill("#password", PASSWORD)
        await page.click("main button[type=submit]")
        await page.wait_for_url(f"{self.base_url}{path}")
        return page


@session_loop
async def people(dsn: str, browser: Browser, base_url: str) -> AsyncIterator[People]:
    everyone = People(dsn, browser, base_url)
    try:
        yield everyone
    finally:
        await everyone.close()
    assert everyone.page_errors == [], everyone.page_errors
