"""Streamed exports: JSON and CSV of a whole incident, a chunk at a time.

An incident of 50 000 reports is never held in memory: the rows come from server-side
cursors (`service/repo/exports.py`) in one read-only, repeatable-read transaction, each
chunk is turned into bytes in a worker thread (so the event loop is never held for
long) and written out before the next is read. The bytes are exactly those of the
documents `formats.as_json` and `formats.as_csv` build whole.

After `events` the JSON document names the log's hash chain (`"chain"`: its head and
whether the database finds it unbroken, in the export's snapshot). The top-level keys
after that are *tails*: each export makes a
fresh one of every factory in `JSON_TAILS`, shows it every event of the log as it
passes, and writes `"key": value` at the end when its value is not None. The
evaluation is one (`"evaluation"`: the latest `incident.evaluated` data, when there is
one); a part that adds a top-level key adds its factory there.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from schemas.incident import Incident
from service import jsontext
from service.clock import iso
from service.domain.labels import EXERCISE_MARK
from service.drills.log import DrillLog
from service.export import formats
from service.export.afteraction import AfterAction
from service.picture.fold import Picture, advance, empty_picture
from service.repo import Conn
from service.repo import chain as chain_repo
from service.repo import exports as export_repo

CHUNK_ROWS = 1000


def _dumps(value: Any) -> str:
    return jsontext.dumps(value)


class JsonTail(Protocol):
    """A top-level key written after `events`: sees each event, then gives its value."""

    key: str

    def observe(self, event: dict[str, Any]) -> None: ...

    def value(self) -> Any | None:
        """The key's value, or None to leave the key out."""
        ...


class LatestEvaluation:
    """`"evaluation"`: the latest `incident.evaluated` event's data."""

    key = "evaluation"

    def __init__(self) -> None:
        self._latest: dict[str, Any] | None = None

    def observe(self, event: dict[str, Any]) -> None:
        if event["kind"] == "incident.evaluated":
            self._latest = event["data"]

    def value(self) -> Any | None:
        return self._latest


# `"drill"`: a reporting drill's result as the log tells it (service/drills/log.py).
JSON_TAILS: list[Callable[[], JsonTail]] = [LatestEvaluation, DrillLog]


def json_tails(*, drill_results: bool) -> list[JsonTail]:
    """A fresh tail of each kind the reader may see (`drill` for the county board only)."""
    tails = [make() for make in JSON_TAILS]
    return [tail for tail in tails if drill_results or tail.key != DrillLog.key]


@dataclass(frozen=True)
class ExportSource:
    """What a streamed export reads: a connection inside the export's transaction, the
    incident as the API shows it, organisation names and when the export was made."""

    conn: Conn
    incident: Incident
    names: dict[str, str]
    exported_at: datetime
    chunk_rows: int = CHUNK_ROWS
    drill_results: bool = True  # see `AfterAction.drill_results`

    @property
    def file_stem(self) -> str:
        return file_stem(self.incident)

    def report_rows(self) -> AsyncIterator[list[asyncpg.Record]]:
        return export_repo.report_rows(self.conn, self.incident.id, self.chunk_rows)

    def event_rows(self) -> AsyncIterator[list[asyncpg.Record]]:
        return export_repo.event_rows(self.conn, self.incident.id, self.chunk_rows)


def file_stem(incident: Incident) -> str:
    """`lagesbild-[ovning-]<id>`: the name of the downloaded file, without extension."""
    marker = "ovning-" if incident.exercise else ""
    return f"lagesbild-{marker}{incident.id}"


def _fold_chunk(picture: Picture, rows: list[asyncpg.Record]) -> Picture:
    for row in rows:
        picture = advance(picture, export_repo.event_of(row))
    return picture


async def picture_of(source: ExportSource) -> Picture:
    """The picture now, folded over the log a chunk at a time (as `rebuild` would)."""
    picture = empty_picture()
    async for rows in source.event_rows():
        picture = await asyncio.to_thread(_fold_chunk, picture, rows)
    return picture


def _report_items(rows: list[asyncpg.Record], first: bool) -> bytes:
    items = (_dumps(export_repo.report_of(row).model_dump(mode="json")) for row in rows)
    return (("" if first else ",") + ",".join(items)).encode()


def _event_items(rows: list[asyncpg.Record], first: bool, tails: list[JsonTail]) -> bytes:
    parts = []
    for row in rows:
        event = export_repo.event_of(row)
        for tail in tails:
            tail.observe(event)
        parts.append(_dumps(event))
    return (("" if first else ",") + ",".join(parts)).encode()


async def json_chunks(source: ExportSource) -> AsyncIterator[bytes]:
    """The JSON export (`formats.as_json`'s document, byte for byte), then the tails."""
    picture = await picture_of(source)
    incident = source.incident
    head = {
        "exercise": incident.exercise,
        "marking": EXERCISE_MARK if incident.exercise else None,
        "exported_at": iso(source.exported_at),
        "incident": incident.model_dump(mode="json"),
        "picture": picture,
    }
    yield (_dumps(head)[:-1] + ',"reports":[').encode()
    first = True
    async for rows in source.report_rows():
        yield await asyncio.to_thread(_report_items, rows, first)
        first = False
    yield b'],"events":['
    tails = json_tails(drill_results=source.drill_results)
    first = True
    async for rows in source.event_rows():
        yield await asyncio.to_thread(_event_items, rows, first, tails)
        first = False
    # The chain as the database checks it, in the export's snapshot: its head is the
    # last event above (service/repo/chain.py).
    status = await chain_repo.status(source.conn, incident.id)
    end = f"],{_dumps('chain')}:{_dumps(status.as_json())}"
    for tail in tails:
        value = tail.value()
        if value is not None:
            end += f",{_dumps(tail.key)}:{_dumps(value)}"
    yield (end + "}").encode()


def _csv_rows(rows: list[asyncpg.Record], incident: Incident, names: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(formats.csv_row(incident, export_repo.report_of(row), names))
    return out.getvalue().encode()


async def csv_chunks(source: ExportSource) -> AsyncIterator[bytes]:
    """The CSV export (`formats.as_csv`'s document, byte for byte), a chunk at a time."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out, lineterminator="\r\n").writerow(formats.CSV_COLUMNS)
    yield out.getvalue().encode()
    async for rows in source.report_rows():
        yield await asyncio.to_thread(_csv_rows, rows, source.incident, source.names)


def _observe_chunk(builder: AfterAction, rows: list[asyncpg.Record]) -> None:
    for row in rows:
        builder.observe(export_repo.event_of(row))


async def html_chunks(source: ExportSource) -> AsyncIterator[bytes]:
    """The after-action document: the log folded a chunk at a time, then rendered (one
    piece; the document's size follows the rounds, needs and measures, not the reports)."""
    builder = AfterAction(names=dict(source.names), drill_results=source.drill_results)
    async for rows in source.event_rows():
        await asyncio.to_thread(_observe_chunk, builder, rows)
    page = await asyncio.to_thread(
        formats.render_after_action, source.incident, builder.document(), source.exported_at
    )
    yield page.encode()
