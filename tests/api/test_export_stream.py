"""Streamed exports: JSON and CSV written a chunk at a time from server-side cursors are
the same bytes as the documents built whole, at every chunk size, and the JSON ends
with its tails (the evaluation) when there are any."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.db.pool import create_pool
from service.export.registry import gather, streamed
from service.repo import incidents
from tests.command import lagesbild
from tests.support import Api, Who, report

OFFICER: Who = ("LST-14", "duty_officer")
VIEWER: Who = ("LST-14", "viewer")


async def _incident(api: Api, clock: FixedClock, *, reports: int) -> str:
    incident = await api.activate(exercise=True, title="Storm; =1+1")
    for n in range(reports):
        clock.set(clock.now() + timedelta(minutes=1))
        organisation = ("1440", "1441", "1442", "1443", "1444")[n % 5]
        reply = await api.submit(
            incident["id"],
            report(
                organisation,
                situation=f'Läge {n}: "citat", komma; ny\nrad åäö',
                sectors=[{"sector": "energy", "status": "serious"}],
                needs=[{"need_id": f"n-{n}", "text": "Reservkraft", "urgency": "high"}],
                measures_taken=[f"Åtgärd {n}", "=SUM(A1)"],
            ),
        )
        assert reply.status == 201, reply.body
    return str(incident["id"])


async def _chunked(app: web.Application, incident_id: str, name: str, rows: int) -> bytes:
    export_format = app[keys.export_formats].get(name)
    assert export_format.stream is not None
    now = app[keys.clock].now()
    async with streamed(app[keys.pool], uuid.UUID(incident_id), now) as source:
        pieces = export_format.stream(dataclasses.replace(source, chunk_rows=rows))
        chunks = [chunk async for chunk in pieces]
    if rows < 7:  # seven reports: written in several pieces
        assert len(chunks) > 7 // rows
    return b"".join(chunks)


async def _whole(api: Api, app: web.Application, incident_id: str, name: str) -> bytes:
    pool = await create_pool(api.dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            row = await incidents.get(conn, uuid.UUID(incident_id))
            assert row is not None
            export = await gather(conn, row, app[keys.clock].now())
    finally:
        await pool.close()
    return app[keys.export_formats].get(name).render(export)


@pytest.mark.parametrize("name", ["json", "csv"])
@pytest.mark.parametrize("rows", [1, 3, 1000])
async def test_a_streamed_export_is_the_whole_documents_bytes_at_any_chunk_size(
    api: Api, app: web.Application, clock: FixedClock, name: str, rows: int
) -> None:
    incident_id = await _incident(api, clock, reports=7)
    assert await _chunked(app, incident_id, name, rows) == await _whole(api, app, incident_id, name)


async def test_the_downloaded_json_ends_with_the_latest_evaluation(
    api: Api, app: web.Application, clock: FixedClock
) -> None:
    incident_id = await _incident(api, clock, reports=2)
    base = f"/api/v1/incidents/{incident_id}"
    closed = await api.call("POST", f"{base}/close", as_=OFFICER, json_body={"summary": "Slut."})
    assert closed.status == 200
    for worked in ("Först", "Sedan"):
        reply = await api.call(
            "PUT", f"{base}/evaluation", as_=OFFICER, json_body={"worked": worked}
        )
        assert reply.status == 201
    reply = await api.call("GET", f"{base}/export", as_=VIEWER)
    assert reply.status == 200
    assert list(reply.body)[-4:] == ["reports", "events", "chain", "evaluation"]
    assert reply.body["evaluation"]["worked"] == "Sedan"
    assert reply.body["picture"]["evaluation"]["worked"] == "Sedan"
    whole = json.loads(await _whole(api, app, incident_id, "json"))
    assert reply.body == whole


async def test_an_incident_without_evaluation_has_no_evaluation_key(
    api: Api, clock: FixedClock
) -> None:
    incident_id = await _incident(api, clock, reports=1)
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/export", as_=VIEWER)
    assert list(reply.body) == [
        "exercise",
        "marking",
        "exported_at",
        "incident",
        "picture",
        "reports",
        "events",
        "chain",
    ]


async def test_a_streamed_download_names_its_file_and_is_audited(
    api: Api, clock: FixedClock
) -> None:
    incident_id = await _incident(api, clock, reports=1)
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/export?format=csv", as_=VIEWER)
    assert reply.headers["Content-Disposition"] == (
        f'attachment; filename="lagesbild-ovning-{incident_id}.csv"'
    )
    assert reply.content_type == "text/csv"
    conn = await asyncpg.connect(api.dsn)
    try:
        made = await conn.fetch(
            "SELECT details FROM audit_log WHERE kind = 'export.made' ORDER BY id"
        )
    finally:
        await conn.close()
    assert [json.loads(row["details"])["format"] for row in made] == ["csv"]


@pytest.mark.parametrize("name", ["json", "csv"])
async def test_lagesbild_export_prints_the_streamed_document(
    api: Api, clock: FixedClock, dsn: str, tmp_path: Path, name: str
) -> None:
    incident_id = await _incident(api, clock, reports=3)
    ran = await lagesbild(
        "export", incident_id, "--format", name, database_url=dsn, data_dir=tmp_path
    )
    assert ran.code == 0, ran.err
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident_id}/export?format={name}", as_=VIEWER
    )
    if name == "json":  # made on the system's clock: the time and the next deadline differ
        printed = json.loads(ran.out)
        for document in (printed, reply.body):
            document.pop("exported_at")
            document["incident"].pop("due_at")
        assert printed == reply.body
    else:
        assert ran.out == reply.body
