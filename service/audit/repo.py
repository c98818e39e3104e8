"""The audit log's SQL: rows are inserted and read, never changed (the service's database
role may not UPDATE or DELETE them: migrations/0011_audit.sql)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from service.repo import Conn, record_to


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: datetime
    kind: str
    actor: str
    organisation: str | None
    source: str | None
    request_id: str | None
    details: dict[str, Any]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AuditRow:
        return record_to(cls, row, details=json.loads(row["details"]))


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which rows to read: each given field narrows (actor: part of the name, any case)."""

    actor: str | None = None
    organisation: str | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def insert(
    conn: Conn,
    *,
    at: datetime,
    kind: str,
    actor: str,
    organisation: str | None,
    source: str | None,
    request_id: str | None,
    details: dict[str, Any],
) -> None:
    await conn.execute(
        """
        INSERT INTO audit_log (at, kind, actor, organisation, source, request_id, details)
        VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb)
        """,
        at,
        kind,
        actor,
        organisation,
        source,
        request_id,
        # As text: the same on a pool's connection (with a JSON codec) and a plain one.
        json.dumps(details, ensure_ascii=False),
    )


async def read(conn: Conn, where: AuditFilter, *, limit: int) -> list[AuditRow]:
    """The newest `limit` rows that match, newest first."""
    rows = await conn.fetch(
        """
        SELECT id, at, kind, actor, organisation, source, request_id, details::text
        FROM audit_log
        WHERE ($1::text IS NULL OR position(lower($1) IN lower(actor)) > 0)
          AND ($2::text IS NULL OR organisation = $2)
          AND ($3::text IS NULL OR kind = $3)
          AND ($4::timestamptz IS NULL OR at >= $4)
          AND ($5::timestamptz IS NULL OR at < $5)
        ORDER BY at DESC, id DESC
        LIMIT $6
        """,
        where.actor,
        where.organisation,
        where.kind,
        where.since,
        where.until,
        limit,
    )
    return [AuditRow.from_row(row) for row in rows]
