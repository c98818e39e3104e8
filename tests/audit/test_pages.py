"""The admins' pages: the audit log with filters and a CSV download, tokens and sessions
listed, revoked and ended from the web app."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from service.stream.connection import SESSION_ENDED
from tests.audit.support import audit_rows, closed_for_token
from tests.stream.wsclient import Streams
from tests.support import Api
from tests.web.support import Browser, add_user, closed_with, form_token

ADMIN = "admin@lst14.example.se"
ADA = "ada@lst14.example.se"


@pytest.fixture
async def admin(server: TestServer, dsn: str) -> AsyncIterator[Browser]:
    await add_user(dsn, ADMIN, role="admin")
    async with Browser(server) as browser:
        await browser.login(ADMIN)
        yield browser


async def test_the_audit_page_filters_by_actor_kind_and_organisation(
    admin: Browser, server: TestServer, dsn: str
) -> None:
    await add_user(dsn, ADA)
    async with Browser(server) as other:
        await other.post_login(ADA, "fel lösenord 123")
        await other.login(ADA)

    everything = await admin.get("/admin/audit")
    assert everything.status == 200
    assert "<td>Inloggning misslyckades</td>" in everything.body
    ada_only = await admin.get("/admin/audit?actor=ada%40&kind=login.succeeded")
    assert ada_only.status == 200
    assert ada_only.body.count("<td>Inloggning lyckades</td>") == 1
    assert "<td>Inloggning misslyckades</td>" not in ada_only.body
    nobody = await admin.get("/admin/audit?organisation=1442")
    assert "Inga rader matchar." in nobody.body
    bad = await admin.get("/admin/audit?kind=nonsense&since=igår")
    assert bad.status == 400
    assert "Filtret är felaktigt" in bad.body


async def test_the_audit_csv_guards_against_formulas_and_is_itself_recorded(
    admin: Browser, server: TestServer, dsn: str
) -> None:
    async with Browser(server) as attacker:
        await attacker.post_login('=HYPERLINK("http://evil")@x.se', "whatever-123")
        await attacker.post_login("+1@x.se", "whatever-123")
    response, reply = await admin.request("GET", "/admin/audit.csv?kind=login.failed")
    assert reply.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(reply.body.lstrip("\ufeff"))))
    assert rows[0][:4] == ["id", "at", "kind", "actor"]
    actors = {row[3] for row in rows[1:]}
    assert actors == {'\'=hyperlink("http://evil")@x.se', "'+1@x.se"}
    [made] = await audit_rows(dsn, kind="export.made")
    assert made.actor == ADMIN
    assert made.details == {"format": "audit.csv", "rows": 2}


async def test_someone_not_an_admin_is_refused_the_admin_pages_and_that_is_recorded(
    server: TestServer, dsn: str
) -> None:
    await add_user(dsn, ADA)
    async with Browser(server) as browser:
        await browser.login(ADA)
        for path in ("/admin/audit", "/admin/audit.csv", "/admin/access"):
            assert (await browser.get(path)).status == 403
    rows = await audit_rows(dsn, kind="permission.denied")
    assert [row.details["path"] for row in rows] == [
        "/admin/audit",
        "/admin/audit.csv",
        "/admin/access",
    ]
    assert {row.actor for row in rows} == {ADA}


async def test_an_admin_revokes_a_token_in_the_web_app_and_its_stream_closes(
    admin: Browser, api: Api, dsn: str
) -> None:
    async with Streams(api) as streams:
        stream = await streams.open("1442", "reporter")
        assert await stream.incidents() == []
        page = await admin.get("/admin/access")
        assert page.status == 200
        assert "reporter 1442" in page.body
        token = await api.token("1442", "reporter")
        assert token not in page.body
        action = page.body.split('action="/admin/tokens/', 1)[1].split('"', 1)[0]
        csrf = form_token(page.body.split("<main", 1)[1].split("</form>", 1)[0] + "</form>")
        _, done = await admin.request(
            "POST",
            f"/admin/tokens/{action}",
            data={"csrf_token": csrf},
            headers={"Origin": admin.origin},
        )
        assert done.status == 303
        assert await closed_for_token(stream.ws) == (SESSION_ENDED, "token revoked or expired")
    [row] = await audit_rows(dsn, kind="token.revoked")
    assert row.actor == ADMIN
    assert row.source == "127.0.0.1"


async def test_a_revoke_without_the_forms_token_changes_nothing(
    admin: Browser, api: Api, dsn: str
) -> None:
    await api.token("1442", "reporter")
    _, refused = await admin.request(
        "POST", "/admin/tokens/1/revoke", data={}, headers={"Origin": admin.origin}
    )
    assert refused.status == 403
    assert await audit_rows(dsn, kind="token.revoked") == []


async def test_an_admin_ends_someones_session_and_their_stream_closes(
    admin: Browser, server: TestServer, dsn: str
) -> None:
    await add_user(dsn, ADA)
    async with Browser(server) as ada:
        await ada.login(ADA)
        ws = await ada.ws()
        page = await admin.get("/admin/access")
        assert ADA in page.body
        ada_row = page.body.split(ADA, 1)[1]
        session_id = ada_row.split('action="/admin/sessions/', 1)[1].split("/", 1)[0]
        csrf = await admin.session_csrf()
        _, done = await admin.request(
            "POST",
            f"/admin/sessions/{session_id}/end",
            data={"csrf_token": csrf},
            headers={"Origin": admin.origin},
        )
        assert done.status == 303
        assert await closed_with(ws) == SESSION_ENDED
        assert (await ada.get("/api/v1/incidents")).status == 401
    [row] = await audit_rows(dsn, kind="session.ended")
    assert row.actor == ADMIN
    assert row.details["user"] == ADA
