"""SQL for drills. The caller owns the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from service.repo import Conn, record_to

_COLUMNS = """id, incident_id, county, message, respond_minutes, respond_by, started_at,
    started_by, started_by_actor, invitations, participants"""


@dataclass(frozen=True, slots=True)
class DrillRow:
    id: uuid.UUID
    incident_id: uuid.UUID
    county: str
    message: str
    respond_minutes: int
    respond_by: datetime
    started_at: datetime
    started_by: str
    started_by_actor: str
    invitations: bool
    participants: list[str]  # as at the start

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> DrillRow:
        return record_to(cls, row)


@dataclass(frozen=True, slots=True)
class Notification:
    """One drill message in the outbox: to whom, by which destination, and its fate."""

    organisation: str
    destination: str
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class FirstReport:
    organisation: str
    received_at: datetime
    via: str | None  # the report's provenance.via; None for one sent directly


def message_id(drill_id: uuid.UUID, organisation: str, destination: str, address: str) -> str:
    """The outbox message id of one notification: a repeat is dropped by the outbox."""
    return f"drill:{drill_id}:{organisation}:{destination}:{address}"


async def insert(conn: Conn, row: DrillRow) -> None:
    await conn.execute(
        f"INSERT INTO drills ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",  # noqa: S608  # fixed column list
        row.id,
        row.incident_id,
        row.county,
        row.message,
        row.respond_minutes,
        row.respond_by,
        row.started_at,
        row.started_by,
        row.started_by_actor,
        row.invitations,
        row.participants,
    )


async def get(conn: Conn, drill_id: uuid.UUID) -> DrillRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM drills WHERE id = $1",  # noqa: S608  # fixed column list
        drill_id,
    )
    return None if row is None else DrillRow.from_row(row)


async def of_incident(conn: Conn, incident_id: uuid.UUID) -> DrillRow | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM drills WHERE incident_id = $1",  # noqa: S608  # fixed column list
        incident_id,
    )
    return None if row is None else DrillRow.from_row(row)


async def of_county(conn: Conn, county: str) -> list[DrillRow]:
    """The county's drills, newest first."""
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM drills WHERE county = $1 ORDER BY started_at DESC, id",  # noqa: S608  # fixed column list
        county,
    )
    return [DrillRow.from_row(row) for row in rows]


async def notifications(conn: Conn, drill: DrillRow) -> list[Notification]:
    """The drill's messages in the outbox (message ids `drill:<id>:<org>:…`)."""
    prefix = f"drill:{drill.id}:"
    rows = await conn.fetch(
        """
        SELECT message_id, destination, created_at, delivered_at FROM outbox
        WHERE incident_id = $1 AND starts_with(message_id, $2)
        ORDER BY id
        """,
        drill.incident_id,
        prefix,
    )
    return [
        Notification(
            organisation=row["message_id"][len(prefix) :].split(":", 1)[0],
            destination=row["destination"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
        )
        for row in rows
    ]


async def first_reports(conn: Conn, incident_id: uuid.UUID) -> list[FirstReport]:
    """Each organisation's first report in the incident: when, and by which channel."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (organisation) organisation, received_at, provenance->>'via' AS via
        FROM reports WHERE incident_id = $1
        ORDER BY organisation, received_at, version
        """,
        incident_id,
    )
    return [
        FirstReport(organisation=r["organisation"], received_at=r["received_at"], via=r["via"])
        for r in rows
    ]
