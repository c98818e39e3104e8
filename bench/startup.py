"""Start-up: an incident of 100,000 events, ready to serve after a restart.

One incident of county 14's 49 municipalities with 99,999 report events after its
activation (the fold benchmark's seeded reports, about 1 kB each), written straight
into the log, with the checkpoints the live service keeps (every
`LAGESBILD_CHECKPOINT_EVERY` events, from the same fold). Then, taking turns, on the
same database in the same run:

- **from a checkpoint** (the service): a new `Hub`, as after a restart, loads the
  incident: the latest checkpoint that leaves the replay ring full, the events after
  it, their frames;
- **from seq 0** (the baseline, the load before checkpoints were used): read the whole
  log and fold it (`Feed.from_log`).

Both are checked to give the same picture. Ready means: the feed is in memory and
the next subscriber is answered from it.
"""

from __future__ import annotations

import contextlib
import random
import statistics
import time
import uuid
from typing import Any

import aiohttp
import asyncpg

from bench.common import (
    BOARD,
    COUNTY,
    Postgres,
    activate,
    bench_settings,
    make_tokens,
    municipalities,
    print_table,
    ratio,
    running_app,
)
from bench.fold import T0, report_events
from service.clock import FixedClock
from service.db.pool import create_pool
from service.metrics import Metrics
from service.picture.checkpoints import fold_after
from service.repo import checkpoints, events
from service.stream.feed import Feed
from service.stream.hub import Hub

EVENTS = 100_000
QUICK_EVENTS = 20_000
ROUNDS = 3
QUICK_ROUNDS = 2
BATCH = 2_000
SEED = 100_000
GOAL_SECONDS = 1.0

_APPEND = """
INSERT INTO events (incident_id, seq, kind, at, actor, data)
SELECT $1, e.seq, e.kind, e.at, e.actor, e.data
FROM jsonb_to_recordset($2::jsonb)
     AS e(seq bigint, kind text, at timestamptz, actor text, data jsonb)
ORDER BY e.seq
"""


async def _write_log(pool: asyncpg.Pool, incident_id: uuid.UUID, log: list[dict[str, Any]]) -> None:
    """The events after the activation, in batches, in seq order; `last_seq` follows."""
    async with pool.acquire() as conn:
        for start in range(0, len(log), BATCH):
            part = log[start : start + BATCH]
            async with conn.transaction():
                await conn.execute(_APPEND, incident_id, part)
                await conn.execute(
                    "UPDATE incidents SET last_seq = $2 WHERE id = $1", incident_id, part[-1]["seq"]
                )


async def _from_checkpoint(pool: asyncpg.Pool, incident_id: uuid.UUID) -> tuple[float, Feed]:
    hub = Hub(pool, bench_settings(), Metrics(), FixedClock(T0))
    began = time.perf_counter()
    feed = await hub.feed(incident_id)
    took = time.perf_counter() - began
    await hub.stop()
    assert feed is not None
    return took, feed


async def _from_seq_0(pool: asyncpg.Pool, incident_id: uuid.UUID) -> tuple[float, Feed]:
    ring = bench_settings().stream_replay_limit
    began = time.perf_counter()
    async with pool.acquire() as conn:
        log = await events.since(conn, incident_id, 0)
    feed = Feed.from_log(incident_id, log, ring)
    return time.perf_counter() - began, feed


async def run(pg: Postgres, *, quick: bool) -> None:
    total = QUICK_EVENTS if quick else EVENTS
    rounds = QUICK_ROUNDS if quick else ROUNDS
    settings = bench_settings()
    every = settings.checkpoint_every
    dsn = await pg.new_database("bench_startup")
    codes = [code for code, _ in municipalities(COUNTY)]
    tokens = await make_tokens(dsn, [(BOARD, "duty_officer")])
    async with contextlib.AsyncExitStack() as stack:
        base = await stack.enter_async_context(running_app(dsn))
        http = await stack.enter_async_context(aiohttp.ClientSession())
        incident = await activate(http, base, tokens[(BOARD, "duty_officer")], codes)
    incident_id = uuid.UUID(incident["id"])
    print(f"\n## startup: 1 activation, {len(codes)} participants, {total - 1} report events")
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        began = time.perf_counter()
        log = report_events(random.Random(SEED), codes, str(incident_id), total - 1)
        await _write_log(pool, incident_id, log)
        async with pool.acquire() as conn:
            whole = await events.since(conn, incident_id, 0)
            _, kept = fold_after(None, whole, every)
            await checkpoints.write(conn, incident_id, kept)
        del log, whole, kept
        print(
            f"log written and checkpointed (every {every}) in {time.perf_counter() - began:.1f} s"
        )
        fast: list[float] = []
        slow: list[float] = []
        for _ in range(rounds):
            took, loaded = await _from_checkpoint(pool, incident_id)
            fast.append(took)
            took, folded = await _from_seq_0(pool, incident_id)
            slow.append(took)
            if loaded.picture != folded.picture or loaded.seq != total:
                raise SystemExit("the picture from the checkpoint is not the fold from seq 0")
            del loaded, folded
        print(f"checked: both give the same picture at seq {total}", flush=True)
    finally:
        await pool.close()
    a, b = statistics.median(fast), statistics.median(slow)
    rows = [
        [
            "from a checkpoint (the service)",
            f"{a * 1000:.1f} ms",
            f"{min(fast) * 1000:.1f} ms",
            ratio(a, b),
            f"{b / a:.0f}× faster",
        ],
        ["from seq 0 (baseline)", f"{b * 1000:.0f} ms", f"{min(slow) * 1000:.0f} ms", "×1.00", ""],
    ]
    print_table(
        f"startup, {total:,} events, {rounds} rounds taking turns, ready after a restart",
        ["load", "median", "best", "× seq 0", "speed-up"],
        rows,
    )
    verdict = "met" if a <= GOAL_SECONDS else "not met"
    print(f"goal: ready in ≤ {GOAL_SECONDS:.0f} s: {verdict} ({a:.2f} s)", flush=True)
