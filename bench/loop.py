"""Nothing holds the event loop: `/healthz` and stream delivery while 12 clients post
1 MiB EDXL envelopes, against the same with nothing running.

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
service/heap.py). Every server runs on the event loop `serve` runs on.
Goal: p99 under load ≤ 2× the idle p99 and ≤ 50 ms.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from adapters.edxl import codec
from bench.common import (
    BOARD,
    Postgres,
    Summary,
    activate,
    bearer,
    make_tokens,
    ms,
    print_table,
    ratio,
    report_body,
    summarise,
)
from schemas.incident import Incident
from schemas.report import StoredReport
from service.demo.ports import free_port

POSTERS = 12
TARGET_BYTES = 1024 * 1024 - 8 * 1024  # just under the default xml_max_bytes (1 MiB)
ORG = "1442"


@dataclass
class Figures:
    healthz: Summary
    delivery: Summary
    envelopes: int
    answers: dict[int, int]


@contextlib.asynccontextmanager
async def _server(dsn: str, workers: int, lane: int, frozen: bool) -> Any:
    port = free_port()
    args = [dsn, str(port), str(workers), str(lane)] + ([] if frozen else ["thaw"])
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.loop_server", *args)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{base}/readyz") as r:
                        if r.status == 200:
                            break
                await asyncio.sleep(0.1)
            else:
                raise SystemExit("the service did not start")
        yield base
    finally:
        process.terminate()
        await process.wait()


def _envelope(incident: Incident, report: StoredReport) -> bytes:
    """SitReps of `report` (each its own message id) until the envelope is ~1 MiB."""

    def document(count: int) -> bytes:
        contents = [
            codec.Content(
                description="Lägesrapport (benchmark)",
                keyword=codec.KEYWORD_REPORT,
                sitrep=codec.report_sitrep(
                    incident,
                    report.model_copy(update={"report_id": uuid.UUID(int=n + 1, version=4)}),
                    organisation_name="Vårgårda kommun",
                    originating=None,
                    final=False,
                ),
            )
            for n in range(count)
        ]
        return codec.envelope(
            distribution_id="lagesbild:bench",
            sender=ORG,
            sent=datetime.now(UTC),
            exercise=incident.exercise,
            kind="Report",
            incident=incident,
            contents=contents,
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


async def _scenario(
    base: str, incident: str, envelope: bytes, tokens: dict[str, str], *, load: bool, seconds: float
) -> Figures:
    healthz: list[float] = []
    delivery: list[float] = []
    arrivals: dict[int, float] = {}
    sent: dict[int, float] = {}
    answers: dict[int, int] = {}
    stop = asyncio.Event()
    count = 0
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

        async def post() -> None:
            nonlocal count
            while not stop.is_set():
                async with session.post(
                    f"{base}/api/v1/exchange/edxl",
                    data=envelope,
                    headers={**bearer(tokens["reporter"]), "Content-Type": "application/xml"},
                ) as r:
                    await r.read()
                    answers[r.status] = answers.get(r.status, 0) + 1
                count += 1

        follower = asyncio.create_task(follow())
        await asyncio.sleep(0.3)  # the snapshot first
        tasks = [asyncio.create_task(probe()), asyncio.create_task(journal())]
        if load:
            tasks += [asyncio.create_task(post()) for _ in range(POSTERS)]
            await asyncio.sleep(2.0)  # every poster under way before anything counts
            healthz.clear()
            sent.clear()
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.5)
        await ws.close()
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
    for seq, began in sent.items():
        if seq in arrivals:
            delivery.append(arrivals[seq] - began)
    return Figures(summarise(healthz), summarise(delivery), count, answers)


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


async def run(pg: Postgres, *, quick: bool) -> None:
    seconds = 6.0 if quick else 15.0
    dsn = await pg.new_database("loop")
    rows: list[list[str]] = []
    prepared: tuple[str, bytes, dict[str, str]] | None = None
    for workers, lane, frozen, label in CONFIGS:
        async with _server(dsn, workers, lane, frozen) as base:
            if prepared is None:
                prepared = await _setup(base, dsn)
            incident, envelope, tokens = prepared
            idle = await _scenario(base, incident, envelope, tokens, load=False, seconds=seconds)
            busy = await _scenario(base, incident, envelope, tokens, load=True, seconds=seconds)
        for name, figures in ((f"idle ({label})", idle), (f"12 × EDXL ({label})", busy)):
            rows.append(
                [
                    name,
                    ms(figures.healthz.p50),
                    ms(figures.healthz.p99),
                    ratio(figures.healthz.p99, idle.healthz.p99),
                    ms(figures.delivery.p50),
                    ms(figures.delivery.p99),
                    ratio(figures.delivery.p99, idle.delivery.p99),
                    f"{figures.envelopes / seconds:.1f}" if figures is busy else "–",
                    ", ".join(f"{k}: {v}" for k, v in sorted(figures.answers.items())) or "–",
                ]
            )
    print_table(
        f"Event loop under load: /healthz every 20 ms, a journal entry every 250 ms to a "
        f"stream viewer, {POSTERS} clients posting a ~1 MiB EDXL "
        f"envelope after another ({seconds:.0f} s each; goal p99 ≤ 2× idle and ≤ 50 ms)",
        [
            "scenario",
            "healthz p50",
            "healthz p99",
            "× idle",
            "delivery p50",
            "delivery p99",
            "× idle",
            "envelopes/s",
            "answers",
        ],
        rows,
    )
    if prepared is not None:
        print(f"envelope: {len(prepared[1])} bytes")
