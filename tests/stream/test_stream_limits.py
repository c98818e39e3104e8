"""Stream limits: topics per socket, and open sockets per user over every instance."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from service.access.tokens import token_hash
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db.pool import create_pool
from service.stream.sockets import SocketLeases
from tests.settings import suite_settings, with_changes
from tests.stream.wsclient import Streams, stream_url
from tests.support import T0, Api, Who, served

VIEWER: Who = ("LST-14", "viewer")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_changes(
        suite_settings(tmp_path), stream_max_sockets_per_user=2, stream_max_topics=2
    )


async def _refused(api: Api, token: str | None = None) -> int:
    """The status of an upgrade (101: a socket, which is dropped at once)."""
    token = token or await api.token(*VIEWER)
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            stream_url(api.base),
            headers={
                "Authorization": f"Bearer {token}",
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        ) as reply,
    ):
        return reply.status


async def _open_sockets(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        count: int = await conn.fetchval("SELECT count(*) FROM stream_sockets")
        return count
    finally:
        await conn.close()


async def test_a_user_may_hold_so_many_sockets_and_one_more_after_closing_one(
    api: Api, streams: Streams, dsn: str
) -> None:
    first = await streams.open(*VIEWER)
    await streams.open(*VIEWER)
    assert await _refused(api) == 429  # before the upgrade, a plain problem
    await streams.open("1442", "viewer")  # somebody else: a count of their own
    await first.ws.close()
    for _ in range(1000):  # until the server has ended the closed one
        if await _open_sockets(dsn) <= 2:
            break
        await asyncio.sleep(0.01)
    third = await streams.open(*VIEWER)
    await third.subscribe("incidents")
    await third.expect("snapshot", "incidents")


async def test_sockets_count_over_every_instance(
    api: Api, streams: Streams, settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as other:
        await streams.open(*VIEWER)
        await streams.open(*VIEWER, base=other.base)
        assert await _refused(api) == 429
        assert await _refused(other, await api.token(*VIEWER)) == 429


async def test_sockets_of_a_stopped_instance_stop_counting(
    api: Api, streams: Streams, dsn: str, settings: Settings, clock: FixedClock
) -> None:
    token = await api.token(*VIEWER)
    conn = await asyncpg.connect(dsn)
    try:  # two sockets left by an instance that stopped without closing them
        for _ in range(2):
            await conn.execute(
                "INSERT INTO stream_sockets (id, holder, seen_at) VALUES ($1, $2, $3)",
                uuid.uuid4(),
                "token:" + token_hash(token).hex(),
                T0,
            )
        assert await _refused(api) == 429
        clock.set(T0 + timedelta(seconds=3 * settings.listener_check_seconds + 1))
        await streams.open(*VIEWER)
        assert await conn.fetchval("SELECT count(*) FROM stream_sockets") == 1
    finally:
        await conn.close()


async def test_a_socket_follows_at_most_so_many_incidents(api: Api, streams: Streams) -> None:
    incidents = [await api.activate() for _ in range(3)]
    client = await streams.open(*VIEWER)
    for incident in incidents[:2]:
        await client.subscribe(f"incident:{incident['id']}")
        await client.expect("snapshot")
    await client.subscribe(f"incident:{incidents[2]['id']}")
    refused = await client.expect("error")
    assert "at most 2 topics" in str(refused)


async def test_a_sockets_lease_commits_without_waiting_for_the_disk(dsn: str) -> None:
    """A lease (opened, closed) is nobody's answer: its commit does not wait for the WAL
    to reach the disk, so right after it the WAL flushed lags what was written (until
    the WAL writer catches up, within a fifth of a second), and the limit still holds."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        leases = SocketLeases(pool, FixedClock(T0), most=3, renew_every=10.0)
        behind = 0

        async def lagging() -> int:
            async with pool.acquire() as conn:
                lag: bool = await conn.fetchval(
                    "SELECT pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn()"
                )
                return int(lag)

        for _ in range(10):
            opened = await leases.open("disk@example.se")
            assert opened is not None
            behind += await lagging()
            await leases.close(opened)
            behind += await lagging()
        held = [await leases.open("disk@example.se") for _ in range(4)]
    finally:
        await pool.close()
    # A commit that waited leaves nothing of its own unflushed: at most another
    # process's WAL (a checkpoint, autovacuum) now and then.
    assert behind >= 15, behind
    assert [lease is not None for lease in held] == [True, True, True, False]
