"""Evaluations of closed incidents: `incident.evaluated` events in the log."""

from __future__ import annotations

import uuid
from typing import Any

from service.repo import Conn


async def latest(conn: Conn, incident_id: uuid.UUID) -> dict[str, Any] | None:
    """The data of the incident's latest `incident.evaluated` event, if any."""
    data = await conn.fetchval(
        """
        SELECT data FROM events
        WHERE incident_id = $1 AND kind = 'incident.evaluated'
        ORDER BY seq DESC LIMIT 1
        """,
        incident_id,
    )
    return dict(data) if data is not None else None
