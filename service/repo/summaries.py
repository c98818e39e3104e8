"""Summaries: the shared draft per incident, the published ones, their recipients and
how each delivery went."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from service.repo import Conn, record_to


@dataclass(frozen=True, slots=True)
class DraftRow:
    incident_id: uuid.UUID
    version: int
    content: dict[str, Any]
    updated_at: datetime
    updated_by: str
    updated_by_org: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> DraftRow:
        return record_to(cls, row)


@dataclass(frozen=True, slots=True)
class SummaryRow:
    incident_id: uuid.UUID
    number: int
    seq: int
    published_at: datetime
    published_by: str
    published_by_org: str
    picture_seq: int
    corrects: int | None
    content: dict[str, Any]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> SummaryRow:
        return record_to(cls, row)


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    county: str
    channel: str
    email: str | None
    webhook_id: int | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Recipient:
        return record_to(cls, row)

    @property
    def label(self) -> str:
        return self.email if self.email is not None else f"webhook:{self.webhook_id}"


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    number: int
    destination: str
    recipient: str
    status: str
    attempts: int
    delivered_at: datetime | None
    last_error: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> DeliveryRow:
        return record_to(cls, row)


async def draft(conn: Conn, incident_id: uuid.UUID) -> DraftRow | None:
    """The incident's draft; a writer holds the incident's row lock."""
    row = await conn.fetchrow("SELECT * FROM summary_drafts WHERE incident_id = $1", incident_id)
    return None if row is None else DraftRow.from_row(row)


async def save_draft(
    conn: Conn,
    incident_id: uuid.UUID,
    *,
    version: int,
    content: dict[str, Any],
    at: datetime,
    by: str,
    by_org: str,
) -> None:
    await conn.execute(
        """
        INSERT INTO summary_drafts (incident_id, version, content, updated_at, updated_by,
                                    updated_by_org)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (incident_id) DO UPDATE
        SET version = EXCLUDED.version, content = EXCLUDED.content,
            updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by,
            updated_by_org = EXCLUDED.updated_by_org
        """,
        incident_id,
        version,
        content,
        at,
        by,
        by_org,
    )


async def last_number(conn: Conn, incident_id: uuid.UUID) -> int:
    """The highest published number (0: none). Read under the incident's row lock when
    taking the next one."""
    found: int = await conn.fetchval(
        "SELECT coalesce(max(number), 0) FROM summaries WHERE incident_id = $1", incident_id
    )
    return found


async def insert(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    number: int,
    seq: int,
    published_at: datetime,
    published_by: str,
    published_by_org: str,
    picture_seq: int,
    corrects: int | None,
    content: dict[str, Any],
) -> None:
    await conn.execute(
        """
        INSERT INTO summaries (incident_id, number, seq, published_at, published_by,
                               published_by_org, picture_seq, corrects, content)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        incident_id,
        number,
        seq,
        published_at,
        published_by,
        published_by_org,
        picture_seq,
        corrects,
        content,
    )


async def get(conn: Conn, incident_id: uuid.UUID, number: int) -> SummaryRow | None:
    row = await conn.fetchrow(
        "SELECT * FROM summaries WHERE incident_id = $1 AND number = $2", incident_id, number
    )
    return None if row is None else SummaryRow.from_row(row)


async def latest(conn: Conn, incident_id: uuid.UUID) -> SummaryRow | None:
    row = await conn.fetchrow(
        "SELECT * FROM summaries WHERE incident_id = $1 ORDER BY number DESC LIMIT 1",
        incident_id,
    )
    return None if row is None else SummaryRow.from_row(row)


async def all_of(conn: Conn, incident_id: uuid.UUID) -> list[SummaryRow]:
    rows = await conn.fetch(
        "SELECT * FROM summaries WHERE incident_id = $1 ORDER BY number", incident_id
    )
    return [SummaryRow.from_row(row) for row in rows]


async def recipients(conn: Conn, county: str) -> list[Recipient]:
    rows = await conn.fetch(
        """
        SELECT r.id, r.county, r.channel, r.email, r.webhook_id FROM summary_recipients r
        LEFT JOIN webhooks w ON w.id = r.webhook_id
        WHERE r.county = $1 AND (r.webhook_id IS NULL OR w.disabled_at IS NULL)
        ORDER BY r.id
        """,
        county,
    )
    return [Recipient.from_row(row) for row in rows]


async def add_recipient(
    conn: Conn, *, county: str, email: str | None, webhook_id: int | None, at: datetime
) -> tuple[Recipient, bool]:
    """The recipient (and True when it is new)."""
    channel = "email" if email is not None else "webhook"
    row = await conn.fetchrow(
        """
        INSERT INTO summary_recipients (county, channel, email, webhook_id, created_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT DO NOTHING
        RETURNING id, county, channel, email, webhook_id
        """,
        county,
        channel,
        email,
        webhook_id,
        at,
    )
    if row is not None:
        return Recipient.from_row(row), True
    existing = await conn.fetchrow(
        """
        SELECT id, county, channel, email, webhook_id FROM summary_recipients
        WHERE county = $1 AND (lower(email) = lower($2) OR webhook_id = $3)
        """,
        county,
        email,
        webhook_id,
    )
    assert existing is not None
    return Recipient.from_row(existing), False


async def remove_recipient(conn: Conn, recipient_id: int) -> bool:
    done: str = await conn.execute("DELETE FROM summary_recipients WHERE id = $1", recipient_id)
    return done.endswith(" 1")


async def deliveries(conn: Conn, incident_id: uuid.UUID) -> list[DeliveryRow]:
    """Every outbox message carrying one of the incident's summaries: the ones written at
    publishing (message id `<incident>:summary:<number>:<recipient>`) and the copies of
    the event for subscribed destinations (`data.number`)."""
    rows = await conn.fetch(
        """
        SELECT CASE WHEN message_id LIKE '%:summary:%'
                    THEN split_part(message_id, ':', 3)::int
                    ELSE (payload -> 'data' ->> 'number')::int END AS number,
               destination,
               CASE WHEN destination = 'email' THEN payload -> 'to' ->> 0
                    ELSE destination END AS recipient,
               status, attempts, delivered_at, last_error
        FROM outbox
        WHERE incident_id = $1 AND kind = 'summary.published'
        ORDER BY id
        """,
        incident_id,
    )
    return [DeliveryRow.from_row(row) for row in rows]
