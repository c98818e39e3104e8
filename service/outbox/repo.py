"""SQL for the outbox. The caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from service.repo import Conn


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message as a channel sees it."""

    id: int
    message_id: str
    destination: str
    kind: str
    incident_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime
    attempts: int


async def enqueue(
    conn: Conn,
    *,
    destination: str,
    kind: str,
    message_id: str,
    payload: Mapping[str, Any],
    at: datetime,
    incident_id: uuid.UUID | None = None,
) -> bool:
    """Store a message for `destination`, due at once; False when it was already there.

    `(destination, message_id)` is unique, so a writer that may run twice (a retried
    job, a second instance) enqueues each message once.
    """
    inserted = await conn.fetchval(
        """
        INSERT INTO outbox (message_id, destination, kind, incident_id, payload,
                            created_at, next_attempt_at)
        VALUES ($1, $2, $3, $4, $5, $6, $6)
        ON CONFLICT (destination, message_id) DO NOTHING
        RETURNING true
        """,
        message_id,
        destination,
        kind,
        incident_id,
        dict(payload),  # the pool's jsonb codec encodes it,
        at,
    )
    return bool(inserted)
