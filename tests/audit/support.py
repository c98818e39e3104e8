"""Reading the audit log in tests, as the owner reads it (straight from the table)."""

from __future__ import annotations

from typing import Any

import asyncpg

from service.audit.repo import AuditFilter, AuditRow, read


async def audit_rows(dsn: str, **where: Any) -> list[AuditRow]:
    """The rows that match, oldest first."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await read(conn, AuditFilter(**where), limit=10_000)
    finally:
        await conn.close()
    return rows[::-1]


async def kinds(dsn: str) -> list[str]:
    return [row.kind for row in await audit_rows(dsn)]
