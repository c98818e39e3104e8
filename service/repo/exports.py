"""The SQL of streamed exports: an incident's reports and events read with server-side
cursors, a chunk at a time (the caller holds a transaction, so every chunk is read from
the same snapshot)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from schemas.report import StoredReport
from service.repo import Conn
from service.repo import events as events_repo
from service.repo import reports as reports_repo


async def _chunks(
    conn: Conn, query: str, incident_id: uuid.UUID, size: int
) -> AsyncIterator[list[asyncpg.Record]]:
    cursor = await conn.cursor(query, incident_id)
    while True:
        rows = await cursor.fetch(size)
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return


# The JSON columns are read as text and decoded by `report_of` and `event_of`, which the
# export calls in a worker thread: asyncpg would decode a chunk's 1,000 of them on the
# event loop, in one go, as the rows arrive.


def report_rows(conn: Conn, incident_id: uuid.UUID, size: int) -> AsyncIterator[list[Any]]:
    """The incident's reports oldest first (as received), `size` rows at a time; turn each
    row into a report with `report_of` (off the event loop, if it likes)."""
    columns = reports_repo._COLUMNS.replace("content,", "content::text AS content,")
    return _chunks(
        conn,
        f"""
        SELECT {columns} FROM reports
        WHERE incident_id = $1
        ORDER BY received_at, version, seq
        """,  # noqa: S608  # fixed column list
        incident_id,
        size,
    )


def report_of(row: asyncpg.Record) -> StoredReport:
    return reports_repo._validated({**row, "content": json.loads(row["content"])})


def event_rows(conn: Conn, incident_id: uuid.UUID, size: int) -> AsyncIterator[list[Any]]:
    """The incident's log in seq order, `size` rows at a time (`event_of` reads one)."""
    return _chunks(
        conn,
        "SELECT seq, kind, at, actor, data::text AS data, prev_hash, hash FROM events"
        " WHERE incident_id = $1 ORDER BY seq",
        incident_id,
        size,
    )


def event_of(row: asyncpg.Record) -> dict[str, Any]:
    """An event as the export shows it: as the log does, with its place in the hash
    chain (`prev_hash`, `hash`)."""
    return {
        **events_repo.event_dict(row),
        "data": json.loads(row["data"]),
        "prev_hash": row["prev_hash"],
        "hash": row["hash"],
    }
