"""Database access: the connection pool, with JSON codecs, as a cleanup context."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from aiohttp import web

from service import jsontext, keys
from service.db.migrate import migrate
from service.db.roles import service_dsn
from service.repo import organisations


async def _init_connection(conn: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await conn.set_type_codec(
            type_name, encoder=_dumps, decoder=json.loads, schema="pg_catalog"
        )


async def _no_reset_query(_conn: asyncpg.Connection) -> None:
    """What a connection's return to the pool sends: nothing. asyncpg still rolls back a
    transaction left open and drops listeners; its reset query (advisory unlocks, CLOSE
    ALL, UNLISTEN *, RESET ALL: one round trip on every release) undoes session state
    the service never makes on a pooled connection (its advisory locks are transaction
    locks, LISTEN has connections of its own, settings are SET LOCAL)."""


def _dumps(value: Any) -> str:
    return jsontext.dumps(value)


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    connection_class: type[asyncpg.Connection] = asyncpg.Connection,
) -> asyncpg.Pool:
    pool: asyncpg.Pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        connection_class=connection_class,
        init=_init_connection,
        reset=_no_reset_query,
        server_settings={"application_name": "lagesbild"},
    )
    return pool


async def prepare_database(dsn: str) -> list[str]:
    """Apply migrations and seed the organisations; return the migrations applied."""
    conn = await asyncpg.connect(dsn)
    try:
        applied = await migrate(conn)
        await organisations.seed(conn)
        return applied
    finally:
        await conn.close()


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Migrate (as the owner), then hold a pool (as the service role) for the app's lifetime."""
    settings = app[keys.settings]
    await prepare_database(app[keys.dsn])
    dsn = service_dsn(app[keys.dsn], settings.database_service_url)
    app[keys.service_dsn] = dsn
    pool = await create_pool(dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
    app[keys.pool] = pool
    try:
        yield
    finally:
        await pool.close()
