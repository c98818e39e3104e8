"""The embedded PostgreSQL the suite runs on: one server, a database per test.

`TEMPLATE` holds the migrations and the seed organisations; each test's database is a
copy of it (`PgServer.database(…, template=TEMPLATE)`), which is much faster than
migrating again.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg

from service.db.embedded import with_database

TEMPLATE = "lagesbild_template"


class PgServer:
    def __init__(self, base_uri: str) -> None:
        self.base_uri = base_uri

    def uri(self, database: str) -> str:
        return with_database(self.base_uri, database)

    async def _admin(self, sql: str) -> None:
        admin = await asyncpg.connect(self.base_uri)
        try:
            await admin.execute(sql)
        finally:
            await admin.close()

    @contextlib.asynccontextmanager
    async def database(self, prefix: str, *, template: str | None = None) -> AsyncIterator[str]:
        """A new database (a copy of `template`, or empty) for as long as the block runs."""
        name = f"{prefix}_{uuid.uuid4().hex[:16]}"
        copy = f" TEMPLATE {template}" if template else ""
        await self._admin(f"CREATE DATABASE {name}{copy}")
        try:
            yield self.uri(name)
        finally:
            await self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
