"""What a browser may keep and run: nothing that needs a log-in is stored (the Back
button after log-out shows no authenticated page), and the HTML export is a page
under the same policy as the others."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from tests.support import Api, Who, report
from tests.web.support import Browser, add_user

ADA = "ada@lst14.example.se"
VIEWER: Who = ("LST-14", "viewer")


@pytest.fixture
async def browser(server: TestServer, dsn: str) -> AsyncIterator[Browser]:
    await add_user(dsn, ADA, organisation="LST-14", role="duty_officer")
    async with Browser(server) as opened:
        yield opened


async def test_pages_and_api_answers_of_a_session_are_never_stored(
    api: Api, browser: Browser
) -> None:
    incident = await api.activate()
    await browser.login(ADA)
    for path in (
        "/incidents",
        f"/incidents/{incident['id']}",
        "/api/v1/incidents",
        f"/api/v1/incidents/{incident['id']}/picture",
        f"/api/v1/incidents/{incident['id']}/export?format=csv",
        "/api/v1/incidents/00000000-0000-4000-8000-000000000000",
    ):
        reply = await browser.get(path)
        assert reply.status in (200, 404), (path, reply.body)
        assert reply.headers.get("Cache-Control") == "no-store", (path, reply.headers)


async def test_api_answers_and_exports_for_a_token_are_never_stored(api: Api) -> None:
    incident = await api.activate()
    for fmt in ("json", "csv", "html"):
        reply = await api.call(
            "GET", f"/api/v1/incidents/{incident['id']}/export?format={fmt}", as_=VIEWER
        )
        assert reply.status == 200
        assert reply.headers.get("Cache-Control") == "no-store", fmt
    reply = await api.call("GET", "/api/v1/incidents", as_=VIEWER)
    assert reply.headers.get("Cache-Control") == "no-store"


async def test_the_html_export_has_the_pages_policy_and_keeps_its_own_style(api: Api) -> None:
    incident = await api.activate()
    await api.submit(incident["id"], report("1442", situation="Lugnt"))
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/export?format=html", as_=VIEWER
    )
    csp = reply.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "style-src 'self' 'sha256-" in csp  # the export's one inline stylesheet, by hash
    assert "'unsafe-inline'" not in csp
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


async def test_static_files_are_still_cached(browser: Browser) -> None:
    reply = await browser.get("/login")
    assert reply.headers.get("Cache-Control") == "no-store"
    assert "Content-Security-Policy" in reply.headers
    css = await browser.get("/static/app.css")
    assert "no-store" not in css.headers.get("Cache-Control", "")


async def test_a_nul_in_the_login_email_is_a_failed_login_not_a_500(browser: Browser) -> None:
    for email in ("ada\x00@lst14.example.se", "\x00", ADA + "\x00"):
        _, reply = await browser.post_login(email, headers={"Accept": "text/html"})
        assert reply.status == 401, reply.body


async def test_unicode_digits_in_a_round_page_are_404(api: Api, browser: Browser) -> None:
    incident = await api.activate()
    await browser.login(ADA)
    for number in ("¹", "٣", "𝟗"):
        reply = await browser.get(f"/incidents/{incident['id']}/rounds/{number}")
        assert reply.status == 404, (number, reply.status)
