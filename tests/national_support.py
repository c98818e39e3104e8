"""What the national roll-up tests share: writing a published summary into an incident's
log (the event `summary.published`, as the county board's summary publishing writes it)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from service.repo import events, incidents

SUMMARY_KIND = "summary.published"


def summary_event(
    seq: int, *, number: int, at: str, requests: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A `summary.published` event with the shared contract's data."""
    return {
        "seq": seq,
        "kind": SUMMARY_KIND,
        "at": at,
        "actor": "LST-14",
        "data": {
            "number": number,
            "published_at": at,
            "published_by": "Länsstyrelsen TiB",
            "picture_seq": max(seq - 1, 0),
            "corrects": None,
            "summary": {"requests": requests or []},
        },
    }


async def publish_summary(
    pool: asyncpg.Pool,
    incident_id: str,
    *,
    number: int,
    at: datetime,
    requests: list[dict[str, Any]] | None = None,
) -> int:
    """Append `summary.published` to the incident's log; returns its seq."""
    async with pool.acquire() as conn, conn.transaction():
        target = uuid.UUID(incident_id)
        await incidents.lock(conn, target)
        seq = await incidents.advance_seq(conn, target)
        event = summary_event(seq, number=number, at=at.isoformat(), requests=requests)
        await events.append(
            conn,
            incident_id=target,
            seq=seq,
            kind=SUMMARY_KIND,
            at=at,
            actor="LST-14",
            data=event["data"],
        )
    return seq
