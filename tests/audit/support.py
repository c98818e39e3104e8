"""Reading the audit log in tests, as the owner reads it (straight from the table)."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg

from service.audit.repo import AuditFilter, AuditRow, read
from tests.stream.wsclient import FRAME_TIMEOUT


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


async def closed_for_token(ws: aiohttp.ClientWebSocketResponse) -> tuple[int, str]:
    """The code and reason of the close frame the server sends next (bounded wait)."""
    try:
        message = await ws.receive(FRAME_TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"the socket was not closed within {FRAME_TIMEOUT} s") from None
    assert message.type is aiohttp.WSMsgType.CLOSE, message
    code: int = message.data
    return code, message.extra or ""
