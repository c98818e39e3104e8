"""`lagesbild user create|remove`: people who log in, made and removed by an operator.

`service.cli.main` runs in a worker thread (it calls `asyncio.run` itself) against
this test's database, with the password piped on stdin as a script would pipe it.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from service import cli
from service.access import sessions
from tests.settings import is_settings_variable
from tests.web.support import PASSWORD, Browser, add_user, closed_with

EMAIL = "cecilia@vargarda.example.se"
SECRET = "långt-och-hemligt-2026"  # the password the operator pipes in


# The app under test logs to the same stdout (console format); those are not the CLI's.
_APP_LOG = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def said(self) -> list[str]:
        """What the command printed on stdout, line by line, without the app's log."""
        return [line for line in self.out.splitlines() if not _APP_LOG.match(line)]


Run = Callable[..., Coroutine[Any, Any, Ran]]


@pytest.fixture
def lagesbild(
    dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    """Run `lagesbild <args>` in-process with DATABASE_URL and `stdin` as given."""
    for key in list(os.environ):
        if is_settings_variable(key):
            monkeypatch.delenv(key)
    monkeypatch.setenv("DATABASE_URL", dsn)
    monkeypatch.setenv("LAGESBILD_DATA_DIR", str(tmp_path))
    # Logging set-up is global (structlog); the other tests' logging stays as it is.
    monkeypatch.setattr(cli, "configure_logging", lambda _settings: None)

    async def run(*args: str, stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = await asyncio.to_thread(cli.main, list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


@pytest.fixture
async def browser(server: TestServer) -> AsyncIterator[Browser]:
    async with Browser(server) as opened:
        yield opened


async def live_users(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT email, name, organisation, role FROM users WHERE removed_at IS NULL"
        )
    finally:
        await conn.close()


def create(*extra: str, email: str = EMAIL, org: str = "1442", role: str = "reporter") -> list[str]:
    return ["user", "create", "--org", org, "--role", role, "--email", email, *extra]


async def login_with(browser: Browser, email: str, password: str) -> int:
    _, reply = await browser.post_login(email, password)
    return reply.status


async def test_user_create_reads_the_password_from_stdin_and_the_user_can_log_in(
    lagesbild: Run, dsn: str, browser: Browser
) -> None:
    ran = await lagesbild(*create("--name", "Cecilia Ek"), stdin=SECRET + "\n")

    assert ran.code == 0, ran.err
    assert ran.said == [f"created user {EMAIL} (reporter for 1442)"]
    assert SECRET not in ran.out + ran.err
    [user] = await live_users(dsn)
    assert dict(user) == {
        "email": EMAIL,
        "name": "Cecilia Ek",
        "organisation": "1442",
        "role": "reporter",
    }
    assert await login_with(browser, EMAIL, SECRET) == 303
    assert (await browser.get("/api/v1/incidents")).status == 200


async def test_user_create_stores_the_address_in_lower_case_and_names_the_user_by_it(
    lagesbild: Run, dsn: str, browser: Browser
) -> None:
    ran = await lagesbild(*create(email="Cecilia@Vargarda.Example.SE"), stdin=SECRET + "\r\n")

    assert ran.code == 0, ran.err
    [user] = await live_users(dsn)
    assert user["email"] == EMAIL
    assert user["name"] == "Cecilia@Vargarda.Example.SE"
    # The line ending is not part of the password.
    assert await login_with(browser, EMAIL, SECRET) == 303


@pytest.mark.parametrize("stdin", ["", "\n", "kort-9tkn\n", "         \n"])
async def test_user_create_with_a_password_under_10_characters_exits_2(
    lagesbild: Run, dsn: str, stdin: str
) -> None:
    ran = await lagesbild(*create(), stdin=stdin)

    assert ran.code == 2, (ran.out, ran.err)
    assert ran.said == []
    assert "10" in ran.err
    assert await live_users(dsn) == []


async def test_user_create_with_exactly_10_characters_is_enough(
    lagesbild: Run, dsn: str, browser: Browser
) -> None:
    ran = await lagesbild(*create(), stdin="0123456789\n")

    assert ran.code == 0, ran.err
    assert await login_with(browser, EMAIL, "0123456789") == 303


async def test_user_create_with_an_address_in_use_exits_2_and_keeps_the_first(
    lagesbild: Run, dsn: str, browser: Browser
) -> None:
    assert (await lagesbild(*create(), stdin=SECRET + "\n")).code == 0

    ran = await lagesbild(
        *create(email=EMAIL.upper(), org="LST-14", role="duty_officer"),
        stdin="ett-annat-lösenord\n",
    )

    assert ran.code == 2, (ran.out, ran.err)
    assert ran.said == []
    assert "exists" in ran.err
    [user] = await live_users(dsn)
    assert (user["organisation"], user["role"]) == ("1442", "reporter")
    assert await login_with(browser, EMAIL, "ett-annat-lösenord") == 401


async def test_user_create_for_an_unknown_organisation_exits_2(lagesbild: Run, dsn: str) -> None:
    ran = await lagesbild(*create(org="9999"), stdin=SECRET + "\n")

    assert ran.code == 2, (ran.out, ran.err)
    assert ran.said == []
    assert "9999" in ran.err
    assert await live_users(dsn) == []


async def test_user_create_with_no_address_exits_2(lagesbild: Run, dsn: str) -> None:
    ran = await lagesbild(*create(email="cecilia"), stdin=SECRET + "\n")

    assert ran.code == 2, (ran.out, ran.err)
    assert "cecilia" in ran.err
    assert await live_users(dsn) == []


@pytest.mark.parametrize("role", ["adapter", "superuser"])
async def test_user_create_with_a_role_people_cannot_have_is_a_usage_error(
    lagesbild: Run, dsn: str, role: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        await lagesbild(*create(role=role), stdin=SECRET + "\n")

    assert stopped.value.code == 2
    assert await live_users(dsn) == []


async def test_user_remove_ends_the_users_sessions_and_open_streams(
    lagesbild: Run, dsn: str, browser: Browser
) -> None:
    await add_user(dsn, EMAIL, organisation="1442", role="reporter")
    await browser.login(EMAIL)
    ws = await browser.ws()
    try:
        await ws.send_json({"type": "subscribe", "topic": "incidents"})
        snapshot = await ws.receive_json(timeout=5)
        assert snapshot["type"] == "snapshot"

        ran = await lagesbild("user", "remove", "--email", EMAIL.upper())

        assert ran.code == 0, ran.err
        assert ran.said == [f"removed user {EMAIL.upper()}; their sessions have ended"]
        assert await closed_with(ws) == 4001  # the app heard it through NOTIFY
    finally:
        await ws.close()
    assert (await browser.get("/api/v1/incidents")).status == 401
    assert await live_users(dsn) == []
    assert await login_with(browser, EMAIL, PASSWORD) == 401


async def test_user_remove_of_an_unknown_address_exits_2(lagesbild: Run, dsn: str) -> None:
    await add_user(dsn, EMAIL, organisation="1442", role="reporter")

    ran = await lagesbild("user", "remove", "--email", "nobody@vargarda.example.se")

    assert ran.code == 2, (ran.out, ran.err)
    assert ran.said == []
    assert "nobody@vargarda.example.se" in ran.err
    assert len(await live_users(dsn)) == 1


async def test_user_remove_twice_exits_2_the_second_time(lagesbild: Run, dsn: str) -> None:
    await add_user(dsn, EMAIL, organisation="1442", role="reporter")

    assert (await lagesbild("user", "remove", "--email", EMAIL)).code == 0
    assert (await lagesbild("user", "remove", "--email", EMAIL)).code == 2


async def test_a_removed_address_can_be_created_again(
    lagesbild: Run, dsn: str, browser: Browser
) -> None:
    await add_user(dsn, EMAIL, organisation="1442", role="reporter")
    assert (await lagesbild("user", "remove", "--email", EMAIL)).code == 0

    ran = await lagesbild(*create(org="LST-14", role="viewer"), stdin=SECRET + "\n")

    assert ran.code == 0, ran.err
    assert await login_with(browser, EMAIL, SECRET) == 303
    assert sessions.COOKIE in {c.key for c in browser.jar}
