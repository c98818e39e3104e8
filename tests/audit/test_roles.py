"""Two database roles: the owner (migrations) and the service, which may insert and read
the audit log but never change or delete a row of it."""

from __future__ import annotations

import uuid
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service import keys
from service.db.migrate import OWNER_ROLE, SERVICE_ROLE
from service.db.roles import ServiceDsnError, service_dsn
from tests.command import lagesbild
from tests.database import PgServer


async def _as_service(dsn: str) -> asyncpg.Connection:
    return await asyncpg.connect(service_dsn(dsn))


async def test_the_service_role_inserts_and_reads_the_audit_log_but_cannot_change_it(
    dsn: str,
) -> None:
    conn = await _as_service(dsn)
    try:
        assert await conn.fetchval("SELECT current_user") == SERVICE_ROLE
        await conn.execute(
            "INSERT INTO audit_log (at, kind, actor, details) VALUES (now(), 'logout', 'x', '{}')"
        )
        assert await conn.fetchval("SELECT count(*) FROM audit_log") == 1
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("UPDATE audit_log SET actor = 'somebody else'")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM audit_log")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE audit_log")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DROP TABLE audit_log")
        assert await conn.fetchval("SELECT actor FROM audit_log") == "x"
    finally:
        await conn.close()


async def test_even_the_owner_cannot_change_an_audit_row(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO audit_log (at, kind, actor, details) VALUES (now(), 'logout', 'x', '{}')"
        )
        with pytest.raises(asyncpg.RaiseError, match="immutable"):
            await conn.execute("UPDATE audit_log SET actor = 'y'")
        with pytest.raises(asyncpg.RaiseError, match="immutable"):
            await conn.execute("DELETE FROM audit_log")
    finally:
        await conn.close()


async def test_the_owner_role_owns_every_table_and_the_service_may_use_each(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        tables = await conn.fetch(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
        writable = {
            row["tablename"]: row["ok"]
            for row in await conn.fetch(
                "SELECT tablename, has_table_privilege($1, 'public.' || tablename, 'INSERT') "
                "AND has_table_privilege($1, 'public.' || tablename, 'SELECT') AS ok "
                "FROM pg_tables WHERE schemaname = 'public'",
                SERVICE_ROLE,
            )
        }
    finally:
        await conn.close()
    assert {row["tableowner"] for row in tables} == {OWNER_ROLE}
    assert writable.pop("schema_migrations") is False  # it reads the ledger, no more
    assert all(writable.values()), writable


async def test_the_running_service_connects_as_the_service_role(server: TestServer) -> None:
    app: web.Application = server.app
    async with app[keys.pool].acquire() as conn:
        assert await conn.fetchval("SELECT current_user") == SERVICE_ROLE


def test_the_service_dsn_is_the_owners_server_and_database_as_the_service_role() -> None:
    owner = "postgresql://postgres:secret@db.example:5432/lagesbild?sslmode=require"
    assert service_dsn(owner) == (
        "postgresql://lagesbild_service@db.example:5432/lagesbild?sslmode=require"
    )
    embedded = "postgresql://postgres:@/postgres?host=/var/lib/pg"
    assert service_dsn(embedded) == "postgresql://lagesbild_service@/postgres?host=/var/lib/pg"
    given = "postgresql://svc:pw@db.example/lagesbild"
    assert service_dsn(owner, given) == given
    with pytest.raises(ServiceDsnError):
        service_dsn("host=/run/pg dbname=lagesbild")


async def test_migrating_as_a_user_that_cannot_make_the_roles_says_what_it_needs(
    pg_server: PgServer, tmp_path: Path
) -> None:
    user = f"plain_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(pg_server.base_uri)
    try:
        await admin.execute(f"CREATE ROLE {user} LOGIN")
        await admin.execute(f"CREATE DATABASE {user} OWNER {user}")
    finally:
        await admin.close()
    dsn = service_dsn(pg_server.uri(user)).replace(SERVICE_ROLE, user, 1)
    try:
        ran = await lagesbild("migrate", database_url=dsn, data_dir=tmp_path)
        assert ran.code == 1
        assert "CREATEROLE" in ran.err
        assert "deploy/README.md" in ran.err
    finally:
        admin = await asyncpg.connect(pg_server.base_uri)
        try:
            await admin.execute(f"DROP DATABASE {user} WITH (FORCE)")
            await admin.execute(f"DROP ROLE {user}")
        finally:
            await admin.close()
