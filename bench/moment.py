"""Moment: the dashboard's time slider on an incident of 10,000 events.

One incident of Västra Götaland's 49 municipalities (a county board's dashboard) and
9,999 report events
spread over two and a half days (the fold benchmark's seeded log, written to the
database through the event repository, so the hub folds it and writes its checkpoints
as it would live). Then, in the same run:

- API, request → JSON: `GET …/picture?at=` for random moments of the incident's life,
  over HTTP as the dashboard asks;
- in the service, without HTTP: the same moments answered from the latest checkpoint
  (`seq_at` + `picture_at_seq`), against the baseline of reading the log from seq 0
  and folding it (what `?seq=` did before checkpoints);
- drawn, in headless Chromium at 1920×1080 (a wall screen, the page at its top): one
  slider step, from the input event until the dashboard has drawn the picture of that
  moment, timed with `performance.now()` in the page up to the paint that follows (a
  frame's callback, then a task after it: the frame's style, layout and paint are done).
  Two marks per step: what is in view (the time control, counts, needs, map, what
  changed), and the matrix of all municipalities, which starts below the first screen
  and is drawn after the rest (a page whose matrix draws with the rest gives the same
  time for both). As random jumps and as arrow-key steps of 5 minutes (where the page
  has fetched the next step while drawing this one, as it does for a person stepping),
  with each step's fetch time (request → last byte, from the page's resource timing)
  beside it. Each step starts after the previous one's matrix has been drawn. Then new
  jumps and steps with the page scrolled to the matrix (as a phone or a scrolled wall
  screen shows it), where the matrix is in view and drawn in the same step as the rest.

Goal: ≤ 50 ms per step from request to drawn, p95.

And what checkpoints cost the report path: the same reports (16 clients) to two apps
taking turns, one as shipped (a checkpoint every 25 events, the index on the events'
times) and one as before (no checkpoints, no such index).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import random
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer
from playwright.async_api import async_playwright

from bench import ingest
from bench.common import (
    BOARD,
    COUNTY,
    Postgres,
    activate,
    bearer,
    bench_settings,
    make_tokens,
    ms,
    municipalities,
    print_table,
    ratio,
    report_body,
    running_app,
    summarise,
)
from bench.dashboard import ARGS, METRICS, _durations, _viewer_cookie
from bench.fold import T0, report_events
from service.access import sessions
from service.app import create_app
from service.clock import FixedClock
from service.db.pool import create_pool
from service.domain import past
from service.logs import configure_logging
from service.picture.fold import rebuild
from service.repo import checkpoints, events, incidents
from tests.settings import settings_from

EVENTS = 10_000
BASELINE = 20
BATCH = 500


async def _write_log(pool: asyncpg.Pool, incident_id: uuid.UUID, log: list[dict[str, Any]]) -> None:
    """Append the events after the activation, as the service appends them."""
    async with pool.acquire() as conn:
        for start in range(0, len(log), BATCH):
            async with conn.transaction():
                await incidents.lock(conn, incident_id)
                for event in log[start : start + BATCH]:
                    seq = await incidents.advance_seq(conn, incident_id)
                    assert seq == event["seq"], (seq, event["seq"])
                    await events.append(
                        conn,
                        incident_id=incident_id,
                        seq=seq,
                        kind=event["kind"],
                        at=datetime.fromisoformat(event["at"]),
                        actor=event["actor"],
                        data=event["data"],
                    )


async def _until_checkpointed(pool: asyncpg.Pool, incident_id: uuid.UUID, every: int) -> None:
    wanted = EVENTS // every
    for _ in range(60_000):
        async with pool.acquire() as conn:
            if len(await checkpoints.seqs(conn, incident_id)) >= wanted:
                return
        await asyncio.sleep(0.05)
    raise SystemExit("the hub did not write the checkpoints")


async def _in_service(
    pool: asyncpg.Pool, incident_id: uuid.UUID, moments: list[datetime], every: int
) -> tuple[list[float], list[float]]:
    """Seconds per moment from checkpoints, and from seq 0 (the baseline), each in a
    run of its own (the baseline's garbage is collected before the next is timed)."""
    fast: list[float] = []
    slow: list[float] = []
    pictures = []
    index = past.MomentIndex()
    async with pool.acquire() as conn:
        row = await incidents.get(conn, incident_id)
        assert row is not None
        for moment in moments:
            began = time.perf_counter()
            seq = await past.seq_at(conn, row, moment, index)
            pictures.append(await past.picture_at_seq(conn, incident_id, seq, every))
            fast.append(time.perf_counter() - began)
        # The baseline takes seconds a moment: the first few moments show it well enough.
        for moment, picture in list(zip(moments, pictures, strict=True))[:BASELINE]:
            gc.collect()
            began = time.perf_counter()
            seq = await past.seq_at(conn, row, moment, index)
            folded = rebuild(await events.since(conn, incident_id, 0, until=seq))
            slow.append(time.perf_counter() - began)
            assert folded == picture, moment
    return fast, slow


async def _over_http(
    base: str, token: str, incident_id: uuid.UUID, moments: list[datetime]
) -> list[float]:
    times: list[float] = []
    async with aiohttp.ClientSession() as http:
        for moment in moments:
            url = f"{base}/api/v1/incidents/{incident_id}/picture"
            began = time.perf_counter()
            async with http.get(url, params={"at": moment.isoformat()}, headers=bearer(token)) as r:
                assert r.status == 200, await r.text()
                await r.json()
            times.append(time.perf_counter() - began)
    return times


@dataclass
class Drawn:
    """Seconds per slider step in Chromium: the whole step, and its answer's share."""

    jumps: list[float]
    arrows: list[float]
    jump_matrix: list[float]
    arrow_matrix: list[float]
    jump_fetches: list[float]
    arrow_fetches: list[float]
    scrolled_jumps: list[float]
    scrolled_arrows: list[float]
    cpu: dict[str, float]


STEPS_JS = """
async (values) => {
  const root = document.getElementById("moment");
  const matrix = document.getElementById("matrix");
  const range = document.getElementById("moment-range");
  const until = (node, name, wanted) => new Promise((resolve) => {
    const seen = () => node.getAttribute(name) === wanted();
    if (seen()) { resolve(); return; }
    const watch = new MutationObserver(() => { if (seen()) { watch.disconnect(); resolve(); } });
    watch.observe(node, { attributes: true, attributeFilter: [name] });
  });
  // The paint after what is drawn: a frame's callback runs before its style, layout and
  // paint, and a task queued from it runs after them.
  const painted = () =>
    new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  const later = matrix.hasAttribute("data-seq");
  // The fetch's share of a step (request → last byte), from the page's resource timing.
  performance.setResourceTimingBufferSize(10000);
  performance.clearResourceTimings();
  performance.clearMeasures("look-back");
  const times = [], matrixTimes = [];
  for (const value of values) {
    const at = new Date(value * 60000).toISOString();
    const began = performance.now();
    range.value = String(value);
    range.dispatchEvent(new Event("input", { bubbles: true }));
    await until(root, "data-at", () => at);
    await painted();
    times.push(performance.now() - began);
    // A page that draws its matrix with the rest does not mark it: the same time.
    if (later) { await until(matrix, "data-seq", () => root.dataset.seq); await painted(); }
    matrixTimes.push(performance.now() - began);
  }
  // Asked → answered: over the stream (the page's "look-back" measures), or over HTTP
  // when the page fell back to it (request → last byte, from its resource timing).
  const fetches = values.map((value) => {
    const at = new Date(value * 60000).toISOString();
    const asked = performance.getEntriesByName("look-back")
      .filter((entry) => entry.detail?.at === at).pop();
    if (asked) return asked.duration;
    const wanted = `/picture?at=${encodeURIComponent(at)}`;
    const found = performance.getEntriesByType("resource")
      .filter((entry) => entry.name.endsWith(wanted)).pop();
    return found ? found.responseEnd - found.startTime : null;
  }).filter((took) => took !== null);
  return [times, matrixTimes, fetches];
}
"""


async def _drawn(
    base: str,
    cookie: str,
    incident_id: uuid.UUID,
    participants: int,
    jumps: list[int],
    arrows: list[int],
    scrolled: tuple[list[int], list[int]],
) -> Drawn:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=ARGS)
        context = await browser.new_context(
            viewport={"width": 1920, "height": 1080}, bypass_csp=True
        )
        await context.add_cookies([{"name": sessions.COOKIE, "value": cookie, "url": base}])
        page = await context.new_page()
        await page.goto(f"{base}/incidents/{incident_id}")
        await page.wait_for_function(
            f"document.querySelectorAll('#matrix tbody tr').length === {participants}"
            " && document.getElementById('conn').dataset.state === 'live'",
            timeout=120_000,
        )
        await page.evaluate(STEPS_JS, jumps[:3])  # warm: modules compiled, sockets open
        cdp = await page.context.new_cdp_session(page)
        await cdp.send("Performance.enable")
        before = await _durations(cdp)
        jump_times, jump_matrix, jump_fetches = await page.evaluate(STEPS_JS, jumps)
        after = await _durations(cdp)
        arrow_times, arrow_matrix, arrow_fetches = await page.evaluate(STEPS_JS, arrows)
        await cdp.detach()
        # The page scrolled to the matrix (as on a phone): drawn in the same step as the rest.
        await page.evaluate("document.getElementById('matrix').scrollIntoView()")
        _, scrolled_jumps, _ = await page.evaluate(STEPS_JS, scrolled[0])
        _, scrolled_arrows, _ = await page.evaluate(STEPS_JS, scrolled[1])
        await browser.close()
    cpu = {name: (after[name] - before[name]) / len(jumps) for name in METRICS}

    def seconds(times: list[float]) -> list[float]:
        return [t / 1000 for t in times]

    return Drawn(
        seconds(jump_times),
        seconds(arrow_times),
        seconds(jump_matrix),
        seconds(arrow_matrix),
        seconds(jump_fetches),
        seconds(arrow_fetches),
        seconds(scrolled_jumps),
        seconds(scrolled_arrows),
        cpu=cpu,
    )


async def _report_path(pg: Postgres, *, quick: bool) -> None:
    count = (200 if quick else 800) // ingest.ROUNDS * ingest.ROUNDS
    concurrency = 16
    codes = [code for code, _ in municipalities(COUNTY)]
    rng = random.Random(16)
    total = count + ingest.WARMUP
    async with contextlib.AsyncExitStack() as stack:
        ops = []
        for shipped in (True, False):
            dsn = await pg.new_database("bench_moment_ingest")
            if not shipped:
                conn = await asyncpg.connect(dsn)
                await conn.execute("DROP INDEX events_at")
                await conn.close()
            settings = bench_settings()
            if not shipped:
                settings = settings_from(**{**settings.model_dump(), "checkpoint_every": 10**9})
            tokens = await make_tokens(
                dsn, [(BOARD, "duty_officer"), *((c, "reporter") for c in codes)]
            )
            base = await stack.enter_async_context(running_app(dsn, settings))
            admin = await stack.enter_async_context(aiohttp.ClientSession())
            incident = await activate(admin, base, tokens[(BOARD, "duty_officer")], codes)
            bodies = iter(
                [
                    (body["organisation"], json.dumps(body).encode())
                    for body in (report_body(rng, codes[i % len(codes)]) for i in range(total))
                ]
            )
            sessions = [
                await stack.enter_async_context(
                    aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
                )
                for _ in range(concurrency)
            ]
            url = f"{base}/api/v1/incidents/{incident['id']}/reports"
            reporters = {code: tokens[(code, "reporter")] for code in codes}
            ops.append(ingest.report_op(sessions, url, functools.partial(next, bodies), reporters))
        with_checkpoints, without = await ingest.measure(count, concurrency, ops)
    a, b = summarise(with_checkpoints.latencies), summarise(without.latencies)
    print_table(
        f"Report path, {count} reports from {concurrency} clients to each, taking turns",
        ["", "p50", "p95", "reports/s"],
        [
            [
                f"checkpoints every {bench_settings().checkpoint_every} + index on times",
                ms(a.p50),
                ms(a.p95),
                f"{with_checkpoints.throughput:.0f}",
            ],
            ["neither (before)", ms(b.p50), ms(b.p95), f"{without.throughput:.0f}"],
            [
                "ratio",
                ratio(a.p50, b.p50),
                ratio(a.p95, b.p95),
                ratio(with_checkpoints.throughput, without.throughput),
            ],
        ],
    )


async def run(pg: Postgres, *, quick: bool) -> None:
    await _picture_at(pg, quick=quick)
    await _report_path(pg, quick=quick)


async def _picture_at(pg: Postgres, *, quick: bool) -> None:
    steps = 40 if quick else 200
    settings = bench_settings()
    every = settings.checkpoint_every
    dsn = await pg.new_database("bench_moment")
    codes = [code for code, _ in municipalities(COUNTY)]
    tokens = await make_tokens(dsn, [(BOARD, "duty_officer"), (BOARD, "viewer")])
    cookie = await _viewer_cookie(dsn)
    configure_logging(settings)
    server = TestServer(create_app(settings, dsn=dsn, clock=FixedClock(T0)))
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        async with aiohttp.ClientSession() as http:
            incident = await activate(http, base, tokens[(BOARD, "duty_officer")], codes)
        incident_id = uuid.UUID(incident["id"])
        rng = random.Random(10_000)
        log = report_events(rng, codes, str(incident_id), EVENTS - 1)
        print(f"\n## moment: 1 activation, {len(codes)} participants, {len(log)} report events")
        began = time.perf_counter()
        await _write_log(pool, incident_id, log)
        await _until_checkpointed(pool, incident_id, every)
        took = time.perf_counter() - began
        print(f"log written and checkpointed (every {every} events) in {took:.1f} s")
        first = T0 + timedelta(minutes=1)
        last = datetime.fromisoformat(log[-1]["at"])
        span = int((last - first).total_seconds() // 60)
        minutes = [rng.randrange(span) for _ in range(steps)]
        moments = [first + timedelta(minutes=m) for m in minutes]
        fast, slow = await _in_service(pool, incident_id, moments, every)
        http_times = await _over_http(base, tokens[(BOARD, "viewer")], incident_id, moments)
        first_minute = int(first.timestamp() // 60)
        jumps = [first_minute + m for m in minutes]
        start = first_minute + rng.randrange(span - 5 * steps)
        arrows = [start + 5 * n for n in range(steps)]
        again = [first_minute + rng.randrange(span) for _ in range(steps)]
        start = first_minute + rng.randrange(span - 5 * steps)
        scrolled = (again, [start + 5 * n for n in range(steps)])
        drawn = await _drawn(base, cookie, incident_id, len(codes), jumps, arrows, scrolled)
    finally:
        await pool.close()
        await server.close()
    a, b = summarise(fast), summarise(slow)
    h, j, k = summarise(http_times), summarise(drawn.jumps), summarise(drawn.arrows)
    jm, km = summarise(drawn.jump_matrix), summarise(drawn.arrow_matrix)
    jf, kf = summarise(drawn.jump_fetches), summarise(drawn.arrow_fetches)
    sj, sk = summarise(drawn.scrolled_jumps), summarise(drawn.scrolled_arrows)
    rows = [
        ["in the service: from a checkpoint", ms(a.p50), ms(a.p95), ms(a.max), ratio(a.p95, b.p95)],
        ["in the service: from seq 0 (baseline)", ms(b.p50), ms(b.p95), ms(b.max), "×1.00"],
        ["API over HTTP: request → JSON", ms(h.p50), ms(h.p95), ms(h.max), ratio(h.p95, b.p95)],
        ["drawn, in view: random jumps", ms(j.p50), ms(j.p95), ms(j.max), ratio(j.p95, b.p95)],
        ["drawn, in view: 5-minute steps", ms(k.p50), ms(k.p95), ms(k.max), ratio(k.p95, b.p95)],
        [
            "drawn, the matrix too: random jumps",
            ms(jm.p50),
            ms(jm.p95),
            ms(jm.max),
            ratio(jm.p95, b.p95),
        ],
        [
            "drawn, the matrix too: 5-minute steps",
            ms(km.p50),
            ms(km.p95),
            ms(km.max),
            ratio(km.p95, b.p95),
        ],
        [
            "drawn, scrolled to the matrix: random jumps",
            ms(sj.p50),
            ms(sj.p95),
            ms(sj.max),
            ratio(sj.p95, b.p95),
        ],
        [
            "drawn, scrolled to the matrix: 5-minute steps",
            ms(sk.p50),
            ms(sk.p95),
            ms(sk.max),
            ratio(sk.p95, b.p95),
        ],
        ["  of a jump: its answer (asked → picture)", ms(jf.p50), ms(jf.p95), ms(jf.max), ""],
        ["  of a step: its answer (asked → picture)", ms(kf.p50), ms(kf.p95), ms(kf.max), ""],
    ]
    labels = ("script", "style", "layout", "all main-thread tasks")
    for name, label in zip(METRICS, labels, strict=True):
        rows.append([f"Chromium CPU per jump: {label}", ms(drawn.cpu[name]), "", "", ""])
    print_table(
        f"Picture at a moment, {steps} moments, {len(codes)} participants, {EVENTS} events"
        " (goal: drawn ≤ 50 ms p95)",
        ["", "p50", "p95", "max", "p95 vs seq 0"],
        rows,
    )
