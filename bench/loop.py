"""Nothing holds the event loop: `/healthz` and stream delivery while 12 clients post
1 MiB EDXL envelopes, and while a 66 MB export downloads, against the same with nothing
running.

The service runs in a process of its own (bench/loop_server.py), so that the clients'
work is not the server's. Each scenario runs for a while with three things going at
once: a probe that asks `/healthz` every 20 ms, a duty officer who writes a journal
entry every 250 ms while a viewer follows the incident on the stream (delivery: from
sending the entry to its frame reaching the viewer), and (under load) 12 clients that
post one ~1 MiB envelope of SitReps after another (the same envelope: after the first,
each is a repeat, answered with its 71 stored reports). Five servers, each against its
own idle baseline (the same server with no envelopes posted): the XML parsed in a
thread of the service (`cpu_workers` 0, otherwise as shipped); in worker processes
(`cpu_workers` 2) with every envelope imported as it comes and the heap left to the
garbage collector (as before 2026-12-04); with one envelope imported at a time
(`edxl_imports_at_once` 1); with two at a time and the heap frozen before start-up;
and with one at a time and the heap frozen (as `lagesbild serve` runs,
service/heap.py). On the shipped server, one more scenario: one client downloading the
JSON export of an incident of 25,000 reports (about 66 MB; 5,000 with `--quick`) as
fast as it reads, again and again. Every server runs as `serve` runs: its event loop,
and the interpreter handed to a waiting thread after 0.5 ms (`favour_the_loop`).
Goal: p99 under load ≤ 2× the idle p99 and ≤ 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bench.common import (
    BOARD,
    Postgres,
    Summary,
    activate,
    bearer,
    make_tokens,
    ms,
    municipalities,
    print_table,
    ratio,
    report_body,
    served_app,
    summarise,
)
from bench.export import fill
from schemas.incident import Incident
from schemas.report import StoredReport
from service.db.pool import create_pool
from tests.support import sitreps_envelope

POSTERS = 12
TARGET_BYTES = 1024 * 1024 - 8 * 1024  # just under the default xml_max_bytes (1 MiB)
ORG = "1442"


@dataclass
class Figures:
    healthz: Summary
    delivery: Summary
    units: int  # envelopes answered, or bytes downloaded, while measured
    answers: dict[int, int]


def _envelope(incident: Incident, report: StoredReport) -> bytes:
    """SitReps of `report` (each its own message id) until the envelope is ~1 MiB."""

    def document(count: int) -> bytes:
        return sitreps_envelope(
            incident,
            (
                report.model_copy(update={"report_id": uuid.UUID(int=n + 1, version=4)})
                for n in range(count)
            ),
            sender=ORG,
            organisation_name="Vårgårda kommun",
            distribution_id="lagesbild:bench",
            sent=datetime.now(UTC),
            description="Lägesrapport (benchmark)",
        )

    one = len(document(1))
    count = max(1, TARGET_BYTES // one)
    while len(document(count)) > TARGET_BYTES:
        count -= 1
    return document(count)


async def _setup(base: str, dsn: str) -> tuple[str, bytes, dict[str, str]]:
    tokens = await make_tokens(dsn, [(BOARD, "duty_officer"), (BOARD, "viewer"), (ORG, "reporter")])
    named = {
        "duty": tokens[(BOARD, "duty_officer")],
        "viewer": tokens[(BOARD, "viewer")],
        "reporter": tokens[(ORG, "reporter")],
    }
    rng = random.Random(14)
    async with aiohttp.ClientSession() as session:
        incident = await activate(session, base, named["duty"], [ORG, "1443"])
        body = report_body(rng, ORG)
        body["situation"] = ("Stormen har fällt träd över ledningar i hela kommunen. " * 150)[:9000]
        async with session.post(
            f"{base}/api/v1/incidents/{incident['id']}/reports",
            json=body,
            headers=bearer(named["reporter"]),
        ) as r:
            stored = StoredReport.model_validate(await r.json())
        async with session.get(
            f"{base}/api/v1/incidents/{incident['id']}", headers=bearer(named["viewer"])
        ) as r:
            wire = Incident.model_validate(await r.json())
    return str(incident["id"]), _envelope(wire, stored), named


@dataclass
class Tally:
    """What a load did: units done (envelopes posted, bytes downloaded), answers by status."""

    units: int = 0
    answers: dict[int, int] = field(default_factory=dict)

    def answered(self, status: int) -> None:
        self.answers[status] = self.answers.get(status, 0) + 1


# A load: runs until the event is set (or it is cancelled), counting in the tally.
Load = Callable[[aiohttp.ClientSession, asyncio.Event, Tally], Coroutine[Any, Any, None]]


def edxl_flood(base: str, envelope: bytes, token: str) -> Load:
    """POSTERS clients, each posting the envelope again as soon as it is answered."""

    async def load(session: aiohttp.ClientSession, stop: asyncio.Event, tally: Tally) -> None:
        async def post() -> None:
            while not stop.is_set():
                async with session.post(
                    f"{base}/api/v1/exchange/edxl",
                    data=envelope,
                    headers={**bearer(token), "Content-Type": "application/xml"},
                ) as r:
                    await r.read()
                    tally.answered(r.status)
                tally.units += 1

        await asyncio.gather(*(post() for _ in range(POSTERS)))

    return load


def export_download(base: str, incident: str, token: str) -> Load:
    """One client downloading the incident's JSON export as fast as it reads, again and
    again; the units are bytes."""

    async def load(session: aiohttp.ClientSession, stop: asyncio.Event, tally: Tally) -> None:
        while not stop.is_set():
            url = f"{base}/api/v1/incidents/{incident}/export?format=json"
            async with session.get(url, headers=bearer(token)) as r:
                tally.answered(r.status)
                async for chunk in r.content.iter_chunked(1 << 16):
                    tally.units += len(chunk)

    return load


async def _scenario(
    base: str, incident: str, tokens: dict[str, str], *, load: Load | None, seconds: float
) -> Figures:
    healthz: list[float] = []
    delivery: list[float] = []
    arrivals: dict[int, float] = {}
    sent: dict[int, float] = {}
    tally = Tally()
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(
            base.replace("http://", "ws://") + "/api/v1/stream", headers=bearer(tokens["viewer"])
        )
        await ws.send_json({"type": "subscribe", "topic": f"incident:{incident}"})

        async def follow() -> None:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    break
                frame = json.loads(message.data)
                if frame.get("type") == "event":
                    arrivals[int(frame["seq"])] = time.perf_counter()

        async def probe() -> None:
            while not stop.is_set():
                began = time.perf_counter()
                async with session.get(f"{base}/healthz") as r:
                    await r.read()
                healthz.append(time.perf_counter() - began)
                await asyncio.sleep(0.02)

        async def journal() -> None:
            while not stop.is_set():
                began = time.perf_counter()
                async with session.post(
                    f"{base}/api/v1/incidents/{incident}/journal",
                    json={"category": "event", "text": "Lägesuppdatering (benchmark)"},
                    headers=bearer(tokens["duty"]),
                ) as r:
                    entry = await r.json()
                sent[int(entry["seq"])] = began
                await asyncio.sleep(0.25)

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0.3)  # the snapshot first
        tasks = [asyncio.create_task(probe()), asyncio.create_task(journal())]
        loaded: asyncio.Task[None] | None = None
        if load is not None:
            loaded = asyncio.create_task(load(session, stop, tally))
            await asyncio.sleep(2.0)  # the load under way before anything counts
            healthz.clear()
            sent.clear()
            tally.units = 0
        await asyncio.sleep(seconds)
        stop.set()
        units = tally.units
        await asyncio.gather(*tasks, return_exceptions=True)
        if loaded is not None:
            loaded.cancel()  # a download under way is not waited for
            await asyncio.gather(loaded, return_exceptions=True)
        await asyncio.sleep(0.5)
        await ws.close()
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    for seq, began in sent.items():
        if seq in arrivals:
            delivery.append(arrivals[seq] - began)
    return Figures(summarise(healthz), summarise(delivery), units, tally.answers)


# (parse workers, envelopes imported at once, heap frozen before start-up, label): the
# parse in a thread (otherwise as shipped); as before the import lane and the frozen
# heap; the lane alone; the frozen heap with two at a time; as shipped.
CONFIGS = (
    (0, 1, True, "thread, one at a time, frozen"),
    (2, POSTERS, False, "2 processes, all at once, not frozen"),
    (2, 1, False, "2 processes, one at a time, not frozen"),
    (2, 2, True, "2 processes, two at a time, frozen"),
    (2, 1, True, "2 processes, one at a time, frozen (as shipped)"),
)
SHIPPED = (2, 1, True)
# The export downloaded meanwhile, on the shipped server: about 66 MB of JSON.
EXPORT_REPORTS = 25_000
EXPORT_REPORTS_QUICK = 5_000


async def _export_incident(base: str, dsn: str, tokens: dict[str, str], reports: int) -> str:
    """An incident of `reports` reports (and their events), inserted as stored."""
    codes = [code for code, _name in municipalities("14")]
    async with aiohttp.ClientSession() as session:
        incident = await activate(session, base, tokens["duty"], codes)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        await fill(pool, uuid.UUID(incident["id"]), reports)
    finally:
        await pool.close()
    # Closed, so that no server the scenarios start folds it (its log has no checkpoints).
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base}/api/v1/incidents/{incident['id']}/close",
            json={"summary": "Avslutad (benchmark)"},
            headers=bearer(tokens["duty"]),
        ) as r,
    ):
        assert r.status == 200, await r.text()
    return str(incident["id"])


def _row(name: str, figures: Figures, idle: Figures, done: str) -> list[str]:
    return [
        name,
        ms(figures.healthz.p50),
        ms(figures.healthz.p99),
        ratio(figures.healthz.p99, idle.healthz.p99),
        ms(figures.delivery.p50),
        ms(figures.delivery.p99),
        ratio(figures.delivery.p99, idle.delivery.p99),
        done,
        ", ".join(f"{k}: {v}" for k, v in sorted(figures.answers.items())) or "–",
    ]


async def run(pg: Postgres, *, quick: bool) -> None:
    seconds = 6.0 if quick else 15.0
    exported = EXPORT_REPORTS_QUICK if quick else EXPORT_REPORTS
    dsn = await pg.new_database("loop")
    rows: list[list[str]] = []
    async with served_app(dsn, *SHIPPED) as base:  # the data, before any server is measured
        incident, envelope, tokens = prepared = await _setup(base, dsn)
        export_id = await _export_incident(base, dsn, tokens, exported)
    for workers, lane, frozen, label in CONFIGS:
        async with served_app(dsn, workers, lane, frozen) as base:
            idle = await _scenario(base, incident, tokens, load=None, seconds=seconds)
            flood = edxl_flood(base, envelope, tokens["reporter"])
            busy = await _scenario(base, incident, tokens, load=flood, seconds=seconds)
            rows.append(_row(f"idle ({label})", idle, idle, "–"))
            rows.append(_row(f"12 × EDXL ({label})", busy, idle, f"{busy.units / seconds:.1f}/s"))
            if (workers, lane, frozen) == SHIPPED:
                download = export_download(base, export_id, tokens["viewer"])
                busy = await _scenario(base, incident, tokens, load=download, seconds=seconds)
                name = f"an export of {exported:,} reports downloading ({label})"
                rows.append(_row(name, busy, idle, f"{busy.units / seconds / 2**20:.1f} MiB/s"))
    print_table(
        f"Event loop under load: /healthz every 20 ms, a journal entry every 250 ms to a "
        f"stream viewer; {POSTERS} clients posting a ~1 MiB EDXL envelope after another, "
        f"or one client downloading a JSON export ({seconds:.0f} s each; goal p99 ≤ 2× "
        "idle and ≤ 50 ms)",
        [
            "scenario",
            "healthz p50",
            "healthz p99",
            "× idle",
            "delivery p50",
            "delivery p99",
            "× idle",
            "done",
            "answers",
        ],
        rows,
    )
    print(f"envelope: {len(prepared[1])} bytes")
