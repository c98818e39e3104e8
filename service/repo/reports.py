"""Situation reports. Rows are only inserted; the database refuses updates and deletes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from schemas.incident import DailySchedule, IntervalSchedule, Schedule
from schemas.report import ReportContent, StoredReport
from service.domain import schedule
from service.domain.schedule import Segment
from service.repo import Conn, events
from service.repo.incidents import INCIDENT_COLUMNS, IncidentRow

_schedule: TypeAdapter[IntervalSchedule | DailySchedule] = TypeAdapter(Schedule)

_COLUMNS = """report_id, incident_id, organisation, version, fingerprint, content, unchanged,
    as_of, received_at, due_at, late, submitted_by, supersedes, provenance"""


def _validated(row: Mapping[str, Any] | asyncpg.Record) -> StoredReport:
    """The wire model validated from the row, as every schema model a repository returns
    is; the content column (one jsonb) is spread into the report's fields."""
    fields = {key: value for key, value in row.items() if key not in _NOT_FIELDS}
    return StoredReport.model_validate({**row["content"], **fields})


_NOT_FIELDS = frozenset({"content", "fingerprint"})


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
    # Two statements, not `($2 IS NULL OR organisation = $2)`: a prepared statement's
    # generic plan could not use the organisation in the index, and would read every
    # report of the incident for one organisation's history.
    if organisation is None:
        rows = await conn.fetch(_HISTORY.format(where=""), incident_id, limit)
    else:
        rows = await conn.fetch(
            _HISTORY.format(where="AND organisation = $3"), incident_id, limit, organisation
        )
    return [_validated(row) for row in rows]


_HISTORY = f"""
    SELECT {_COLUMNS} FROM reports
    WHERE incident_id = $1 {{where}}
    ORDER BY received_at DESC, version DESC
    LIMIT $2
    """  # noqa: S608  # fixed column list and conditions


# --- the write path: one statement reads what a batch needs, one writes it ----------------


@dataclass(frozen=True, slots=True)
class Context:
    """What deciding a batch of submissions to one incident needs, read in one statement
    (one snapshot): the incident, its schedules, the reports already stored under the
    batch's report_ids, and the latest report of each organisation in the batch."""

    incident: IncidentRow
    schedules: list[Segment]
    earlier: dict[uuid.UUID, tuple[StoredReport, bytes]]
    latest: dict[str, Latest]


@dataclass(frozen=True, slots=True)
class Latest:
    """An organisation's latest report, as far as the next one needs it: its id and
    version, and its content (read only for an organisation that repeats it, `unchanged`;
    None when not read)."""

    report_id: uuid.UUID
    version: int
    content: Callable[[], ReportContent] | None

    @classmethod
    def of(cls, report: StoredReport) -> Latest:
        return cls(report.report_id, report.version, report.content)


_TIMES = ("as_of", "received_at", "due_at")


def _from_json(row: dict[str, Any]) -> tuple[StoredReport, bytes]:
    """A report row as `to_jsonb` gives it: times (in the session's zone) back to UTC,
    as asyncpg gives them, so a repeat answers exactly what the first answer said."""
    fields = {key: value for key, value in row.items() if key not in _NOT_JSON}
    for key in _TIMES:
        if fields.get(key) is not None:
            fields[key] = datetime.fromisoformat(fields[key]).astimezone(UTC)
    report = StoredReport.model_validate({**row["content"], **fields})
    return report, bytes.fromhex(row["fingerprint"].removeprefix("\\x"))


def _decoded(found: list[str]) -> list[tuple[StoredReport, bytes]]:
    return [_from_json(json.loads(text)) for text in found]


# From this many stored reports on, a batch's read decodes them in a thread.
DECODE_IN_THREAD_AT = 8


def _latest(found: dict[str, Any]) -> Latest:
    content = found["content"]
    return Latest(
        uuid.UUID(found["report_id"]),
        found["version"],
        None if content is None else partial(ReportContent.model_validate, content),
    )


_NOT_JSON = frozenset({"content", "fingerprint", "seq"})

_CONTEXT = (
    INCIDENT_COLUMNS  # noqa: S608  # constant SQL; values are parameters
    + """,
    ARRAY(
        SELECT jsonb_build_object(
            'at', e.at,
            'schedule', CASE WHEN e.kind = 'incident.activated'
                             THEN e.data -> 'incident' -> 'schedule'
                             ELSE e.data -> 'changes' -> 'schedule' END)
        FROM events e
        WHERE e.incident_id = i.id
          AND (e.kind = 'incident.activated'
               OR (e.kind = 'incident.updated' AND e.data -> 'changes' ? 'schedule'))
        ORDER BY e.seq
    ) AS schedules,
    ARRAY(SELECT to_jsonb(r)::text FROM reports r WHERE r.report_id = ANY($2::uuid[]))
        AS earlier,
    ARRAY(
        SELECT DISTINCT ON (r.organisation) jsonb_build_object(
            'organisation', r.organisation, 'report_id', r.report_id, 'version', r.version,
            'content', CASE WHEN r.organisation = ANY($4::text[]) THEN r.content END)
        FROM reports r
        WHERE r.incident_id = i.id AND r.organisation = ANY($3::text[])
        ORDER BY r.organisation, r.version DESC
    ) AS latest
FROM incidents i
WHERE i.id = $1
"""
)


async def context(
    conn: Conn,
    incident_id: uuid.UUID,
    report_ids: Iterable[uuid.UUID],
    organisations: Iterable[str],
    repeating: Iterable[str] = (),
) -> Context | None:
    """Everything the batch's decisions read, in one round trip; None: no such incident.
    The latest report's content is read for the organisations `repeating` it."""
    row = await conn.fetchrow(
        _CONTEXT, incident_id, list(report_ids), list(organisations), list(repeating)
    )
    if row is None:
        return None
    found: list[str] = row["earlier"]
    # Many stored reports (an envelope sent again) take milliseconds to decode: in a
    # thread, where the loop gets the interpreter back between them.
    if len(found) >= DECODE_IN_THREAD_AT:
        earlier = await asyncio.to_thread(_decoded, found)
    else:
        earlier = _decoded(found)
    return Context(
        incident=IncidentRow.from_row(row),
        schedules=schedule.history(
            (
                datetime.fromisoformat(change["at"]).astimezone(UTC),
                _schedule.validate_python(change["schedule"]),
            )
            for change in row["schedules"]
        ),
        earlier={report.report_id: (report, print_) for report, print_ in earlier},
        latest={found["organisation"]: _latest(found) for found in row["latest"]},
    )


@dataclass(frozen=True, slots=True)
class NewReport:
    """A decided report, to be written with its event at `seq`."""

    report: StoredReport
    fingerprint: bytes
    seq: int
    event: dict[str, Any]  # the event's data
    actor: str


_WRITE = """
WITH advanced AS (
    UPDATE incidents SET last_seq = $3 WHERE id = $1 AND last_seq = $2 RETURNING last_seq
), stored AS (
    INSERT INTO reports (report_id, incident_id, organisation, version, fingerprint,
                         content, unchanged, as_of, received_at, due_at, late,
                         submitted_by, supersedes, seq, provenance)
    SELECT r.report_id, $1, r.organisation, r.version, decode(r.fingerprint, 'hex'),
           r.content, r.unchanged, r.as_of, r.received_at, r.due_at, r.late,
           r.submitted_by, r.supersedes, r.seq, r.provenance
    FROM advanced, jsonb_to_recordset($4::jsonb) AS r(
        report_id uuid, organisation text, version integer, fingerprint text,
        content jsonb, unchanged boolean, as_of timestamptz, received_at timestamptz,
        due_at timestamptz, late boolean, submitted_by text, supersedes uuid,
        seq bigint, provenance jsonb)
    ORDER BY r.seq
), logged AS (
    INSERT INTO events (incident_id, seq, kind, at, actor, data)
    SELECT $1, e.seq, 'report.submitted', e.at, e.actor, e.data
    FROM advanced, jsonb_to_recordset($5::jsonb) AS e(
        seq bigint, at timestamptz, actor text, data jsonb)
    ORDER BY e.seq
)
SELECT last_seq, pg_notify($6, $1::text || ':' || last_seq::text) FROM advanced
"""


async def write(
    conn: Conn,
    incident_id: uuid.UUID,
    *,
    last_seq: int,
    new: Sequence[NewReport],
) -> bool:
    """Write the reports and their events, seq `last_seq + 1` on in order, advance the
    incident's `last_seq` and queue one notification, in one statement (so, outside a
    transaction, one round trip that commits). Only while the incident still stands at
    `last_seq`: False, and nothing written, when another change came first. The
    notification is `incident:seq` (`events.notification`), as for every change."""
    rows = [
        {
            "report_id": str(item.report.report_id),
            "organisation": item.report.organisation,
            "version": item.report.version,
            "fingerprint": item.fingerprint.hex(),
            # The content fields of the event's report, as `content()` would dump them.
            "content": {k: v for k, v in item.event["report"].items() if k in _CONTENT},
            "unchanged": item.report.unchanged,
            "as_of": iso_micro(item.report.as_of),
            "received_at": iso_micro(item.report.received_at),
            "due_at": None if item.report.due_at is None else iso_micro(item.report.due_at),
            "late": item.report.late,
            "submitted_by": item.report.submitted_by,
            "supersedes": None if item.report.supersedes is None else str(item.report.supersedes),
            "seq": item.seq,
            "provenance": None
            if item.report.provenance is None
            else item.report.provenance.model_dump(mode="json"),
        }
        for item in new
    ]
    logged = [
        {
            "seq": item.seq,
            "at": iso_micro(item.report.received_at),
            "actor": item.actor,
            "data": item.event,
        }
        for item in new
    ]
    advanced = await conn.fetchrow(
        _WRITE,
        incident_id,
        last_seq,
        last_seq + len(new),
        rows,
        logged,
        events.CHANNEL,
    )
    return advanced is not None


def logged_events(new: Sequence[NewReport]) -> list[dict[str, Any]]:
    """The events `write` wrote, as `events.since` reads them back (`events.event_dict`):
    for whoever folds them in this process without a round trip."""
    return [
        events.event_of(
            item.seq, "report.submitted", item.report.received_at, item.actor, item.event
        )
        for item in new
    ]


_CONTENT = frozenset(ReportContent.model_fields)


def iso_micro(moment: datetime) -> str:
    """A time as PostgreSQL reads it back to the microsecond."""
    return moment.isoformat(timespec="microseconds")
