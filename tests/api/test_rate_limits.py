"""API requests per token: 429 with Retry-After past the bucket, one bucket per token
shared by every instance (it lives in PostgreSQL)."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest

from service.access.rate import Bucket, RateLimit, take
from service.access.tokens import admitted, create_token, token_hash
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.repo import rate as rate_repo
from service.repo import tokens as tokens_repo
from tests.settings import suite_settings, with_changes
from tests.support import T0, Api, Who, assert_problem, served

VIEWER: Who = ("LST-14", "viewer")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return with_changes(suite_settings(tmp_path), api_rate_per_second=1.0, api_rate_burst=3)


async def test_a_token_past_its_burst_gets_429_with_retry_after_until_it_refills(
    api: Api, clock: FixedClock
) -> None:
    for _ in range(3):
        assert (await api.call("GET", "/api/v1/incidents", as_=VIEWER)).status == 200
    refused = await api.call("GET", "/api/v1/incidents", as_=VIEWER)
    assert_problem(refused, 429, "too-many-requests")
    assert refused.headers["Retry-After"] == "1"
    # Another token has a bucket of its own.
    assert (await api.call("GET", "/api/v1/incidents", as_=("1442", "viewer"))).status == 200
    clock.set(clock.now() + timedelta(seconds=1))
    assert (await api.call("GET", "/api/v1/incidents", as_=VIEWER)).status == 200
    assert (await api.call("GET", "/api/v1/incidents", as_=VIEWER)).status == 429


async def test_every_instance_draws_from_the_same_bucket(
    api: Api, settings: Settings, dsn: str, clock: FixedClock
) -> None:
    token = await api.token(*VIEWER)
    async with served(create_app(settings, dsn=dsn, clock=clock), dsn) as other:
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await api.call("GET", "/api/v1/incidents", headers=bearer)).status == 200
        assert (await other.call("GET", "/api/v1/incidents", headers=bearer)).status == 200
        assert (await api.call("GET", "/api/v1/incidents", headers=bearer)).status == 200
        assert (await other.call("GET", "/api/v1/incidents", headers=bearer)).status == 429


async def test_the_stored_bucket_follows_the_rule_and_full_ones_are_forgotten(dsn: str) -> None:
    limit = RateLimit(rate=2.0, burst=5)
    rng = random.Random(7)
    conn = await asyncpg.connect(dsn)
    try:

        async def new_token(name: str) -> str:
            return await create_token(conn, organisation="LST-14", role="viewer", name=name, at=T0)

        key = token_hash(await new_token("bucket"))
        expected: Bucket | None = None
        now = T0
        for _ in range(200):
            now += timedelta(seconds=rng.choice([0, 0, 0.1, 0.3, 0.5, 2]))
            # The statement every request with a token makes (its look-up and bucket).
            found = await tokens_repo.use(conn, key, limit, now)
            assert found is not None
            expected, wait = take(limit, expected, now)
            assert (found.bucket is None) == (wait is not None)
            if found.bucket is not None:
                assert found.bucket.tokens == pytest.approx(expected.tokens)
            else:
                expected = await rate_repo.peek(conn, key)
        assert await admitted(conn, await new_token("other"), limit, now=now) is not None
        late = now + timedelta(seconds=10)  # both buckets full again by then: forgotten
        assert await admitted(conn, await new_token("late"), limit, now=late) is not None
        assert await conn.fetchval("SELECT count(*) FROM api_rate_buckets") == 1
    finally:
        await conn.close()


async def test_a_request_notes_the_tokens_last_use_once_a_minute_in_its_one_statement(
    api: Api, clock: FixedClock, dsn: str
) -> None:
    token = await api.token(*VIEWER)
    bearer = {"Authorization": f"Bearer {token}"}

    async def last_used() -> object:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(
                "SELECT last_used_at FROM api_tokens WHERE name = $1", "viewer LST-14"
            )
        finally:
            await conn.close()

    assert await last_used() is None
    assert (await api.call("GET", "/api/v1/incidents", headers=bearer)).status == 200
    assert await last_used() == T0
    clock.set(T0 + timedelta(seconds=30))  # within the minute: not written again
    assert (await api.call("GET", "/api/v1/incidents", headers=bearer)).status == 200
    assert await last_used() == T0
    clock.set(T0 + timedelta(seconds=90))
    assert (await api.call("GET", "/api/v1/incidents", headers=bearer)).status == 200
    assert await last_used() == T0 + timedelta(seconds=90)


async def test_an_expired_token_is_refused_without_taking_from_any_bucket(
    api: Api, dsn: str
) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        token = await create_token(
            conn,
            organisation="LST-14",
            role="viewer",
            name="kort",
            lifetime=timedelta(seconds=1),
            at=T0 - timedelta(seconds=10),
        )
        refused = await api.call(
            "GET", "/api/v1/incidents", headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(refused, 401, "unauthenticated")
        assert await conn.fetchval("SELECT count(*) FROM api_rate_buckets") == 0
        assert (
            await conn.fetchval("SELECT last_used_at FROM api_tokens WHERE name = 'kort'") is None
        )
    finally:
        await conn.close()


async def test_a_tokens_use_commits_without_waiting_for_the_disk_unless_in_a_transaction(
    dsn: str,
) -> None:
    """What a token's request writes (its bucket, its last use) is nobody's answer: on a
    connection of its own the statement's commit does not wait for the WAL to reach the
    disk, so right after it the WAL flushed lags what was written (until the WAL writer
    catches up, within a fifth of a second). Inside a caller's transaction, whose other
    writes may be somebody's answer, the transaction's commit still waits."""
    conn = await asyncpg.connect(dsn)
    try:
        token = await create_token(conn, organisation="LST-14", role="viewer", name="disk")
        limit = RateLimit(rate=1000.0, burst=1000.0)
        behind = 0
        for _ in range(20):
            assert await tokens_repo.use(conn, token_hash(token), limit, T0) is not None
            behind += await conn.fetchval(
                "SELECT pg_current_wal_insert_lsn() > pg_current_wal_flush_lsn()"
            )
        # A commit that waited leaves nothing of its own unflushed: at most another
        # process's WAL (a checkpoint, autovacuum) now and then.
        assert behind >= 15, behind
        async with conn.transaction():
            assert await tokens_repo.use(conn, token_hash(token), limit, T0) is not None
            assert await conn.fetchval("SHOW synchronous_commit") == "on"
    finally:
        await conn.close()
