"""SQL for injects and inject templates. The caller owns the transaction."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from service.repo import Conn, record_to


@dataclass(frozen=True, slots=True)
class InjectRow:
    id: uuid.UUID
    incident_id: uuid.UUID
    number: int
    text: str
    attachments: list[dict[str, str]]
    audience: tuple[str, ...] | None
    offset_seconds: int | None
    deliver_at: datetime
    created_at: datetime
    created_by: str
    updated_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    delivered_at: datetime | None
    delivered_seq: int | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> InjectRow:
        audience = row["audience"]
        return record_to(
            cls,
            row,
            attachments=list(_json(row["attachments"])),
            audience=None if audience is None else tuple(audience),
        )

    @property
    def pending(self) -> bool:
        return self.delivered_at is None and self.withdrawn_at is None

    def reaches(self, organisation: str) -> bool:
        """Whether the organisation is in the inject's audience."""
        return self.audience is None or organisation in self.audience


@dataclass(frozen=True, slots=True)
class TemplateRow:
    id: uuid.UUID
    organisation: str
    name: str
    injects: list[dict[str, Any]]
    created_at: datetime
    created_by: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TemplateRow:
        return record_to(cls, row, injects=list(_json(row["injects"])))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_COLUMNS = """id, incident_id, number, text, attachments, audience, offset_seconds, deliver_at,
created_at, created_by, updated_at, withdrawn_at, withdrawn_by, delivered_at, delivered_seq"""


async def list_of(conn: Conn, incident_id: uuid.UUID) -> list[InjectRow]:
    records = await conn.fetch(
        f"SELECT {_COLUMNS} FROM injects WHERE incident_id = $1 ORDER BY deliver_at, number",  # noqa: S608  # fixed column list
        incident_id,
    )
    return [InjectRow.from_row(record) for record in records]


async def get(conn: Conn, incident_id: uuid.UUID, inject_id: uuid.UUID) -> InjectRow | None:
    record = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM injects WHERE incident_id = $1 AND id = $2",  # noqa: S608  # fixed column list
        incident_id,
        inject_id,
    )
    return None if record is None else InjectRow.from_row(record)


async def insert(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    text: str,
    attachments: list[dict[str, str]],
    audience: list[str] | None,
    offset_seconds: int | None,
    deliver_at: datetime,
    now: datetime,
    by: str,
) -> InjectRow:
    """A new inject, numbered after the incident's last (the caller holds its lock)."""
    record = await conn.fetchrow(
        f"""
        INSERT INTO injects (id, incident_id, number, text, attachments, audience,
                             offset_seconds, deliver_at, created_at, created_by, updated_at)
        VALUES ($1, $2,
                (SELECT coalesce(max(number), 0) + 1 FROM injects WHERE incident_id = $2),
                $3, $4, $5, $6, $7, $8, $9, $8)
        RETURNING {_COLUMNS}
        """,  # noqa: S608  # fixed column list
        uuid.uuid4(),
        incident_id,
        text,
        attachments,
        audience,
        offset_seconds,
        deliver_at,
        now,
        by,
    )
    assert record is not None
    return InjectRow.from_row(record)


async def update(
    conn: Conn,
    inject_id: uuid.UUID,
    *,
    text: str,
    attachments: list[dict[str, str]],
    audience: list[str] | None,
    offset_seconds: int | None,
    deliver_at: datetime,
    now: datetime,
) -> InjectRow | None:
    """Change a pending inject; None when it is delivered or withdrawn already."""
    record = await conn.fetchrow(
        f"""
        UPDATE injects
        SET text = $2, attachments = $3, audience = $4, offset_seconds = $5,
            deliver_at = $6, updated_at = $7
        WHERE id = $1 AND delivered_at IS NULL AND withdrawn_at IS NULL
        RETURNING {_COLUMNS}
        """,  # noqa: S608  # fixed column list
        inject_id,
        text,
        attachments,
        audience,
        offset_seconds,
        deliver_at,
        now,
    )
    return None if record is None else InjectRow.from_row(record)


async def withdraw(conn: Conn, inject_id: uuid.UUID, *, now: datetime, by: str) -> InjectRow | None:
    """Mark a pending inject withdrawn; None when it is delivered or withdrawn already."""
    record = await conn.fetchrow(
        f"""
        UPDATE injects SET withdrawn_at = $2, withdrawn_by = $3, updated_at = $2
        WHERE id = $1 AND delivered_at IS NULL AND withdrawn_at IS NULL
        RETURNING {_COLUMNS}
        """,  # noqa: S608  # fixed column list
        inject_id,
        now,
        by,
    )
    return None if record is None else InjectRow.from_row(record)


async def due(conn: Conn, now: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(incident, inject) of every pending inject of an active incident due by `now`,
    in the order they fall due."""
    records = await conn.fetch(
        """
        SELECT j.incident_id, j.id FROM injects j JOIN incidents i ON i.id = j.incident_id
        WHERE j.delivered_at IS NULL AND j.withdrawn_at IS NULL AND j.deliver_at <= $1
          AND i.status = 'active'
        ORDER BY j.deliver_at, j.incident_id, j.number
        """,
        now,
    )
    return [(record["incident_id"], record["id"]) for record in records]


async def next_due(conn: Conn, now: datetime) -> datetime | None:
    """When the next pending inject of an active incident falls due after `now`."""
    moment: datetime | None = await conn.fetchval(
        """
        SELECT min(j.deliver_at) FROM injects j JOIN incidents i ON i.id = j.incident_id
        WHERE j.delivered_at IS NULL AND j.withdrawn_at IS NULL AND j.deliver_at > $1
          AND i.status = 'active'
        """,
        now,
    )
    return moment


async def claim_delivery(
    conn: Conn, inject_id: uuid.UUID, *, now: datetime, seq: int
) -> InjectRow | None:
    """Mark the inject delivered with its event's seq; None when it is not pending (taken
    by another instance, or withdrawn)."""
    record = await conn.fetchrow(
        f"""
        UPDATE injects SET delivered_at = $2, delivered_seq = $3
        WHERE id = $1 AND delivered_at IS NULL AND withdrawn_at IS NULL
        RETURNING {_COLUMNS}
        """,  # noqa: S608  # fixed column list
        inject_id,
        now,
        seq,
    )
    return None if record is None else InjectRow.from_row(record)


# --- templates ---------------------------------------------------------------------------


async def insert_template(
    conn: Conn,
    *,
    organisation: str,
    name: str,
    injects: list[dict[str, Any]],
    now: datetime,
    by: str,
) -> TemplateRow:
    record = await conn.fetchrow(
        """
        INSERT INTO inject_templates (id, organisation, name, injects, created_at, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id, organisation, name, injects, created_at, created_by
        """,
        uuid.uuid4(),
        organisation,
        name,
        injects,
        now,
        by,
    )
    assert record is not None
    return TemplateRow.from_row(record)


async def templates_of(conn: Conn, organisation: str) -> list[TemplateRow]:
    records = await conn.fetch(
        """
        SELECT id, organisation, name, injects, created_at, created_by FROM inject_templates
        WHERE organisation = $1 ORDER BY created_at DESC, name
        """,
        organisation,
    )
    return [TemplateRow.from_row(record) for record in records]


async def get_template(conn: Conn, template_id: uuid.UUID) -> TemplateRow | None:
    record = await conn.fetchrow(
        """
        SELECT id, organisation, name, injects, created_at, created_by FROM inject_templates
        WHERE id = $1
        """,
        template_id,
    )
    return None if record is None else TemplateRow.from_row(record)
