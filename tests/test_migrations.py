"""Migrations: plain SQL files applied in order, recorded with a checksum, never rewritten."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import AsyncIterator
from importlib import resources

import asyncpg
import pytest
from aiohttp.test_utils import TestServer

from schemas.common import Role
from service.app import create_app
from service.config import Settings
from service.db.migrate import Migration, MigrationError, migrate, shipped_migrations
from service.db.pool import prepare_database
from tests.database import PgServer
from tests.support import Api


def label(migration: Migration) -> str:
    return f"{migration.version:04d}_{migration.name}"


@pytest.fixture
async def empty_dsn(pg_server: PgServer) -> AsyncIterator[str]:
    """A database of this test's own with nothing in it: no migrations, no organisations."""
    async with pg_server.database("m") as empty:
        yield empty


async def ledger(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"
        )
    finally:
        await conn.close()


def test_shipped_migrations_are_the_numbered_sql_files_in_order() -> None:
    files = sorted(
        entry.name
        for entry in resources.files("migrations").iterdir()
        if entry.name.endswith(".sql")
    )
    shipped = shipped_migrations()
    assert [f"{label(migration)}.sql" for migration in shipped] == files
    versions = [migration.version for migration in shipped]
    assert versions == sorted(versions)
    assert versions == list(range(1, len(versions) + 1)), "numbers have no gaps"


async def test_migrations_apply_in_order_and_record_checksums(empty_dsn: str) -> None:
    shipped = shipped_migrations()
    # Two more, where the second only works after the first: order matters.
    later = [
        Migration(9001, "probe_table", "CREATE TABLE migration_probe (id integer PRIMARY KEY)"),
        Migration(9002, "probe_column", "ALTER TABLE migration_probe ADD COLUMN note text"),
    ]
    conn = await asyncpg.connect(empty_dsn)
    try:
        applied = await migrate(conn, shipped=[*shipped, *later])
        probe_columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'migration_probe' ORDER BY ordinal_position"
        )
    finally:
        await conn.close()

    assert applied == [label(migration) for migration in [*shipped, *later]]
    assert [row["column_name"] for row in probe_columns] == ["id", "note"]
    rows = await ledger(empty_dsn)
    assert [(row["version"], row["name"]) for row in rows] == [
        (migration.version, migration.name) for migration in [*shipped, *later]
    ]
    for row, migration in zip(rows, [*shipped, *later], strict=True):
        assert row["checksum"] == hashlib.sha256(migration.sql.encode()).hexdigest()
    applied_at = [row["applied_at"] for row in rows]
    assert applied_at == sorted(applied_at)

    on_disk = resources.files("migrations") / f"{label(shipped[0])}.sql"
    assert rows[0]["checksum"] == hashlib.sha256(on_disk.read_bytes()).hexdigest()


async def test_changed_applied_migration_stops_start_up_with_a_clear_error(
    empty_dsn: str, settings: Settings
) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        await migrate(conn)
        first = shipped_migrations()[0]
        edited = Migration(first.version, first.name, first.sql + "\n-- edited after release\n")
        with pytest.raises(MigrationError) as refused:
            await migrate(conn, shipped=[edited, *shipped_migrations()[1:]])
        assert f"{label(first)}.sql" in str(refused.value)
        assert "changed" in str(refused.value)

        # As if the file on disk had been edited since it was applied.
        await conn.execute(
            "UPDATE schema_migrations SET checksum = $1 WHERE version = $2",
            edited.checksum,
            first.version,
        )
    finally:
        await conn.close()

    server = TestServer(create_app(settings, dsn=empty_dsn))
    try:
        with pytest.raises(MigrationError) as stopped:
            await server.start_server()
    finally:
        await server.close()
    message = str(stopped.value)
    assert f"{label(first)}.sql" in message
    assert "changed" in message
    assert (await ledger(empty_dsn))[0]["checksum"] == edited.checksum, "nothing was rewritten"


async def test_migration_applied_but_not_shipped_is_an_error(empty_dsn: str) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        await migrate(conn, shipped=[*shipped_migrations(), Migration(9001, "future", "SELECT 1")])
        with pytest.raises(MigrationError, match="9001_future"):
            await migrate(conn)
    finally:
        await conn.close()


async def test_failing_migration_is_not_recorded_and_leaves_no_trace(empty_dsn: str) -> None:
    broken = Migration(9001, "broken", "CREATE TABLE half_done (id integer); SELECT 1/0;")
    conn = await asyncpg.connect(empty_dsn)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await migrate(conn, shipped=[*shipped_migrations(), broken])
        assert await conn.fetchval("SELECT to_regclass('half_done')") is None
        # The lock is released: another migration run goes through.
        assert await migrate(conn) == []
    finally:
        await conn.close()
    assert [row["version"] for row in await ledger(empty_dsn)] == [
        migration.version for migration in shipped_migrations()
    ]


async def test_migrate_twice_applies_nothing_the_second_time(empty_dsn: str) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        first = await migrate(conn)
        recorded = await ledger(empty_dsn)
        second = await migrate(conn)
    finally:
        await conn.close()
    assert first == [label(migration) for migration in shipped_migrations()]
    assert second == []
    assert await ledger(empty_dsn) == recorded


async def test_concurrent_migrations_are_serialised(empty_dsn: str) -> None:
    conns = [await asyncpg.connect(empty_dsn) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(conn) for conn in conns))
    finally:
        for conn in conns:
            await conn.close()
    everything = [label(migration) for migration in shipped_migrations()]
    assert sorted(results, key=len) == [[], [], [], everything]
    versions = Counter(row["version"] for row in await ledger(empty_dsn))
    assert all(count == 1 for count in versions.values())
    assert sorted(versions) == [migration.version for migration in shipped_migrations()]


async def test_seed_has_290_municipalities_21_county_boards_and_msb(api: Api) -> None:
    viewer: tuple[str, Role] = ("1442", "viewer")
    reply = await api.call("GET", "/api/v1/organisations", as_=viewer)
    assert reply.status == 200, reply.body
    organisations = reply.body["organisations"]
    kinds = Counter(org["kind"] for org in organisations)
    assert kinds["municipality"] == 290
    assert kinds["county_board"] == 21
    by_code = {org["code"]: org for org in organisations}
    assert by_code["MSB"]["kind"] == "agency"
    assert by_code["1442"]["name"] == "Vårgårda"
    assert by_code["1442"]["county"] == "14"
    assert by_code["LST-14"]["kind"] == "county_board"
    assert len(by_code) == len(organisations), "codes are unique"

    in_vastra_gotaland = await api.call(
        "GET", "/api/v1/organisations?county=14&kind=municipality", as_=viewer
    )
    assert in_vastra_gotaland.status == 200
    found = in_vastra_gotaland.body["organisations"]
    assert len(found) == 49
    assert {org["kind"] for org in found} == {"municipality"}
    assert {org["county"] for org in found} == {"14"}


async def test_seeding_twice_changes_nothing(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        before = await conn.fetch(
            "SELECT code, name, kind, county FROM organisations ORDER BY code"
        )
    finally:
        await conn.close()
    assert await prepare_database(dsn) == []
    conn = await asyncpg.connect(dsn)
    try:
        after = await conn.fetch("SELECT code, name, kind, county FROM organisations ORDER BY code")
    finally:
        await conn.close()
    assert after == before
