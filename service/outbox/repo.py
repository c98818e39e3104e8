"""SQL for the outbox. The caller owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from service.outbox.webhooks import Webhook
from service.repo import Conn, record_to

# NOTIFY channel: the payload is the destination; workers wake and look for due rows.
CHANNEL = "lagesbild_outbox"

Status = Literal["pending", "delivered", "dead"]


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
    # Attempts so far, the one being made included (a claim counts as an attempt).
    attempts: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> OutboxMessage:
        return record_to(cls, row)


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message as an admin sees it: everything but the payload."""

    id: int
    message_id: str
    destination: str
    kind: str
    incident_id: uuid.UUID | None
    created_at: datetime
    status: Status
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> OutboxRow:
        return record_to(cls, row)


@dataclass(frozen=True, slots=True)
class Count:
    destination: str
    status: Status
    count: int

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Count:
        return record_to(cls, row, count=row["n"])


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
    if inserted:
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, destination)
    return bool(inserted)


_ROW_COLUMNS = """id, message_id, destination, kind, incident_id, created_at, status, attempts,
    next_attempt_at, last_error, delivered_at"""


async def due_destinations(
    conn: Conn, *, now: datetime, channels: list[str], exclude: list[str], limit: int
) -> list[str]:
    """Destinations with pending messages due at `now`, of the given channel names."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT destination FROM outbox
        WHERE status = 'pending' AND next_attempt_at <= $1
          AND split_part(destination, ':', 1) = ANY($2::text[])
          AND NOT (destination = ANY($3::text[]))
        LIMIT $4
        """,
        now,
        channels,
        exclude,
        limit,
    )
    return [row["destination"] for row in rows]


async def claim(
    conn: Conn,
    *,
    destination: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    ordered: bool = False,
) -> list[OutboxMessage]:
    """Take up to `limit` due messages of `destination`, oldest first, counting an attempt.

    One statement, so one short transaction: rows locked by another worker are skipped,
    and a claimed row is not due again before `lease_until`, so if this instance dies
    mid-delivery the message is retried after the lease instead of being lost.
    `ordered`: take nothing written after a pending message that is not due (waiting for
    a retry, or claimed by another worker), so the destination sees messages in order.
    """
    rows = await conn.fetch(
        """
        WITH due AS (
            SELECT id FROM outbox
            WHERE status = 'pending' AND destination = $1 AND next_attempt_at <= $2
              AND (NOT $5 OR id < coalesce(
                  (SELECT min(id) FROM outbox
                   WHERE status = 'pending' AND destination = $1 AND next_attempt_at > $2),
                  9223372036854775807))
            -- Ordered: by id. Otherwise the longest-waiting first, so probes rotate.
            ORDER BY CASE WHEN $5 THEN NULL ELSE next_attempt_at END NULLS FIRST, id
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $3
        FROM due WHERE o.id = due.id
        RETURNING o.id, o.message_id, o.destination, o.kind, o.incident_id, o.payload,
                  o.created_at, o.attempts
        """,
        destination,
        now,
        lease_until,
        limit,
        ordered,
    )
    return sorted((OutboxMessage.from_row(row) for row in rows), key=lambda m: m.id)


async def mark_delivered(conn: Conn, message: OutboxMessage, *, at: datetime) -> bool:
    result = await conn.execute(
        """
        UPDATE outbox SET status = 'delivered', delivered_at = $2
        WHERE id = $1 AND status = 'pending'
        """,
        message.id,
        at,
    )
    return result != "UPDATE 0"


async def schedule_retry(
    conn: Conn, message: OutboxMessage, *, at: datetime, error: str, counted: bool = True
) -> bool:
    """Due again at `at`; ignored when the row was claimed again or retried meanwhile.

    `counted=False` takes the attempt back (a failed breaker probe: an outage alone
    should not use up a message's attempts).
    """
    result = await conn.execute(
        """
        UPDATE outbox SET next_attempt_at = $2, last_error = $3,
                          attempts = attempts - CASE WHEN $5 THEN 0 ELSE 1 END
        WHERE id = $1 AND status = 'pending' AND attempts = $4
        """,
        message.id,
        at,
        error[:500],
        message.attempts,
        counted,
    )
    return result != "UPDATE 0"


async def release(conn: Conn, message: OutboxMessage, *, at: datetime) -> bool:
    """Give a claimed message back unattempted (its destination's breaker opened)."""
    result = await conn.execute(
        """
        UPDATE outbox SET next_attempt_at = $2, attempts = attempts - 1
        WHERE id = $1 AND status = 'pending' AND attempts = $3
        """,
        message.id,
        at,
        message.attempts,
    )
    return result != "UPDATE 0"


async def mark_dead(conn: Conn, message: OutboxMessage, *, error: str) -> bool:
    result = await conn.execute(
        """
        UPDATE outbox SET status = 'dead', last_error = $2
        WHERE id = $1 AND status = 'pending' AND attempts = $3
        """,
        message.id,
        error[:500],
        message.attempts,
    )
    return result != "UPDATE 0"


async def get(conn: Conn, id_: int) -> OutboxRow | None:
    row = await conn.fetchrow(f"SELECT {_ROW_COLUMNS} FROM outbox WHERE id = $1", id_)  # noqa: S608  # constant column list
    return None if row is None else OutboxRow.from_row(row)


async def retry(conn: Conn, id_: int, *, now: datetime) -> OutboxRow | None:
    """A dead or pending message due again now with its attempts reset.

    None when there is no such message; a delivered one is returned unchanged.
    """
    row = await conn.fetchrow(
        f"""
        UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2
        WHERE id = $1 AND status IN ('pending', 'dead')
        RETURNING {_ROW_COLUMNS}
        """,  # noqa: S608  # constant column list
        id_,
        now,
    )
    if row is None:
        return await get(conn, id_)
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, row["destination"])
    return OutboxRow.from_row(row)


async def retry_all_dead(conn: Conn, *, now: datetime) -> int:
    """Every dead letter due again now with its attempts reset; how many there were."""
    rows = await conn.fetch(
        """
        UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1
        WHERE status = 'dead'
        RETURNING destination
        """,
        now,
    )
    for destination in sorted({row["destination"] for row in rows}):
        await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, destination)
    return len(rows)


async def counts(conn: Conn, *, include_delivered: bool = True) -> list[Count]:
    """How many messages each destination has in each status."""
    rows = await conn.fetch(
        """
        SELECT destination, status, count(*) AS n FROM outbox
        WHERE $1 OR status <> 'delivered'
        GROUP BY destination, status ORDER BY destination, status
        """,
        include_delivered,
    )
    return [Count.from_row(row) for row in rows]


async def oldest_pending(conn: Conn) -> datetime | None:
    """When the oldest message still waiting was written."""
    value: datetime | None = await conn.fetchval(
        "SELECT min(created_at) FROM outbox WHERE status = 'pending'"
    )
    return value


async def list_messages(
    conn: Conn, *, status: Status | None, destination: str | None, limit: int
) -> list[OutboxRow]:
    """Messages, newest first, optionally of one status and destination."""
    rows = await conn.fetch(
        f"""
        SELECT {_ROW_COLUMNS} FROM outbox
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR destination = $2)
        ORDER BY id DESC LIMIT $3
        """,  # noqa: S608  # constant column list
        status,
        destination,
        limit,
    )
    return [OutboxRow.from_row(row) for row in rows]


async def resend_delivered(conn: Conn, destination: str, *, now: datetime) -> int:
    """Every delivered message of `destination` pending again, due `now`, attempts reset:
    for a receiver that has started empty and drops repeats by message id. Dead letters
    stay dead. How many messages that was."""
    result: str = await conn.execute(
        """
        UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $2,
                          delivered_at = NULL
        WHERE destination = $1 AND status = 'delivered'
        """,
        destination,
        now,
    )
    return int(result.rpartition(" ")[2])


# --- webhooks ----------------------------------------------------------------------------


async def insert_webhook(
    conn: Conn, *, organisation: str, url: str, secret: str, at: datetime
) -> Webhook:
    row = await conn.fetchrow(
        """
        INSERT INTO webhooks (organisation, url, secret, created_at)
        VALUES ($1, $2, $3, $4) RETURNING *
        """,
        organisation,
        url,
        secret,
        at,
    )
    assert row is not None  # INSERT … RETURNING returns the row
    return Webhook.from_row(row)


async def get_webhook(conn: Conn, webhook_id: int) -> Webhook | None:
    row = await conn.fetchrow("SELECT * FROM webhooks WHERE id = $1", webhook_id)
    return None if row is None else Webhook.from_row(row)


async def webhooks_of(
    conn: Conn, organisation: str, *, include_disabled: bool = False
) -> list[Webhook]:
    """An organisation's webhooks, oldest first."""
    rows = await conn.fetch(
        """
        SELECT * FROM webhooks
        WHERE organisation = $1 AND ($2 OR disabled_at IS NULL)
        ORDER BY id
        """,
        organisation,
        include_disabled,
    )
    return [Webhook.from_row(row) for row in rows]


async def disable_webhook(conn: Conn, webhook_id: int, *, at: datetime) -> bool:
    result = await conn.execute(
        "UPDATE webhooks SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
        webhook_id,
        at,
    )
    return result != "UPDATE 0"


# --- an incident's messages, for its duty officers ---------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentMessage:
    """One message of an incident with what its payload says about whom it went to."""

    id: int
    message_id: str
    destination: str
    kind: str
    created_at: datetime
    status: Status
    attempts: int
    delivered_at: datetime | None
    last_error: str | None
    subject: str | None
    to: list[str]
    organisation: str | None
    due_at: str | None
    number: int | None
    webhook_organisation: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> IncidentMessage:
        to = row["to_addresses"]
        return record_to(
            cls,
            row,
            to=[str(address) for address in to] if isinstance(to, list) else [],
            number=int(row["number"]) if row["number"] is not None else None,
        )


async def incident_messages(
    conn: Conn, incident_id: uuid.UUID, *, limit: int
) -> tuple[list[IncidentMessage], list[Count]]:
    """The incident's messages to people (e-mail, webhooks) and every dead letter of it,
    newest first, at most `limit` of each; and its message counts per destination."""
    rows = await conn.fetch(
        """
        (SELECT o.id, o.message_id, o.destination, o.kind, o.created_at, o.status,
                o.attempts, o.delivered_at, o.last_error,
                o.payload->>'subject' AS subject, o.payload->'to' AS to_addresses,
                o.payload->>'organisation' AS organisation, o.payload->>'due_at' AS due_at,
                CASE WHEN jsonb_typeof(o.payload->'number') = 'number'
                     THEN (o.payload->>'number')::bigint END AS number,
                w.organisation AS webhook_organisation
         FROM outbox o
         LEFT JOIN webhooks w ON o.destination = 'webhook:' || w.id::text
         WHERE o.incident_id = $1
           AND (o.destination = 'email' OR o.destination LIKE 'webhook:%')
         ORDER BY o.id DESC LIMIT $2)
        UNION
        (SELECT o.id, o.message_id, o.destination, o.kind, o.created_at, o.status,
                o.attempts, o.delivered_at, o.last_error,
                o.payload->>'subject', o.payload->'to', o.payload->>'organisation',
                o.payload->>'due_at',
                CASE WHEN jsonb_typeof(o.payload->'number') = 'number'
                     THEN (o.payload->>'number')::bigint END,
                w.organisation
         FROM outbox o
         LEFT JOIN webhooks w ON o.destination = 'webhook:' || w.id::text
         WHERE o.incident_id = $1 AND o.status = 'dead'
         ORDER BY o.id DESC LIMIT $2)
        ORDER BY id DESC
        """,
        incident_id,
        limit,
    )
    counts = await conn.fetch(
        """
        SELECT destination, status, count(*) AS n FROM outbox WHERE incident_id = $1
        GROUP BY destination, status ORDER BY destination, status
        """,
        incident_id,
    )
    return [IncidentMessage.from_row(row) for row in rows], [Count.from_row(r) for r in counts]
