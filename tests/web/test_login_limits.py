"""Failed log-ins are limited per account and address, per address and per account, in
PostgreSQL (so every instance counts the same), and nobody can keep a person out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.settings import suite_settings, with_changes
from tests.support import assert_problem
from tests.web.support import Browser, add_user

ADA = "ada@lst14.example.se"
WRONG = "fel-lösenord-2026"
HOME, CAFE, ATTACKER = "198.51.100.10", "198.51.100.20", "203.0.113.66"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_changes(
        suite_settings(tmp_path),
        trusted_proxies=["127.0.0.0/8"],  # the tests speak through "a proxy" on this host
        login_max_failures=3,
        login_address_max_failures=6,
        login_account_max_failures=8,
        login_max_delay_seconds=60,
        login_failure_window_minutes=15,
    )


@pytest.fixture
async def browser(server: TestServer, dsn: str) -> AsyncIterator[Browser]:
    await add_user(dsn, ADA, organisation="LST-14", role="duty_officer")
    async with Browser(server) as opened:
        yield opened


async def attempt(
    browser: Browser, email: str, password: str | None, address: str, **headers: str
) -> tuple[int, dict[str, str]]:
    sent = {"X-Forwarded-For": address, **headers}
    if password is None:
        _, reply = await browser.post_login(email, headers=sent)
    else:
        _, reply = await browser.post_login(email, password, headers=sent)
    return reply.status, reply.headers


async def fail(browser: Browser, times: int, address: str, email: str = ADA) -> None:
    for _ in range(times):
        status, _ = await attempt(browser, email, WRONG, address)
        assert status == 401


async def stored_rows(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM login_failures")
        return count
    finally:
        await conn.close()


async def test_failures_from_one_address_make_it_wait_but_not_the_person_elsewhere(
    browser: Browser,
) -> None:
    await fail(browser, 3, ATTACKER)
    status, headers = await attempt(browser, ADA, None, ATTACKER)  # even the right password
    assert status == 429
    assert headers["Retry-After"] == "1"
    status, _ = await attempt(browser, ADA, None, HOME)
    assert status == 303


async def test_the_wait_doubles_with_each_failure_and_then_the_right_password_gets_in(
    browser: Browser, clock: FixedClock
) -> None:
    await fail(browser, 3, HOME)
    waits = []
    for _ in range(3):
        status, headers = await attempt(browser, ADA, WRONG, HOME)
        assert status == 429
        waits.append(int(headers["Retry-After"]))
        clock.set(clock.now() + timedelta(seconds=waits[-1]))
        await fail(browser, 1, HOME)
    assert waits == [1, 2, 4]
    clock.set(clock.now() + timedelta(seconds=8))
    status, _ = await attempt(browser, ADA, None, HOME)
    assert status == 303


async def test_the_wait_never_exceeds_the_longest_delay(
    browser: Browser, clock: FixedClock
) -> None:
    await fail(browser, 3, ATTACKER)
    for _ in range(10):
        status, headers = await attempt(browser, ADA, WRONG, ATTACKER)
        clock.set(clock.now() + timedelta(seconds=int(headers["Retry-After"])))
        await fail(browser, 1, ATTACKER)
    status, headers = await attempt(browser, ADA, WRONG, ATTACKER)
    assert status == 429
    assert headers["Retry-After"] == "60"


async def test_one_address_spraying_many_accounts_waits_for_every_account(
    browser: Browser,
) -> None:
    for n in range(6):
        await fail(browser, 1, ATTACKER, email=f"guess{n}@lst14.example.se")
    status, _ = await attempt(browser, ADA, None, ATTACKER)  # an account it never tried
    assert status == 429
    status, _ = await attempt(browser, ADA, None, HOME)
    assert status == 303


async def test_an_account_guessed_from_many_addresses_lets_a_clean_address_in(
    browser: Browser,
) -> None:
    for n in range(8):  # one failure each: under every per-address limit
        await fail(browser, 1, f"203.0.113.{n + 1}")
    status, _ = await attempt(browser, ADA, None, "203.0.113.1")
    assert status == 429  # an address that has failed for the account now waits at once
    status, _ = await attempt(browser, ADA, None, HOME)  # the person, from anywhere clean
    assert status == 303


async def test_a_successful_log_in_forgets_that_addresses_failures_only(
    browser: Browser, other_browser: Browser
) -> None:
    await fail(browser, 2, HOME)
    await fail(other_browser, 2, CAFE)
    assert (await attempt(browser, ADA, None, HOME))[0] == 303
    await fail(other_browser, 1, CAFE)
    assert (await attempt(other_browser, ADA, None, CAFE))[0] == 429


async def test_a_program_gets_a_problem_and_a_person_the_form_with_retry_after(
    browser: Browser,
) -> None:
    await fail(browser, 3, ATTACKER)
    _, reply = await browser.post_login(ADA, headers={"X-Forwarded-For": ATTACKER})
    assert_problem(reply, 429, "too-many-requests")
    assert reply.headers["Retry-After"] == "1"
    _, page = await browser.post_login(
        ADA, headers={"X-Forwarded-For": ATTACKER, "Accept": "text/html"}
    )
    assert page.status == 429
    assert "Försök igen om 1 min" in str(page.body)
    assert page.headers["Retry-After"] == "1"


async def test_an_email_over_254_characters_is_refused_before_any_counting(
    browser: Browser, dsn: str
) -> None:
    long = "a" * 243 + "@example.se"
    assert len(long) == 254
    await fail(browser, 1, ATTACKER, email=long)
    assert await stored_rows(dsn) == 3  # one count each: pair, address, account
    for _ in range(10):
        await fail(browser, 1, ATTACKER, email="a" + long)
    assert await stored_rows(dsn) == 3
    status, _ = await attempt(browser, "a" + long, None, ATTACKER)
    assert status == 401


async def test_failures_are_forgotten_and_their_rows_pruned_after_the_window(
    browser: Browser, clock: FixedClock, dsn: str
) -> None:
    await fail(browser, 3, ATTACKER)
    assert (await attempt(browser, ADA, None, ATTACKER))[0] == 429
    clock.set(clock.now() + timedelta(minutes=15))
    await fail(browser, 1, HOME, email="someone@example.se")
    assert await stored_rows(dsn) == 3  # only the new failure's three counts are kept
    assert (await attempt(browser, ADA, None, ATTACKER))[0] == 303


async def test_every_instance_counts_the_same_failures(
    browser: Browser, settings: Settings, dsn: str, clock: FixedClock
) -> None:
    other_app: web.Application = create_app(settings, dsn=dsn, clock=clock)
    other = TestServer(other_app)
    await other.start_server()
    try:
        async with Browser(other) as second:
            await fail(browser, 2, ATTACKER)
            await fail(second, 1, ATTACKER)
            assert (await attempt(second, ADA, None, ATTACKER))[0] == 429
            assert (await attempt(browser, ADA, None, ATTACKER))[0] == 429
    finally:
        await other.close()


@pytest.fixture
async def other_browser(server: TestServer) -> AsyncIterator[Browser]:
    async with Browser(server) as opened:
        yield opened
