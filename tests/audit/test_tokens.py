"""Token lifecycle: listed without the secret, revoked, expiring; a revoked token's or a
removed user's streams close on every instance; sessions rotate on a role change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import asyncpg
from aiohttp.test_utils import TestServer

from service.access import sessions
from service.access.tokens import create_token, revoke_token
from service.app import create_app
from service.audit.record import Origin
from service.clock import FixedClock
from service.config import Settings
from service.stream.connection import SESSION_ENDED
from tests.audit.support import audit_rows, closed_for_token
from tests.command import lagesbild
from tests.stream.wsclient import Streams
from tests.support import T0, Api, assert_problem, served
from tests.web.support import Browser, add_user, closed_with

ADMIN = Origin(actor="admin@lst14.example.se", organisation="LST-14")


async def _token(dsn: str, *, days: int = 365, role: str = "viewer") -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return await create_token(
            conn,
            organisation="1442",
            role=role,  # type: ignore[arg-type]  # one of the roles, as given
            name="ISK Vårgårda",
            lifetime=timedelta(days=days),
            at=T0,
        )
    finally:
        await conn.close()


async def _get(api: Api, token: str) -> int:
    reply = await api.call("GET", "/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
    return reply.status


async def test_an_expired_token_is_refused_and_its_expiry_recorded_once(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    token = await _token(dsn, days=2)
    clock.set(T0 + timedelta(days=1))
    assert await _get(api, token) == 200
    clock.set(T0 + timedelta(days=2))
    for _ in range(3):
        reply = await api.call(
            "GET", "/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(reply, 401)
    [row] = await audit_rows(dsn, kind="token.expired")
    assert row.actor == "ISK Vårgårda"
    assert row.organisation == "1442"
    assert row.source == "127.0.0.1"


async def test_token_list_shows_each_token_without_the_secret_and_revoke_refuses_it(
    api: Api, dsn: str, tmp_path: Path, clock: FixedClock
) -> None:
    token = await _token(dsn, days=30)
    clock.set(T0 + timedelta(hours=2))
    assert await _get(api, token) == 200  # its last use

    listed = await lagesbild("token", "list", database_url=dsn, data_dir=tmp_path)
    assert listed.code == 0, listed.err
    header, *lines = listed.out.splitlines()
    assert header.split("\t") == [
        "id",
        "name",
        "organisation",
        "role",
        "created",
        "last used",
        "expires",
        "state",
    ]
    [line] = lines
    token_id, name, organisation, role, created, last_used, expires, state = line.split("\t")
    assert (name, organisation, role, state) == ("ISK Vårgårda", "1442", "viewer", "live")
    assert (created, last_used, expires) == (
        "2026-11-22 13:00",
        "2026-11-22 15:00",
        "2026-12-22 13:00",
    )
    assert token not in listed.out
    assert token[4:20] not in listed.out

    revoked = await lagesbild("token", "revoke", token_id, database_url=dsn, data_dir=tmp_path)
    assert revoked.code == 0, revoked.err
    assert_problem(
        await api.call("GET", "/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}),
        401,
    )
    again = await lagesbild("token", "revoke", token_id, database_url=dsn, data_dir=tmp_path)
    assert again.code == 1
    assert "no live token" in again.err
    assert (await lagesbild("token", "list", database_url=dsn, data_dir=tmp_path)).out.count(
        "\n"
    ) == 1
    everything = await lagesbild("token", "list", "--all", database_url=dsn, data_dir=tmp_path)
    assert "\trevoked " in everything.out
    kinds = [row.kind for row in await audit_rows(dsn)]
    assert kinds == ["token.created", "token.revoked"]


async def test_token_create_takes_a_lifetime_in_days(dsn: str, tmp_path: Path) -> None:
    made = await lagesbild(
        "token", "create", "--org", "1442", "--role", "reporter", "--name", "Nod",
        "--days", "7", database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    assert made.code == 0, made.err
    conn = await asyncpg.connect(dsn)
    try:
        lifetime = await conn.fetchval("SELECT expires_at - created_at FROM api_tokens")
    finally:
        await conn.close()
    assert lifetime == timedelta(days=7)
    refused = await lagesbild(
        "token", "create", "--org", "1442", "--role", "reporter", "--name", "Nod",
        "--days", "0", database_url=dsn, data_dir=tmp_path,
    )  # fmt: skip
    assert refused.code == 2


async def test_revoking_a_token_closes_its_streams_on_every_instance(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    first = create_app(settings, dsn=dsn, clock=clock)
    second = create_app(settings, dsn=dsn, clock=clock)
    async with served(first, dsn) as api, served(second, dsn) as other, Streams(api) as streams:
        here = await streams.open("1442", "viewer")
        there = await streams.open("1442", "viewer", base=other.base)
        bystander = await streams.open("1443", "viewer", base=other.base)
        for client in (here, there, bystander):
            assert await client.incidents() == []
        token_id = await _token_id(dsn, "viewer 1442")

        # As `lagesbild token revoke` does it: another process, through the database.
        conn = await asyncpg.connect(dsn)
        try:
            assert await revoke_token(conn, token_id, at=T0, by=ADMIN) is not None
        finally:
            await conn.close()

        revoked = (SESSION_ENDED, "token revoked or expired")
        assert await closed_for_token(here.ws) == revoked
        assert await closed_for_token(there.ws) == revoked
        assert await bystander.incidents() == []


async def test_removing_a_user_closes_their_streams_on_every_instance(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    ada = "ada@lst14.example.se"
    await add_user(dsn, ada)
    # Two browsers, one per instance, each with its own session.
    first_server = TestServer(create_app(settings, dsn=dsn, clock=clock))
    second_server = TestServer(create_app(settings, dsn=dsn, clock=clock))
    await first_server.start_server()
    await second_server.start_server()
    try:
        async with Browser(first_server) as one, Browser(second_server) as two:
            await one.login(ada)
            await two.login(ada)
            wall, phone = await one.ws(), await two.ws()
            conn = await asyncpg.connect(dsn)
            try:
                assert await sessions.remove_user(conn, ada, at=T0)
            finally:
                await conn.close()
            assert await closed_with(wall) == SESSION_ENDED
            assert await closed_with(phone) == SESSION_ENDED
    finally:
        await first_server.close()
        await second_server.close()
    ended = await audit_rows(dsn, kind="session.ended")
    assert len(ended) == 2
    assert {row.details["reason"] for row in ended} == {"removed"}


async def test_a_role_change_ends_the_users_sessions_so_the_next_log_in_is_a_new_session(
    server: TestServer, dsn: str
) -> None:
    ada = "ada@lst14.example.se"
    await add_user(dsn, ada)
    async with Browser(server) as browser:
        before = await browser.login(ada)
        ws = await browser.ws()
        conn = await asyncpg.connect(dsn)
        try:
            await sessions.change_user(conn, ada, role="viewer", at=T0)
        finally:
            await conn.close()
        assert await closed_with(ws) == SESSION_ENDED
        assert_problem(await browser.get("/api/v1/incidents"), 401)
        after = await browser.login(ada)
    assert after != before
    [row] = await audit_rows(dsn, kind="session.ended")
    assert row.details["reason"] == "role_changed"


async def test_an_expired_session_is_ended_and_recorded_once_by_the_first_instance(
    dsn: str, clock: FixedClock, settings: Settings
) -> None:
    ada = "ada@lst14.example.se"
    await add_user(dsn, ada)
    conn = await asyncpg.connect(dsn)
    try:
        await sessions.start(conn, 1, at=T0, lifetime=timedelta(hours=1))
        assert await sessions.expire_due(conn, now=T0) == 0
        later = T0 + timedelta(hours=1)
        assert await sessions.expire_due(conn, now=later) == 1
        assert await sessions.expire_due(conn, now=later) == 0
    finally:
        await conn.close()
    [row] = await audit_rows(dsn, kind="session.expired")
    assert row.actor == ada


async def _token_id(dsn: str, name: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        token_id: int = await conn.fetchval("SELECT id FROM api_tokens WHERE name = $1", name)
    finally:
        await conn.close()
    return token_id


async def test_user_change_at_the_command_line_changes_the_role_and_says_so(
    dsn: str, tmp_path: Path
) -> None:
    ada = "ada@lst14.example.se"
    await add_user(dsn, ada)
    changed = await lagesbild(
        "user", "change", "--email", ada, "--role", "viewer", database_url=dsn, data_dir=tmp_path
    )
    assert changed.code == 0, changed.err
    assert changed.out.strip() == f"user {ada}: Ada, viewer for LST-14"
    nothing = await lagesbild("user", "change", "--email", ada, database_url=dsn, data_dir=tmp_path)
    assert nothing.code == 2
    nobody = await lagesbild(
        "user", "change", "--email", "x@y.se", "--name", "X", database_url=dsn, data_dir=tmp_path
    )
    assert nobody.code == 2
    [row] = await audit_rows(dsn, kind="user.role_changed")
    assert row.actor.startswith("lagesbild command (")
