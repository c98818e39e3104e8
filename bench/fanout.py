"""Fan-out: how delivery latency and server memory grow with the number of viewers.

For each V (1, 50, 200; --quick 1, 50) a new incident with the 49 municipalities of
county 14 is activated, V viewers (county board, role viewer) subscribe to it over
WebSockets from a separate process (`bench.viewers`), and M reports are submitted one
after another over HTTP. For every event and viewer the delivery latency is the time
from the submit's HTTP response to the frame's arrival at the viewer (both read on
CLOCK_MONOTONIC; it can be slightly negative when the frame overtakes the response).

Baseline: V=1 in the same run, on the same server. Memory: the server runs in this
process, so its RSS growth from before the viewers connect to after every event is
delivered (sockets still open) is the server's cost of V viewers and M events.

A last round runs V=50 again while 16 clients submit at once (baseline: the V=50
round with one submitter), which is where lost or reordered events would show.

Every viewer must get every seq, in order, with no gaps, carrying the reports that
were submitted, and the picture each viewer makes from its snapshot and the patches
must equal `GET /picture`, or the benchmark fails: a fan-out that loses events is
not fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from bench.common import (
    BOARD,
    COUNTY,
    Postgres,
    Summary,
    activate,
    bearer,
    kib,
    make_tokens,
    mib,
    ms,
    municipalities,
    print_table,
    ratio,
    report_body,
    rss_bytes,
    running_app,
    summarise,
    us,
)
from bench.viewers import DELIVERY_TIMEOUT, READY_TIMEOUT
from schemas.common import Role

VIEWERS = (1, 50, 200)
QUICK_VIEWERS = (1, 50)
EVENTS = 200
QUICK_EVENTS = 50
BURST_VIEWERS = 50
BURST_SUBMITTERS = 16
SEED = 1440
ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Outcome:
    viewers: int
    delivery: Summary  # every (event, viewer), seconds
    everyone: Summary  # per event, until the last viewer has it, seconds
    submit: Summary  # the submit requests themselves, seconds
    submit_rate: float  # reports accepted per second, over all submitters
    cpu_per_event: float  # this process's CPU seconds per event, submit to last delivery
    rss_connected: int  # bytes the server grew by while the viewers connected
    heap_connected: int  # Python heap the server keeps for the connected viewers (tracemalloc)
    rss_growth: int  # bytes from before connecting to after delivering every event


class Viewers:
    """The viewer process and its line protocol (see bench.viewers)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, url: str, token: str, topic: str, count: int, events: int) -> Viewers:
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.viewers",
            url,
            token,
            topic,
            str(count),
            str(events),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            limit=64 * 2**20,  # the results are one long line
        )
        return cls(process)

    async def receive(self, seconds: float) -> dict[str, Any]:
        """The next line from the viewer process, which must come within `seconds`."""
        assert self.process.stdout is not None
        try:
            async with asyncio.timeout(seconds):
                line = await self.process.stdout.readline()
        except TimeoutError:
            raise SystemExit(f"the viewer process said nothing within {seconds:.0f} s") from None
        if not line:
            raise SystemExit(f"the viewer process ended early (exit {await self.process.wait()})")
        message: dict[str, Any] = json.loads(line)
        return message

    async def say(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{word}\n".encode())
        await self.process.stdin.drain()

    async def finish(self) -> None:
        """Wait for a clean exit; kill our own child if it does not come."""
        try:
            async with asyncio.timeout(30):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self.process.returncode:
            raise SystemExit(f"the viewer process exited with {self.process.returncode}")


async def one_round(
    session: aiohttp.ClientSession,
    base: str,
    tokens: dict[tuple[str, Role], str],
    codes: list[str],
    *,
    viewers: int,
    events: int,
    rng: random.Random,
    submitters: int = 1,
) -> Outcome:
    """Activate an incident, connect `viewers`, submit `events` reports from `submitters`
    clients at once (one after another when 1), and measure delivery to every viewer."""
    incident = await activate(session, base, tokens[(BOARD, "duty_officer")], codes)
    topic = f"incident:{incident['id']}"
    stream_url = str(URL(base).with_scheme("ws").with_path("/api/v1/stream"))
    reports_url = f"{base}/api/v1/incidents/{incident['id']}/reports"

    gc.collect()
    rss_before = rss_bytes()
    # Only while connecting (tracemalloc slows everything down): what the server keeps
    # per socket, exactly, whatever the allocator's history in this process.
    tracemalloc.start()
    child: Viewers | None = None
    try:
        child = await Viewers.start(stream_url, tokens[(BOARD, "viewer")], topic, viewers, events)
        ready = await child.receive(READY_TIMEOUT + 30)
        if set(ready["snapshot_seqs"]) != {incident["seq"]}:
            raise SystemExit(
                f"snapshots at seqs {set(ready['snapshot_seqs'])}, not {incident['seq']}"
            )
        gc.collect()
        heap_connected = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        rss_connected = rss_bytes()

        bodies = [report_body(rng, codes[index % len(codes)]) for index in range(events)]
        began, cpu_began = time.perf_counter(), time.process_time()
        answered, submit_times = await _submit(session, reports_url, tokens, bodies, submitters)
        submit_rate = events / (time.perf_counter() - began)
        await child.say("done")
        result = await child.receive(DELIVERY_TIMEOUT + 30)
        cpu_per_event = (time.process_time() - cpu_began) / events
        gc.collect()
        rss_after = rss_bytes()
        await child.say("close")
        await child.finish()
    finally:
        tracemalloc.stop()
        if child is not None and child.process.returncode is None:
            child.process.kill()
            await child.process.wait()

    submitted = [body["report_id"] for body in bodies]
    _check(result, submitted, viewers, in_order=submitters == 1)
    async with session.get(
        f"{base}/api/v1/incidents/{incident['id']}/picture",
        headers=bearer(tokens[(BOARD, "viewer")]),
    ) as reply:
        picture = await reply.json()
    if result["picture"] != picture:
        raise SystemExit(
            "the viewers' pictures (snapshot + patches) differ from each other or from"
            f" GET /picture at seq {picture.get('seq')}"
        )
    # Every viewer got the same reports in the same (seq) order: match arrivals by report.
    responses = [answered[report_id] for report_id in result["report_ids"]]
    arrivals: list[list[int]] = [viewer["arrivals"] for viewer in result["viewers"]]
    delivery = [
        (arrived - responses[number]) / 1e9
        for per_viewer in arrivals
        for number, arrived in enumerate(per_viewer)
    ]
    everyone = [
        (max(per_viewer[number] for per_viewer in arrivals) - responses[number]) / 1e9
        for number in range(events)
    ]
    return Outcome(
        viewers=viewers,
        delivery=summarise(delivery),
        everyone=summarise(everyone),
        submit=summarise(submit_times),
        submit_rate=submit_rate,
        cpu_per_event=cpu_per_event,
        rss_connected=rss_connected - rss_before,
        heap_connected=heap_connected,
        rss_growth=rss_after - rss_before,
    )


async def _submit(
    session: aiohttp.ClientSession,
    url: str,
    tokens: dict[tuple[str, Role], str],
    bodies: list[dict[str, Any]],
    submitters: int,
) -> tuple[dict[str, int], list[float]]:
    """Submit every body from `submitters` clients; the response time (monotonic ns) of
    each report id, and the seconds each submit took."""
    answered: dict[str, int] = {}
    took: list[float] = []
    waiting = iter(bodies)

    async def submitter() -> None:
        for body in waiting:
            headers = bearer(tokens[(body["organisation"], "reporter")])
            sent = time.monotonic_ns()
            async with session.post(url, json=body, headers=headers) as reply:
                answer = await reply.read()
                done = time.monotonic_ns()
                if reply.status != 201:
                    raise SystemExit(f"a report was answered {reply.status}: {answer[:400]!r}")
            answered[body["report_id"]] = done
            took.append((done - sent) / 1e9)

    await asyncio.gather(*(submitter() for _ in range(submitters)))
    return answered, took


def _check(result: dict[str, Any], submitted: list[str], viewers: int, *, in_order: bool) -> None:
    """Every viewer got every seq in order with no gaps, carrying the submitted reports
    (in the order submitted, when they were submitted one after another)."""
    problems = [
        f"viewer {number}: {viewer['problem']}"
        for number, viewer in enumerate(result["viewers"])
        if viewer["problem"] is not None
    ]
    if len(result["viewers"]) != viewers:
        problems.insert(0, f"{len(result['viewers'])} viewers answered, not {viewers}")
    if problems:
        shown = "\n  ".join(problems[:10])
        raise SystemExit(
            f"fan-out lost events: {len(problems)} of {viewers} viewers failed\n  {shown}"
        )
    delivered: list[str] = result["report_ids"]
    if not result["same_reports"]:
        raise SystemExit("viewers were sent different reports for the same seq")
    if (delivered != submitted) if in_order else (sorted(delivered) != sorted(submitted)):
        raise SystemExit("fan-out delivered other reports than were submitted, or in another order")


async def run(pg: Postgres, *, quick: bool) -> None:
    counts = QUICK_VIEWERS if quick else VIEWERS
    events = QUICK_EVENTS if quick else EVENTS
    dsn = await pg.new_database("bench_fanout")
    codes = [code for code, _name in municipalities(COUNTY)]
    wanted: list[tuple[str, Role]] = [(BOARD, "duty_officer"), (BOARD, "viewer")]
    wanted += [(code, "reporter") for code in codes]
    tokens = await make_tokens(dsn, wanted)
    rng = random.Random(SEED)

    burst_viewers = BURST_VIEWERS if BURST_VIEWERS in counts else counts[-1]
    print(f"\n## fanout: {events} reports submitted one after another, viewers {counts}")
    outcomes: list[Outcome] = []
    async with contextlib.AsyncExitStack() as stack:
        base = await stack.enter_async_context(running_app(dsn))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        # A warm-up round (not shown): imports, prepared statements, the first feed load.
        await one_round(session, base, tokens, codes, viewers=1, events=10, rng=rng)
        for viewers in counts:
            outcomes.append(
                await one_round(
                    session, base, tokens, codes, viewers=viewers, events=events, rng=rng
                )
            )
            print(
                f"checked: {viewers} viewer(s) got all {events} events, seq in order, no gaps;"
                " snapshot + patches = GET /picture"
            )
        burst = await one_round(
            session,
            base,
            tokens,
            codes,
            viewers=burst_viewers,
            events=events,
            rng=rng,
            submitters=BURST_SUBMITTERS,
        )
        print(
            f"checked: {burst_viewers} viewers got all {events} events from {BURST_SUBMITTERS}"
            " concurrent submitters, seq in order, no gaps; snapshot + patches = GET /picture"
        )
    _table(outcomes, events)
    sequential = next(outcome for outcome in outcomes if outcome.viewers == burst_viewers)
    _burst_table(sequential, burst, events)


def _table(outcomes: list[Outcome], events: int) -> None:
    baseline, *others = outcomes
    headers = ["figure", f"V={baseline.viewers} (baseline)"]
    for outcome in others:
        headers += [f"V={outcome.viewers}", "× V=1"]

    def row(
        name: str,
        value: Callable[[Outcome], float],
        show: Callable[[float], str],
        *,
        compare: bool = True,
    ) -> list[str]:
        """One figure for every V; `compare=False` where V=1's figure is mostly noise."""
        cells = [name, show(value(baseline))]
        for outcome in others:
            cells += [
                show(value(outcome)),
                ratio(value(outcome), value(baseline)) if compare else "",
            ]
        return cells

    def extra(value: Callable[[Outcome], float]) -> Callable[[Outcome], float]:
        """What each viewer beyond the first adds to `value`."""

        def per_extra_viewer(outcome: Outcome) -> float:
            if outcome.viewers == baseline.viewers:
                return math.nan
            return (value(outcome) - value(baseline)) / (outcome.viewers - baseline.viewers)

        return per_extra_viewer

    rows = [
        row("delivery p50 (each viewer)", lambda o: o.delivery.p50, ms),
        row("delivery p99 (each viewer)", lambda o: o.delivery.p99, ms),
        row("delivery p50 (last viewer)", lambda o: o.everyone.p50, ms),
        row("delivery p99 (last viewer)", lambda o: o.everyone.p99, ms),
        row("submit p50", lambda o: o.submit.p50, ms),
        row("submit p99", lambda o: o.submit.p99, ms),
        row("server CPU per event", lambda o: o.cpu_per_event, ms),
        row("  per extra viewer", extra(lambda o: o.cpu_per_event), us, compare=False),
        row("server heap per viewer (tracemalloc)", lambda o: o.heap_connected / o.viewers, kib),
        row("server RSS growth, connect", lambda o: o.rss_connected, mib, compare=False),
        row("server RSS growth, + events", lambda o: o.rss_growth, mib, compare=False),
        row("  per extra viewer", extra(lambda o: o.rss_growth), kib, compare=False),
    ]
    print_table(f"fanout, {events} events per V", headers, rows)


def _burst_table(sequential: Outcome, burst: Outcome, events: int) -> None:
    """The same viewers while 16 clients submit at once, against one submitter."""
    figures: list[tuple[str, Callable[[Outcome], float], Callable[[float], str]]] = [
        ("delivery p50 (each viewer)", lambda o: o.delivery.p50, ms),
        ("delivery p99 (each viewer)", lambda o: o.delivery.p99, ms),
        ("delivery p99 (last viewer)", lambda o: o.everyone.p99, ms),
        ("submit p50", lambda o: o.submit.p50, ms),
        ("submit p99", lambda o: o.submit.p99, ms),
        ("reports accepted", lambda o: o.submit_rate, lambda rate: f"{rate:.0f} /s"),
    ]
    rows = [
        [name, show(value(sequential)), show(value(burst)), ratio(value(burst), value(sequential))]
        for name, value, show in figures
    ]
    print_table(
        f"fanout under load, V={burst.viewers}, {events} events: "
        f"{BURST_SUBMITTERS} concurrent submitters vs 1",
        ["figure", "1 submitter (baseline)", f"{BURST_SUBMITTERS} submitters", "×"],
        rows,
    )
