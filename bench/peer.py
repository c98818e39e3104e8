"""Peer: report submissions while the WIS node is up, and while it is down.

The outbox promises that a destination that is down never slows reporting. Reporters
of the 49 municipalities of county 14 submit full reports over HTTP to one incident
while the app's outbox worker runs for real (production settings) and delivers every
report to the `wis` destination. The same submissions are timed with the peer in four
states, each on a database of its own, in rounds that take turns:

- **no peer** (baseline): `LAGESBILD_WIS_URL` unset, nothing goes to the outbox for WIS;
- **up**: the mock WIS node (`lagesbild mock-wis`) in a process of its own; every
  report is delivered while the next ones come in;
- **down, refused**: nothing listens on the node's port (connections are refused);
- **down, black hole**: a server accepts connections and never answers, so every
  delivery attempt waits for its timeout (10 s).

Checked on every run: with the peer up every report reaches the node exactly once
(counted on the node), and with the peer down none is lost or dead (all pending).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import aiohttp
import asyncpg

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
from bench.ingest import Run, drive, report_op
from schemas.common import Role
from service.demo.ports import free_port
from tests.settings import with_changes

REPORTS = 1000
QUICK_REPORTS = 200
CONCURRENCY = (1, 16)
ROUNDS = 2
WARMUP = 20
SEED = 1443
NODE_TOKEN = "bench-wis-system-token"  # a local mock node's token
STATES = ("no peer", "up", "down, refused", "down, black hole")


@contextlib.contextmanager
def mock_node() -> Iterator[str]:
    """`lagesbild mock-wis` in a process of its own; its base URL."""
    port = free_port()
    env = {**os.environ, "LAGESBILD_LOG_LEVEL": "warning"}
    command = [sys.executable, "-m", "service", "mock-wis", "--port", str(port)]
    process = subprocess.Popen(  # our own command line
        [*command, "--system-token", NODE_TOKEN],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the mock WIS node did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.asynccontextmanager
async def black_hole() -> AsyncIterator[str]:
    """A server that accepts connections and never answers; its base URL."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        with contextlib.suppress(ConnectionError):
            while await reader.read(65536):
                pass

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


@dataclass
class State:
    name: str
    url: str | None
    dsn: str
    tokens: dict[tuple[str, Role], str]
    runs: dict[int, list[Run]]
    incidents: list[str]
    submitted: int = 0


async def run(pg: Postgres, *, quick: bool) -> None:
    count = (QUICK_REPORTS if quick else REPORTS) // ROUNDS * ROUNDS
    codes = [code for code, _name in municipalities(COUNTY)]
    wanted: list[tuple[str, Role]] = [(BOARD, "duty_officer")]
    wanted += [(code, "reporter") for code in codes]
    rng = random.Random(SEED)
    print(
        f"\n## peer: {count} reports per state and concurrency {CONCURRENCY}, "
        "outbox worker running, WIS node up or down",
        flush=True,
    )
    with mock_node() as node_url:
        async with black_hole() as hole_url:
            urls = {
                "no peer": None,
                "up": node_url,
                "down, refused": f"http://127.0.0.1:{free_port()}",
                "down, black hole": hole_url,
            }
            states = []
            for name in STATES:
                dsn = await pg.new_database("bench_peer")
                states.append(State(name, urls[name], dsn, await make_tokens(dsn, wanted), {}, []))
            for round_number in range(ROUNDS):
                for state in states if round_number % 2 == 0 else reversed(states):
                    await _round(state, codes, rng, count // ROUNDS)
            for concurrency in CONCURRENCY:
                _table(count, concurrency, states)
            for state in states:
                await _check(state, node_url)


async def _round(state: State, codes: list[str], rng: random.Random, count: int) -> None:
    settings = bench_settings()
    if state.url is not None:
        settings = with_changes(settings, wis_url=state.url, wis_token=NODE_TOKEN)
    reporters = {code: state.tokens[(code, "reporter")] for code in codes}
    async with (
        running_app(state.dsn, settings) as base,
        aiohttp.ClientSession() as admin,
    ):
        incident = await activate(admin, base, state.tokens[(BOARD, "duty_officer")], codes)
        state.incidents.append(incident["id"])
        url = f"{base}/api/v1/incidents/{incident['id']}/reports"
        for concurrency in CONCURRENCY:
            async with contextlib.AsyncExitStack() as stack:
                sessions = [
                    await stack.enter_async_context(
                        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
                    )
                    for _ in range(concurrency)
                ]
                bodies = iter(
                    [
                        (body["organisation"], json.dumps(body).encode())
                        for body in (
                            report_body(rng, codes[index % len(codes)])
                            for index in range(WARMUP + count)
                        )
                    ]
                )
                op = report_op(sessions, url, bodies.__next__, reporters)
                await drive(WARMUP, concurrency, op)
                state.runs.setdefault(concurrency, []).append(await drive(count, concurrency, op))
                state.submitted += WARMUP + count
        if state.name == "up":
            await _delivered(state.dsn)


async def _delivered(dsn: str) -> None:
    """Wait (while the app still runs, at most 2 minutes) until the outbox holds nothing
    undelivered for `wis`."""
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + 120
        while await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE destination = 'wis' AND status <> 'delivered'"
        ):
            if time.monotonic() > deadline:
                raise SystemExit("the node is up but the outbox did not empty")
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


def _table(count: int, concurrency: int, states: list[State]) -> None:
    joined = {
        state.name: Run(
            sum(run.seconds for run in state.runs[concurrency]),
            [t for run in state.runs[concurrency] for t in run.latencies],
        )
        for state in states
    }
    summaries = {name: summarise(run.latencies) for name, run in joined.items()}
    rows = []
    for figure in ("p50", "p99"):
        mine = {name: getattr(summary, figure) for name, summary in summaries.items()}
        rows.append(
            [
                f"submit {figure}",
                ms(mine["no peer"]),
                ms(mine["up"]),
                ratio(mine["up"], mine["no peer"]),
                ms(mine["down, refused"]),
                ratio(mine["down, refused"], mine["up"]),
                ms(mine["down, black hole"]),
                ratio(mine["down, black hole"], mine["up"]),
            ]
        )
    throughput = {name: run.throughput for name, run in joined.items()}
    rows.append(
        [
            "throughput",
            f"{throughput['no peer']:.0f} /s",
            f"{throughput['up']:.0f} /s",
            ratio(throughput["no peer"], throughput["up"]),
            f"{throughput['down, refused']:.0f} /s",
            ratio(throughput["up"], throughput["down, refused"]),
            f"{throughput['down, black hole']:.0f} /s",
            ratio(throughput["up"], throughput["down, black hole"]),
        ]
    )
    print_table(
        f"peer, {concurrency} client{'s' if concurrency > 1 else ''}, {count} reports per state",
        [
            "figure",
            "no peer",
            "up",
            "× no peer",
            "down (refused)",
            "× up",
            "down (black hole)",
            "× up",
        ],
        rows,
    )


async def _check(state: State, node_url: str) -> None:
    """Up: every report on the node once. Down: every report pending, none dead."""
    conn = await asyncpg.connect(state.dsn)
    try:
        rows = await conn.fetch(
            "SELECT kind, status, count(*) AS n FROM outbox WHERE destination = 'wis'"
            " GROUP BY kind, status"
        )
    finally:
        await conn.close()
    counted = {(row["kind"], row["status"]): row["n"] for row in rows}
    reports = sum(n for (kind, _status), n in counted.items() if kind == "report.submitted")
    if state.url is None:
        if counted:
            raise SystemExit(f"no peer, yet the outbox holds {counted}")
        return
    if reports != state.submitted:
        raise SystemExit(f"{state.name}: {reports} reports in the outbox, not {state.submitted}")
    wanted = "delivered" if state.name == "up" else "pending"
    if {status for _kind, status in counted} != {wanted}:
        raise SystemExit(f"{state.name}: outbox {counted}, expected all {wanted}")
    if state.name == "up":
        answers = 0
        async with aiohttp.ClientSession() as session:
            for incident in state.incidents:
                async with session.get(
                    f"{node_url}/api/areas/{incident}", headers=bearer(NODE_TOKEN)
                ) as reply:
                    answers += len((await reply.json())["svar"])
        if answers != state.submitted:
            raise SystemExit(f"the node holds {answers} answers, not {state.submitted}")
    print(f"checked: {state.name}: {reports} reports, all {wanted} for wis", flush=True)
