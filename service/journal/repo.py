"""The journal's reads: its entries are the incident's `journal.entry` events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from service.repo import Conn

KIND = "journal.entry"


async def last_number(conn: Conn, incident_id: uuid.UUID) -> int:
    """How many entries the incident has (numbers run 1, 2, … without gaps)."""
    count = await conn.fetchval(
        "SELECT count(*) FROM events WHERE incident_id = $1 AND kind = $2", incident_id, KIND
    )
    return int(count)


async def entries(conn: Conn, incident_id: uuid.UUID) -> list[tuple[int, datetime, dict[str, Any]]]:
    """Every entry in log order: its event's seq, `at` and data."""
    rows = await conn.fetch(
        """
        SELECT seq, at, data FROM events
        WHERE incident_id = $1 AND kind = $2
        ORDER BY seq
        """,
        incident_id,
        KIND,
    )
    return [(int(row["seq"]), row["at"], row["data"]) for row in rows]
