"""Situation reports. Rows are only inserted; the database refuses updates and deletes."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from schemas.report import StoredReport
from service.errors import Conflict
from service.repo import Conn

_COLUMNS = """report_id, incident_id, organisation, version, fingerprint, content, unchanged,
    as_of, received_at, due_at, late, submitted_by, supersedes, provenance"""


def _validated(row: asyncpg.Record) -> StoredReport:
    """The wire model validated from the row, as every schema model a repository returns
    is; the content column (one jsonb) is spread into the report's fields."""
    fields = {key: value for key, value in row.items() if key not in _NOT_FIELDS}
    return StoredReport.model_validate({**row["content"], **fields})


_NOT_FIELDS = frozenset({"content", "fingerprint"})


async def get_with_fingerprint(
    conn: Conn, report_id: uuid.UUID
) -> tuple[StoredReport, bytes] | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM reports WHERE report_id = $1", report_id)  # noqa: S608  # fixed column list
    return None if row is None else (_validated(row), bytes(row["fingerprint"]))


async def latest(conn: Conn, incident_id: uuid.UUID, organisation: str) -> StoredReport | None:
    row = await conn.fetchrow(
        f"""
        SELECT {_COLUMNS} FROM reports
        WHERE incident_id = $1 AND organisation = $2
        ORDER BY version DESC LIMIT 1
        """,  # noqa: S608  # fixed column list
        incident_id,
        organisation,
    )
    return None if row is None else _validated(row)


async def history(
    conn: Conn,
    incident_id: uuid.UUID,
    *,
    organisation: str | None,
    limit: int | None,
) -> list[StoredReport]:
    rows = await conn.fetch(
        f"""
        SELECT {_COLUMNS} FROM reports
        WHERE incident_id = $1 AND ($2::text IS NULL OR organisation = $2)
        ORDER BY received_at DESC, version DESC
        LIMIT $3
        """,  # noqa: S608  # fixed column list
        incident_id,
        organisation,
        limit,
    )
    return [_validated(row) for row in rows]


async def insert(
    conn: Conn,
    *,
    report: StoredReport,
    fingerprint: bytes,
    seq: int,
) -> None:
    content: dict[str, Any] = report.content().model_dump(mode="json")
    try:
        await conn.execute(
            """
            INSERT INTO reports (report_id, incident_id, organisation, version, fingerprint,
                                 content, unchanged, as_of, received_at, due_at, late,
                                 submitted_by, supersedes, seq, provenance)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            """,
            report.report_id,
            report.incident_id,
            report.organisation,
            report.version,
            fingerprint,
            content,
            report.unchanged,
            report.as_of,
            report.received_at,
            report.due_at,
            report.late,
            report.submitted_by,
            report.supersedes,
            seq,
            None if report.provenance is None else report.provenance.model_dump(mode="json"),
        )
    except asyncpg.UniqueViolationError as exc:
        raise Conflict(
            "a report with this report_id already exists with other content",
            slug="report-conflict",
        ) from exc
