"""Checkpoints of the picture (`picture_checkpoints`) and the seq of a moment in the log."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from service.repo import LAST_SEQ, Conn


async def latest(
    conn: Conn, incident_id: uuid.UUID, *, at_or_before: int | None = None
) -> dict[str, Any] | None:
    """The picture of the latest checkpoint with `seq <= at_or_before` (any, if None)."""
    picture: dict[str, Any] | None = await conn.fetchval(
        """
        SELECT picture FROM picture_checkpoints
        WHERE incident_id = $1 AND seq <= COALESCE($2::bigint, $3)
        ORDER BY seq DESC
        LIMIT 1
        """,
        incident_id,
        at_or_before,
        LAST_SEQ,
    )
    return picture


async def write(conn: Conn, incident_id: uuid.UUID, pictures: Iterable[dict[str, Any]]) -> None:
    """Keep these pictures (each the fold up to its own `seq`); one already kept stays."""
    rows = [(incident_id, picture["seq"], picture) for picture in pictures]
    if not rows:
        return
    await conn.executemany(
        """
        INSERT INTO picture_checkpoints (incident_id, seq, picture)
        VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        """,
        rows,
    )


async def seqs(conn: Conn, incident_id: uuid.UUID) -> list[int]:
    """The seqs the incident has checkpoints at, in order."""
    rows = await conn.fetch(
        "SELECT seq FROM picture_checkpoints WHERE incident_id = $1 ORDER BY seq", incident_id
    )
    return [row["seq"] for row in rows]


async def seq_at(conn: Conn, incident_id: uuid.UUID, moment: datetime, last_seq: int) -> int:
    """The last seq of the log whose events are all stamped at or before `moment`: the
    seq just before the first event stamped after it (`last_seq` when there is none)."""
    first_after: int | None = await conn.fetchval(
        "SELECT min(seq) FROM events WHERE incident_id = $1 AND at > $2", incident_id, moment
    )
    return last_seq if first_after is None else min(first_after - 1, last_seq)
