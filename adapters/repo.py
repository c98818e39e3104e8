"""SQL for exchange bookkeeping: subscriptions, imported reports, change-log cursors.

The caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from service.repo import Conn


async def subscribe(conn: Conn, destination: str, kinds: Sequence[str], *, at: datetime) -> int:
    """From now on, events of `kinds` are copied to the outbox for `destination`.

    A destination that was not subscribed also gets the events the active incidents
    already have (due at `at`); returns how many messages that enqueued.
    """
    new: bool = await conn.fetchval(
        """
        INSERT INTO exchange_subscriptions (destination, kinds) VALUES ($1, $2)
        ON CONFLICT (destination) DO UPDATE SET kinds = EXCLUDED.kinds
        RETURNING xmax = 0
        """,
        destination,
        list(kinds),
    )
    if not new:
        return 0
    added: int = await conn.fetchval("SELECT exchange_backfill($1, $2)", destination, at)
    return added


async def unsubscribe(conn: Conn, destination: str) -> None:
    await conn.execute("DELETE FROM exchange_subscriptions WHERE destination = $1", destination)


async def record_import(
    conn: Conn,
    *,
    source: str,
    external_id: str,
    report_id: uuid.UUID,
    incident_id: uuid.UUID,
    at: datetime,
) -> None:
    """Remember that `report_id` came from `source`; a repeat changes nothing."""
    await conn.execute(
        """
        INSERT INTO exchange_imports (source, external_id, report_id, incident_id, received_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (source, external_id) DO NOTHING
        """,
        source,
        external_id,
        report_id,
        incident_id,
        at,
    )


async def imported_from(conn: Conn, source: str, report_id: uuid.UUID) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM exchange_imports WHERE source = $1 AND report_id = $2)",
        source,
        report_id,
    )
    return found


async def cursor(conn: Conn, source: str) -> int:
    position: int | None = await conn.fetchval(
        "SELECT position FROM exchange_cursors WHERE source = $1", source
    )
    return position or 0


async def advance_cursor(conn: Conn, source: str, position: int) -> None:
    """Move the cursor forward (never back, should two pollers race)."""
    await conn.execute(
        """
        INSERT INTO exchange_cursors (source, position) VALUES ($1, $2)
        ON CONFLICT (source) DO UPDATE
        SET position = GREATEST(exchange_cursors.position, EXCLUDED.position)
        """,
        source,
        position,
    )


async def reset_cursor(conn: Conn, source: str) -> None:
    """Read `source` from the start again (its log was reset)."""
    await conn.execute("DELETE FROM exchange_cursors WHERE source = $1", source)


async def relay_target(conn: Conn, sender: str, relayed_incident: uuid.UUID) -> uuid.UUID | None:
    """The incident here that `sender`'s incident `relayed_incident` feeds, if linked."""
    target: uuid.UUID | None = await conn.fetchval(
        "SELECT incident_id FROM relay_links WHERE sender = $1 AND relayed_incident = $2",
        sender,
        relayed_incident,
    )
    return target


async def link_relay(
    conn: Conn,
    *,
    sender: str,
    relayed_incident: uuid.UUID,
    incident_id: uuid.UUID,
    at: datetime,
    by: str,
) -> None:
    """From now on, `sender`'s incident `relayed_incident` feeds `incident_id` here."""
    await conn.execute(
        """
        INSERT INTO relay_links (sender, relayed_incident, incident_id, linked_at, linked_by)
        VALUES ($1, $2, $3, $4, $5)
        """,
        sender,
        relayed_incident,
        incident_id,
        at,
        by,
    )


async def sms_key(
    conn: Conn,
    *,
    message_id: str,
    sender: str,
    digest: bytes,
    at: datetime,
    window_seconds: float,
) -> tuple[str, bool]:
    """The report key of an SMS, and whether the gateway delivered this message id before.

    The same message id keeps its key; a new one whose sender sent the same text within
    `window_seconds` before takes that message's key (so both make one report); else its
    own, `sms:<message id>`. Messages of one sender are taken one at a time (a
    transaction-scoped lock), so two copies arriving together still share a key. Call
    inside a transaction.
    """
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('sms:' || $1))", sender)
    known = await conn.fetchval(
        "SELECT report_key FROM sms_messages WHERE message_id = $1", message_id
    )
    if known is not None:
        return str(known), True
    earlier = await conn.fetchval(
        """
        SELECT report_key FROM sms_messages
        WHERE sender = $1 AND text_sha256 = $2
          AND received_at >= $3::timestamptz - make_interval(secs => $4::float8)
          AND received_at <= $3::timestamptz
        ORDER BY received_at DESC LIMIT 1
        """,
        sender,
        digest,
        at,
        window_seconds,
    )
    key = str(earlier) if earlier is not None else f"sms:{message_id}"
    await conn.execute(
        """
        INSERT INTO sms_messages (message_id, sender, text_sha256, received_at, report_key)
        VALUES ($1, $2, $3, $4, $5)
        """,
        message_id,
        sender,
        digest,
        at,
        key,
    )
    return key, False
