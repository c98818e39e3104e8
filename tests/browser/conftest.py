"""Browser tests: Debian's Chromium, headless, driven by Playwright, against the real app.

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

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, async_playwright

from schemas.common import Role
from service.access.sessions import create_user
from service.app import create_app
from service.clock import Clock, SystemClock
from service.config import Settings

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


@pytest.fixture
def clock() -> Clock:
    return SystemClock()


@pytest.fixture
async def app(settings: Settings, dsn: str, clock: Clock) -> web.Application:
    return create_app(settings, dsn=dsn, clock=clock)


@pytest.fixture
async def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


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

    async def context(self, viewport: ViewportSize | None = None) -> BrowserContext:
        context = await self.browser.new_context(
            viewport=viewport or DESK, locale="sv-SE", timezone_id="Europe/Stockholm"
        )
        context.set_default_timeout(15_000)
        return context

    async def login(
        self, person: Person, viewport: ViewportSize | None = None, *, path: str = "/incidents"
    ) -> Page:
        context = await self.context(viewport)
        page = await context.new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        await page.goto(f"{self.base_url}/login?next={path}")
        await page.fill("#email", person.email)
        await page.fill("#password", PASSWORD)
        await page.click("main button[type=submit]")
        await page.wait_for_url(f"{self.base_url}{path}")
        return page


@pytest.fixture
async def people(dsn: str, browser: Browser, base_url: str) -> AsyncIterator[People]:
    everyone = People(dsn, browser, base_url)
    yield everyone
    assert everyone.page_errors == [], everyone.page_errors
