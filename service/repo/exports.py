"""The SQL of streamed exports: an incident's reports and events read with server-side
cursors, a chunk at a time (the caller holds a transaction, so every chunk is read from
the same snapshot)."""

from __future__ import annotations

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


def report_rows(conn: Conn, incident_id: uuid.UUID, size: int) -> AsyncIterator[list[Any]]:
    """The incident's reports oldest first (as received), `size` rows at a time; turn each
    row into a report with `report_of` (off the event loop, if it likes)."""
    return _chunks(
        conn,
        f"""
        SELECT {reports_repo._COLUMNS} FROM reports
        WHERE incident_id = $1
        ORDER BY received_at, version, seq
        """,  # noqa: S608  # fixed column list
        incident_id,
        size,
    )


def report_of(row: asyncpg.Record) -> StoredReport:
    return reports_repo._validated(row)


def event_rows(conn: Conn, incident_id: uuid.UUID, size: int) -> AsyncIterator[list[Any]]:
    """The incident's log in seq order, `size` rows at a time (`event_of` reads one).
    Every column is read, so whatever the log's rows carry reaches `event_dict`."""
    return _chunks(
        conn, "SELECT * FROM events WHERE incident_id = $1 ORDER BY seq", incident_id, size
    )


def event_of(row: asyncpg.Record) -> dict[str, Any]:
    """An event as the export shows it: as the log does, with its place in the hash
    chain (`prev_hash`, `hash`)."""
    return {**events_repo.event_dict(row), "prev_hash": row["prev_hash"], "hash": row["hash"]}
