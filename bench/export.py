"""Export: streaming a 50,000-report incident as JSON and CSV.

Two incidents of Västra Götaland's 49 municipalities, one of 1,000 reports and one of
50,000 (10,000 with `--quick`), activated through the API and filled with the fold
benchmark's seeded reports (rows inserted into `reports` and `events` as the service
stores them). Then, in the same run:

- peak memory of the streamed export (`registry.streamed` and the format's chunks, in
  this process, no HTTP), with tracemalloc (Python's allocations) and RSS (sampled
  every 5 ms), for the large incident against the small one: a ratio near 1 means the
  export's memory does not grow with the incident. Beside it, the export as built
  before streaming (`gather` and the whole document in memory) of 10,000 reports, as
  baseline (of 50,000 it would take gigabytes of a shared machine);
- `/healthz` answered while the large incident downloads over HTTP (JSON, then CSV,
  read as fast as the client can), against `/healthz` with nothing else happening:
  p50/p99, so the ratio shows whether the export holds the event loop.
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
import tracemalloc
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

import aiohttp
import asyncpg

from bench.common import (
    BOARD,
    Postgres,
    activate,
    bearer,
    make_tokens,
    mib,
    ms,
    municipalities,
    print_table,
    ratio,
    rss_bytes,
    running_app,
    summarise,
)
from bench.fold import SEED, report_events
from service.clock import SystemClock
from service.db.pool import create_pool
from service.export.registry import core_formats, gather, streamed
from service.repo import incidents

SMALL = 1_000
LARGE = 50_000
QUICK_LARGE = 10_000
PING_EVERY = 0.02  # seconds between /healthz requests
IDLE_PINGS = 200
# The report's fields the service keeps in columns; the rest is the `content` column.
_STORED = frozenset(
    {
        "report_id",
        "incident_id",
        "organisation",
        "version",
        "unchanged",
        "as_of",
        "received_at",
        "due_at",
        "late",
        "submitted_by",
        "supersedes",
        "provenance",
    }
)


async def fill(pool: asyncpg.Pool, incident_id: uuid.UUID, count: int) -> None:
    """`count` reports, each a row in `reports` and a `report.submitted` event, inserted
    as the service stores them (in one batch: no notification, the hub is not told)."""
    codes = [code for code, _name in municipalities("14")]
    made = report_events(random.Random(SEED + count), codes, str(incident_id), count)
    event_rows, report_rows = [], []
    for event in made:
        report = event["data"]["report"]
        at = datetime.fromisoformat(event["at"])
        event_rows.append(
            (incident_id, event["seq"], event["kind"], at, event["actor"], event["data"])
        )
        content = {key: value for key, value in report.items() if key not in _STORED}
        report_rows.append(
            (
                uuid.UUID(report["report_id"]),
                incident_id,
                report["organisation"],
                report["version"],
                uuid.uuid4().bytes,
                content,
                False,
                datetime.fromisoformat(report["as_of"]),
                at,
                datetime.fromisoformat(report["due_at"]),
                False,
                report["submitted_by"],
                uuid.UUID(report["supersedes"]) if report["supersedes"] else None,
                event["seq"],
                None,
            )
        )
    async with pool.acquire() as conn, conn.transaction():
        await incidents.lock(conn, incident_id)
        await conn.executemany(
            "INSERT INTO events (incident_id, seq, kind, at, actor, data)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            event_rows,
        )
        await conn.executemany(
            """
            INSERT INTO reports (report_id, incident_id, organisation, version, fingerprint,
                                 content, unchanged, as_of, received_at, due_at, late,
                                 submitted_by, supersedes, seq, provenance)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
            """,
            report_rows,
        )
        await conn.execute(
            "UPDATE incidents SET last_seq = $2 WHERE id = $1", incident_id, len(made) + 1
        )


async def _peak(work: Callable[[], Awaitable[int]]) -> tuple[int, int, int, float]:
    """(bytes written, tracemalloc peak, RSS peak above the start, seconds) of `work`."""
    gc.collect()
    start_rss = rss_bytes()
    highest = start_rss
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal highest
        while not done.is_set():
            highest = max(highest, rss_bytes())
            await asyncio.sleep(0.005)

    sampler = asyncio.create_task(sample())
    tracemalloc.start()
    began = time.perf_counter()
    try:
        written = await work()
    finally:
        seconds = time.perf_counter() - began
        _now, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        done.set()
        await sampler
    return written, peak, max(highest, rss_bytes()) - start_rss, seconds


def _streamed(
    pool: asyncpg.Pool, incident_id: uuid.UUID, name: str
) -> Callable[[], Awaitable[int]]:
    export_format = next(f for f in core_formats() if f.name == name)
    assert export_format.stream is not None
    chunks = export_format.stream

    async def work() -> int:
        written = 0
        async with streamed(pool, incident_id, SystemClock().now()) as source:
            async for chunk in chunks(source):
                written += len(chunk)
        return written

    return work


def _whole(pool: asyncpg.Pool, incident_id: uuid.UUID, name: str) -> Callable[[], Awaitable[int]]:
    export_format = next(f for f in core_formats() if f.name == name)

    async def work() -> int:
        async with pool.acquire() as conn:
            row = await incidents.get(conn, incident_id)
            assert row is not None
            export = await gather(conn, row, SystemClock().now())
        return len(await asyncio.to_thread(export_format.render, export))

    return work


async def _pings(
    session: aiohttp.ClientSession, base: str, until: asyncio.Event, limit: int | None
) -> list[float]:
    times: list[float] = []
    while not until.is_set() and (limit is None or len(times) < limit):
        began = time.perf_counter()
        async with session.get(f"{base}/healthz") as reply:
            await reply.read()
        times.append(time.perf_counter() - began)
        await asyncio.sleep(PING_EVERY)
    return times


async def _download(session: aiohttp.ClientSession, url: str, token: str) -> int:
    size = 0
    async with session.get(url, headers=bearer(token)) as reply:
        assert reply.status == 200, reply.status
        async for chunk in reply.content.iter_chunked(1 << 16):
            size += len(chunk)
    return size


async def run(pg: Postgres, *, quick: bool) -> None:
    large = QUICK_LARGE if quick else LARGE
    print(f"\n## Export: {SMALL:,} and {large:,} reports, streamed", flush=True)
    dsn = await pg.new_database("export")
    tokens = await make_tokens(dsn, [(BOARD, "duty_officer"), (BOARD, "viewer")])
    codes = [code for code, _name in municipalities("14")]
    async with running_app(dsn) as base, aiohttp.ClientSession() as session:
        small_incident = await activate(session, base, tokens[(BOARD, "duty_officer")], codes)
        large_incident = await activate(session, base, tokens[(BOARD, "duty_officer")], codes)
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            ids = {SMALL: uuid.UUID(small_incident["id"]), large: uuid.UUID(large_incident["id"])}
            if large != QUICK_LARGE:  # the baseline's incident: the whole document of 50,000
                # reports would take gigabytes of a shared machine
                middle = await activate(session, base, tokens[(BOARD, "duty_officer")], codes)
                ids[QUICK_LARGE] = uuid.UUID(middle["id"])
            for count, incident_id in ids.items():
                began = time.perf_counter()
                await fill(pool, incident_id, count)
                print(
                    f"filled {count:,} reports in {time.perf_counter() - began:.1f} s", flush=True
                )

            rows = []
            for name in ("json", "csv"):
                measured = {}
                for count in (SMALL, large):
                    measured[count] = await _peak(_streamed(pool, ids[count], name))
                whole = await _peak(_whole(pool, ids[QUICK_LARGE], name))
                small, big = measured[SMALL], measured[large]
                for label, (size, peak, rss, seconds) in (
                    (f"{name}, streamed, {SMALL:,}", small),
                    (f"{name}, streamed, {large:,}", big),
                    (f"{name}, whole (before), {QUICK_LARGE:,}", whole),
                ):
                    rows.append(
                        [
                            label,
                            mib(size),
                            mib(peak),
                            ratio(peak, small[1]),
                            mib(rss),
                            f"{seconds:.1f} s",
                        ]
                    )
            print_table(
                "Peak memory of one export (tracemalloc while traced; RSS above the start)",
                ["export", "size", "traced peak", "vs streamed 1,000", "RSS peak", "time (traced)"],
                rows,
            )
        finally:
            await pool.close()

        viewer = tokens[(BOARD, "viewer")]
        never = asyncio.Event()
        idle = summarise(await _pings(session, base, never, IDLE_PINGS))
        latency_rows = [["/healthz, idle", str(idle.count), ms(idle.p50), ms(idle.p99), "–"]]
        for name in ("json", "csv"):
            finished = asyncio.Event()
            pinging = asyncio.create_task(_pings(session, base, finished, None))
            began = time.perf_counter()
            url = f"{base}/api/v1/incidents/{ids[large]}/export?format={name}"
            size = await _download(session, url, viewer)
            seconds = time.perf_counter() - began
            finished.set()
            busy = summarise(await pinging)
            latency_rows.append(
                [
                    f"/healthz during the {name} download ({mib(size)} in {seconds:.1f} s)",
                    str(busy.count),
                    ms(busy.p50),
                    ms(busy.p99),
                    ratio(busy.p99, idle.p99),
                ]
            )
        print_table(
            f"/healthz while {large:,} reports download (HTTP, same process)",
            ["", "requests", "p50", "p99", "p99 vs idle"],
            latency_rows,
        )
