"""Export formats by name: the core's `json`, `csv` and `html`, and any an adapter adds.

`GET /api/v1/incidents/{id}/export?format=NAME` and `lagesbild export ID --format NAME`
gather the incident once (`gather`) and look the format up here; neither knows the
formats themselves.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from schemas.incident import Incident
from schemas.report import StoredReport
from service import jsontext
from service.clock import iso
from service.domain import lifecycle
from service.export import formats, stream
from service.export.stream import ExportSource
from service.picture.fold import rebuild
from service.repo import Conn, chain, incidents, organisations, reports
from service.repo.incidents import IncidentRow


@dataclass(frozen=True)
class IncidentExport:
    """Everything an export may show: the incident, its reports oldest first, its log,
    the picture now, organisation names, and when the export was made."""

    incident: Incident
    reports: list[StoredReport]
    events: list[dict[str, Any]]
    picture: dict[str, Any]
    names: dict[str, str]
    exported_at: datetime
    # The log's hash chain: {"head_seq", "head_hash", "unbroken"} (service/repo/chain.py).
    chain: dict[str, Any] | None = None
    drill_results: bool = True  # see `AfterAction.drill_results`

    @property
    def file_stem(self) -> str:
        return stream.file_stem(self.incident)


@dataclass(frozen=True)
class ExportFormat:
    """`render` turns the export into the document's bytes, in `charset` for a text
    format (None for a binary one). `extension` names the downloaded file; a format
    without one is shown inline. A format with `stream` is written a chunk at a time
    from the database (`service/export/stream.py`) and never gathered whole; `render`
    gives the same bytes from a gathered export."""

    name: str
    media_type: str
    render: Callable[[IncidentExport], bytes]
    extension: str | None
    charset: str | None = "utf-8"
    stream: Callable[[ExportSource], AsyncIterator[bytes]] | None = None

    def filename(self, export: IncidentExport | ExportSource) -> str | None:
        return f"{export.file_stem}.{self.extension}" if self.extension else None


class UnknownFormat(LookupError):
    pass


class ExportFormats:
    def __init__(self, known: Iterable[ExportFormat] = ()) -> None:
        self._formats: dict[str, ExportFormat] = {}
        for export_format in known:
            self.register(export_format)

    def register(self, export_format: ExportFormat) -> None:
        if export_format.name in self._formats:
            raise ValueError(f"export format {export_format.name!r} is registered already")
        self._formats[export_format.name] = export_format

    def get(self, name: str) -> ExportFormat:
        try:
            return self._formats[name]
        except KeyError:
            raise UnknownFormat(name) from None

    def names(self) -> list[str]:
        return list(self._formats)


def _json(export: IncidentExport) -> bytes:
    data = formats.as_json(
        export.incident, export.reports, export.events, export.picture, iso(export.exported_at)
    )
    if export.chain is not None:
        data["chain"] = export.chain
    for tail in stream.json_tails(drill_results=export.drill_results):
        for event in export.events:
            tail.observe(event)
        value = tail.value()
        if value is not None:
            data[tail.key] = value
    return jsontext.dumps_bytes(data)


def _csv(export: IncidentExport) -> bytes:
    return formats.as_csv(export.incident, export.reports, export.names).encode()


def _html(export: IncidentExport) -> bytes:
    return formats.as_html(
        export.incident,
        export.events,
        export.names,
        export.exported_at,
        drill_results=export.drill_results,
    ).encode()


def core_formats() -> list[ExportFormat]:
    return [
        ExportFormat("json", "application/json", _json, "json", stream=stream.json_chunks),
        ExportFormat("csv", "text/csv", _csv, "csv", stream=stream.csv_chunks),
        ExportFormat("html", "text/html", _html, None, stream=stream.html_chunks),
    ]


@contextlib.asynccontextmanager
async def streamed(
    pool: asyncpg.Pool, incident_id: uuid.UUID, now: datetime, *, drill_results: bool = True
) -> AsyncIterator[ExportSource]:
    """A source for streamed formats: a connection of its own in a read-only,
    repeatable-read transaction, so every chunk comes from one snapshot of the incident.
    The connection is held until the export has been written."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        row = await incidents.get(conn, incident_id)
        if row is None:
            raise LookupError(incident_id)
        known = await organisations.get_many(conn, [*row.participants, row.owner])
        yield ExportSource(
            conn=conn,
            incident=lifecycle.to_wire(row, now),
            names={code: org.name for code, org in known.items()},
            exported_at=now,
            drill_results=drill_results,
        )


async def gather(
    conn: Conn, row: IncidentRow, now: datetime, *, drill_results: bool = True
) -> IncidentExport:
    """Read the whole incident once, for any format."""
    found = list(reversed(await reports.history(conn, row.id, organisation=None, limit=None)))
    log = await chain.chained_since(conn, row.id, 0)  # each event with its hashes
    known = await organisations.get_many(conn, [*row.participants, row.owner])
    return IncidentExport(
        incident=lifecycle.to_wire(row, now),
        reports=found,
        events=log,
        picture=rebuild(log),
        names={code: org.name for code, org in known.items()},
        exported_at=now,
        chain=(await chain.of_events(conn, row.id, log)).as_json(),
        drill_results=drill_results,
    )
