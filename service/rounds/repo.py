"""SQL for rounds, claims and contacts. The caller owns the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg

from service.repo import Conn, record_to
from service.rounds.plan import ReportTimes

ClaimKind = Literal["close", "reminder.before"]


@dataclass(frozen=True, slots=True)
class RoundRow:
    incident_id: uuid.UUID
    n: int
    due_at: datetime
    closed_at: datetime
    seq: int
    expected: tuple[str, ...]
    on_time: tuple[str, ...]
    late: tuple[str, ...]
    overdue: tuple[str, ...]

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> RoundRow:
        return record_to(
            cls,
            row,
            expected=tuple(row["expected"]),
            on_time=tuple(row["on_time"]),
            late=tuple(row["late"]),
            overdue=tuple(row["overdue"]),
        )


_ROUND_COLUMNS = "incident_id, n, due_at, closed_at, seq, expected, on_time, late, overdue"


async def claim(
    conn: Conn, incident_id: uuid.UUID, due_at: datetime, kind: ClaimKind, now: datetime
) -> bool:
    """Take one piece of work; False when somebody already has (now or earlier)."""
    taken = await conn.fetchval(
        """
        INSERT INTO round_claims (incident_id, due_at, kind, claimed_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        incident_id,
        due_at,
        kind,
        now,
    )
    return bool(taken)


async def last_round(conn: Conn, incident_id: uuid.UUID) -> RoundRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE incident_id = $1 ORDER BY n DESC LIMIT 1",  # noqa: S608  # fixed column list
        incident_id,
    )
    return None if record is None else RoundRow.from_row(record)


async def list_rounds(conn: Conn, incident_id: uuid.UUID) -> list[RoundRow]:
    records = await conn.fetch(
        f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE incident_id = $1 ORDER BY n",  # noqa: S608  # fixed column list
        incident_id,
    )
    return [RoundRow.from_row(record) for record in records]


async def round_picture(conn: Conn, incident_id: uuid.UUID, n: int) -> dict[str, Any] | None:
    picture: dict[str, Any] | None = await conn.fetchval(
        "SELECT picture FROM rounds WHERE incident_id = $1 AND n = $2", incident_id, n
    )
    return picture


async def insert_round(
    conn: Conn,
    *,
    incident_id: uuid.UUID,
    n: int,
    due_at: datetime,
    closed_at: datetime,
    seq: int,
    expected: tuple[str, ...],
    on_time: tuple[str, ...],
    late: tuple[str, ...],
    overdue: tuple[str, ...],
    picture: dict[str, Any],
) -> None:
    await conn.execute(
        """
        INSERT INTO rounds (incident_id, n, due_at, closed_at, seq, expected, on_time, late,
                            overdue, picture)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        incident_id,
        n,
        due_at,
        closed_at,
        seq,
        list(expected),
        list(on_time),
        list(late),
        list(overdue),
        picture,
    )


async def report_times(
    conn: Conn, incident_id: uuid.UUID, *, as_of_after: datetime | None = None
) -> list[ReportTimes]:
    """When each report of the incident describes and arrived (after a moment, if given)."""
    records = await conn.fetch(
        """
        SELECT organisation, as_of, received_at FROM reports
        WHERE incident_id = $1 AND ($2::timestamptz IS NULL OR as_of > $2)
        """,
        incident_id,
        as_of_after,
    )
    return [record_to(ReportTimes, record) for record in records]


# --- contacts ----------------------------------------------------------------------------


async def add_contact(conn: Conn, organisation: str, email: str, now: datetime) -> bool:
    """Add an address; False when the organisation already has it."""
    added = await conn.fetchval(
        """
        INSERT INTO organisation_contacts (organisation, email, created_at)
        VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        organisation,
        email,
        now,
    )
    return bool(added)


async def remove_contact(conn: Conn, organisation: str, email: str) -> bool:
    removed = await conn.fetchval(
        """
        DELETE FROM organisation_contacts WHERE organisation = $1 AND email = $2
        RETURNING true
        """,
        organisation,
        email,
    )
    return bool(removed)


async def contacts_of(conn: Conn, codes: list[str]) -> dict[str, list[str]]:
    """Each organisation's e-mail addresses (organisations without any are left out)."""
    records = await conn.fetch(
        """
        SELECT organisation, email FROM organisation_contacts
        WHERE organisation = ANY($1::text[])
        ORDER BY organisation, email
        """,
        codes,
    )
    found: dict[str, list[str]] = {}
    for record in records:
        found.setdefault(record["organisation"], []).append(record["email"])
    return found


async def county_boards(conn: Conn, county: str) -> list[str]:
    """The codes of the county board(s) of a county."""
    records = await conn.fetch(
        "SELECT code FROM organisations WHERE kind = 'county_board' AND county = $1 ORDER BY code",
        county,
    )
    return [record["code"] for record in records]


# --- phone contacts (who may report by SMS) ------------------------------------------------


async def add_phone(conn: Conn, organisation: str, phone: str, now: datetime) -> bool:
    """Add a mobile number (E.164); False when the organisation already has it."""
    added = await conn.fetchval(
        """
        INSERT INTO organisation_phones (organisation, phone, created_at)
        VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        RETURNING true
        """,
        organisation,
        phone,
        now,
    )
    return bool(added)


async def remove_phone(conn: Conn, organisation: str, phone: str) -> bool:
    removed = await conn.fetchval(
        "DELETE FROM organisation_phones WHERE organisation = $1 AND phone = $2 RETURNING true",
        organisation,
        phone,
    )
    return bool(removed)


async def phones_of(conn: Conn, organisation: str) -> list[str]:
    records = await conn.fetch(
        "SELECT phone FROM organisation_phones WHERE organisation = $1 ORDER BY phone",
        organisation,
    )
    return [record["phone"] for record in records]


async def organisations_of_phone(conn: Conn, phone: str) -> list[str]:
    """The organisations a mobile number is registered for, by code."""
    records = await conn.fetch(
        "SELECT organisation FROM organisation_phones WHERE phone = $1 ORDER BY organisation",
        phone,
    )
    return [record["organisation"] for record in records]
