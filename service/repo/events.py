"""The event log: one row per change, `seq` per incident with no gaps."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from schemas.incident import DailySchedule, IntervalSchedule, Schedule
from service.clock import iso
from service.domain.schedule import Segment, history
from service.repo import LAST_SEQ, Conn

CHANNEL = "lagesbild_events"

_schedule: TypeAdapter[IntervalSchedule | DailySchedule] = TypeAdapter(Schedule)


def notification(payload: str) -> tuple[uuid.UUID, int]:
    """A notification on `CHANNEL`, `<incident>:<seq>`: the incident, and the seq its
    log has reached. Anything after a further `:` is passed over, so that a later
    version may add to it without its notifications being lost to this one during a
    rolling upgrade. ValueError if it is none."""
    incident, seq, *_later = payload.split(":", 2)
    return uuid.UUID(incident), int(seq)


def event_dict(row: asyncpg.Record) -> dict[str, Any]:
    """An event as the log, the fold and the stream see it (JSON-typed values)."""
    return event_of(row["seq"], row["kind"], row["at"], row["actor"], row["data"])


def event_of(seq: int, kind: str, at: datetime, actor: str, data: Any) -> dict[str, Any]:
    """The event with these fields as `event_dict` makes it of its row: what an event
    written in this process is handed on as, without reading it back."""
    return {"seq": seq, "kind": kind, "at": iso(at), "actor": actor, "data": data}


async def append(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    seq: int,
    kind: str,
    at: datetime,
    actor: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Write the event with `seq` and queue its notification for commit.

    The caller holds the incident's row lock and has advanced `last_seq` to `seq`,
    so commit order is seq order. NOTIFY carries ids only; listeners read the row.
    """
    row = await conn.fetchrow(
        """
        INSERT INTO events (incident_id, seq, kind, at, actor, data)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING seq, kind, at, actor, data
        """,
        incident_id,
        seq,
        kind,
        at,
        actor,
        data,
    )
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, f"{incident_id}:{seq}")
    assert row is not None
    return event_dict(row)


async def since(
    conn: Conn,
    incident_id: uuid.UUID,
    after: int,
    *,
    limit: int | None = None,
    until: int | None = None,
) -> list[dict[str, Any]]:
    """Events with `after < seq <= until`, in order, at most `limit`."""
    rows = await conn.fetch(
        """
        SELECT seq, kind, at, actor, data FROM events
        WHERE incident_id = $1 AND seq > $2 AND seq <= COALESCE($3::bigint, $5)
        ORDER BY seq
        LIMIT $4
        """,
        incident_id,
        after,
        until,
        limit,
        LAST_SEQ,
    )
    return [event_dict(row) for row in rows]


async def stamped_after(
    conn: Conn, incident_id: uuid.UUID, after: int
) -> list[tuple[int, datetime]]:
    """`(seq, at)` of the events after `after`, in seq order (the moments' index)."""
    rows = await conn.fetch(
        "SELECT seq, at FROM events WHERE incident_id = $1 AND seq > $2 ORDER BY seq",
        incident_id,
        after,
    )
    return [(row["seq"], row["at"]) for row in rows]


async def schedule_history(conn: Conn, incident_id: uuid.UUID) -> list[Segment]:
    """The schedules the incident has had, from its log: activation, then each change."""
    rows = await conn.fetch(
        """
        SELECT at,
               CASE WHEN kind = 'incident.activated' THEN data -> 'incident' -> 'schedule'
                    ELSE data -> 'changes' -> 'schedule' END AS schedule
        FROM events
        WHERE incident_id = $1
          AND (kind = 'incident.activated'
               OR (kind = 'incident.updated' AND data -> 'changes' ? 'schedule'))
        ORDER BY seq
        """,
        incident_id,
    )
    return history((row["at"], _schedule.validate_python(row["schedule"])) for row in rows)
