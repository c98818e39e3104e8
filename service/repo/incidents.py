"""Incidents and their participants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import TypeAdapter

from schemas.common import Severity
from schemas.incident import DailySchedule, IntervalSchedule, Schedule
from service.access.policy import IncidentAccess
from service.access.principal import Principal
from service.repo import Conn, record_to

_schedule_adapter: TypeAdapter[IntervalSchedule | DailySchedule] = TypeAdapter(Schedule)


@dataclass(frozen=True, slots=True)
class IncidentRow:
    id: uuid.UUID
    title: str
    description: str
    county: str
    owner: str
    severity: Severity
    exercise: bool
    status: Literal["active", "closed"]
    schedule: IntervalSchedule | DailySchedule
    activated_at: datetime
    activated_by: str
    closed_at: datetime | None
    closed_by: str | None
    summary: str | None
    last_seq: int
    participants: tuple[str, ...]
    shared_with: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> IncidentRow:
        return record_to(
            cls,
            row,
            schedule=_schedule_adapter.validate_python(row["schedule"]),
            participants=tuple(row["participants"]),
            shared_with=tuple(row["shared_with"]),
        )

    @property
    def access(self) -> IncidentAccess:
        return IncidentAccess(
            county=self.county,
            owner=self.owner,
            participants=frozenset(self.participants),
            shared_with=frozenset(self.shared_with),
        )

    @property
    def active(self) -> bool:
        return self.status == "active"


# The incident's columns with its participants and shares (for `FROM incidents i`).
INCIDENT_COLUMNS = """
SELECT i.*, ARRAY(
    SELECT p.organisation FROM incident_participants p
    WHERE p.incident_id = i.id ORDER BY p.organisation
) AS participants, ARRAY(
    SELECT s.organisation FROM incident_shares s
    WHERE s.incident_id = i.id ORDER BY s.organisation
) AS shared_with
"""
_SELECT = INCIDENT_COLUMNS + "FROM incidents i\n"


async def get(conn: Conn, incident_id: uuid.UUID) -> IncidentRow | None:
    record = await conn.fetchrow(_SELECT + "WHERE i.id = $1", incident_id)
    return None if record is None else IncidentRow.from_row(record)


async def lock(conn: Conn, incident_id: uuid.UUID) -> IncidentRow | None:
    """The incident under a row lock, for the rest of the caller's transaction.

    Every change takes this lock before writing its event, which is what makes
    `seq` dense and commit order equal to seq order.
    """
    record = await conn.fetchrow(_SELECT + "WHERE i.id = $1 FOR UPDATE OF i", incident_id)
    return None if record is None else IncidentRow.from_row(record)


async def list_visible(
    conn: Conn, principal: Principal, *, status: str | None
) -> list[IncidentRow]:
    """The incidents `principal` may see, newest first: `policy.can_see` as SQL."""
    board_county = principal.org_county if principal.org_kind == "county_board" else None
    records = await conn.fetch(
        _SELECT  # noqa: S608  # constant SQL; values are parameters
        + """
        WHERE ($1::text IS NULL OR i.status = $1)
          AND ($2 OR i.owner = $3 OR i.county = $4
               OR EXISTS (SELECT 1 FROM incident_participants p
                          WHERE p.incident_id = i.id AND p.organisation = $3)
               OR ($5 AND EXISTS (SELECT 1 FROM incident_shares s
                                  WHERE s.incident_id = i.id AND s.organisation = $3)))
        ORDER BY i.activated_at DESC
        """,
        status,
        principal.role == "admin",
        principal.organisation,
        board_county,
        principal.org_kind == "county_board",
    )
    return [IncidentRow.from_row(record) for record in records]


async def any_exist(conn: Conn) -> bool:
    """Whether the database holds any incident at all."""
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM incidents)")
    return found


async def list_active_ids(conn: Conn) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM incidents WHERE status = 'active'")]


async def insert(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    title: str,
    description: str,
    county: str,
    owner: str,
    severity: str,
    exercise: bool,
    schedule: dict[str, Any],
    activated_at: datetime,
    activated_by: str,
    participants: list[str],
) -> None:
    await conn.execute(
        """
        INSERT INTO incidents (id, title, description, county, owner, severity, exercise,
                               schedule, activated_at, activated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        incident_id,
        title,
        description,
        county,
        owner,
        severity,
        exercise,
        schedule,
        activated_at,
        activated_by,
    )
    await add_participants(conn, incident_id, participants, activated_at)


async def add_participants(
    conn: Conn, incident_id: uuid.UUID, codes: list[str], at: datetime
) -> None:
    await conn.executemany(
        """
        INSERT INTO incident_participants (incident_id, organisation, added_at)
        VALUES ($1, $2, $3)
        """,
        [(incident_id, code, at) for code in codes],
    )


async def remove_participants(conn: Conn, incident_id: uuid.UUID, codes: list[str]) -> None:
    await conn.execute(
        """
        DELETE FROM incident_participants
        WHERE incident_id = $1 AND organisation = ANY($2::text[])
        """,
        incident_id,
        codes,
    )


async def update_fields(conn: Conn, incident_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """Set the given columns (names from a fixed allow-list, values as parameters)."""
    allowed = ("title", "description", "severity", "schedule")
    columns = [name for name in allowed if name in changes]
    if not columns:
        return
    assignments = ", ".join(f"{name} = ${index}" for index, name in enumerate(columns, start=2))
    await conn.execute(
        f"UPDATE incidents SET {assignments} WHERE id = $1",  # noqa: S608  # column names from the allow-list above
        incident_id,
        *(changes[name] for name in columns),
    )


async def close(conn: Conn, incident_id: uuid.UUID, *, at: datetime, by: str, summary: str) -> None:
    await conn.execute(
        """
        UPDATE incidents SET status = 'closed', closed_at = $2, closed_by = $3, summary = $4
        WHERE id = $1
        """,
        incident_id,
        at,
        by,
        summary,
    )


async def add_share(
    conn: Conn, incident_id: uuid.UUID, organisation: str, *, at: datetime, by: str
) -> bool:
    """Share with `organisation`; False when it was shared already."""
    added: str | None = await conn.fetchval(
        """
        INSERT INTO incident_shares (incident_id, organisation, shared_at, shared_by)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING
        RETURNING organisation
        """,
        incident_id,
        organisation,
        at,
        by,
    )
    return added is not None


async def remove_share(conn: Conn, incident_id: uuid.UUID, organisation: str) -> bool:
    """Stop sharing with `organisation`; False when it was not shared."""
    removed: str | None = await conn.fetchval(
        "DELETE FROM incident_shares WHERE incident_id = $1 AND organisation = $2"
        " RETURNING organisation",
        incident_id,
        organisation,
    )
    return removed is not None


async def was_removed(conn: Conn, incident_id: uuid.UUID, organisation: str) -> bool:
    """Whether `organisation` is not a participant now but was one, removed by a change."""
    found: bool = await conn.fetchval(
        """
        SELECT NOT EXISTS (SELECT 1 FROM incident_participants
                           WHERE incident_id = $1 AND organisation = $2)
           AND EXISTS (SELECT 1 FROM events
                       WHERE incident_id = $1 AND kind = 'incident.updated'
                         AND data -> 'participants_removed' ? $2)
        """,
        incident_id,
        organisation,
    )
    return found


async def advance_seq(conn: Conn, incident_id: uuid.UUID) -> int:
    """Take the next seq (caller holds the row lock)."""
    seq: int = await conn.fetchval(
        "UPDATE incidents SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
        incident_id,
    )
    return seq
