"""Ingest: situation reports submitted over HTTP, side by side with two floors.

Reporters of all 49 municipalities of county 14 submit full reports (about 1 kB of
JSON each) to one incident, from C clients (1, 16, 64) that each keep one connection
alive and wait for each answer before sending the next. Measured in the same run,
against the same server and database:

- **raw asyncpg**, the peer to beat: the same 1 kB jsonb payload INSERTed by the same
  number of clients on 8 pooled connections, each INSERT its own transaction
  (autocommit: the INSERT and its COMMIT in one statement), into a table with nothing
  but a primary key; no HTTP, no validation, no lock;

- the HTTP floor: the same number of `GET /healthz` from the same clients (what the
  web server, the client and the event loop cost at all);
- the database floor: a raw asyncpg transaction per "report" that takes a row lock
  on a scratch incident row, advances its counter, inserts the report as jsonb with
  that seq, and sends a pg_notify (to a channel one connection LISTENs on): the
  least a design with "row lock, event row, NOTIFY after commit" can cost.

Everything runs in one process on one event loop (the server, the clients, the
listener), as the tests do; the floors share that handicap. Beside it, in the same
rounds, **Lägesbild served**: the service in a process of its own as `lagesbild serve`
runs it (its event loop, its heap frozen before start-up; bench/loop_server.py), on a
database of its own, with the same clients in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

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
    served_app,
    summarise,
)
from schemas.common import Role
from service.db.pool import create_pool

REPORTS = 2000
QUICK_REPORTS = 300
CONCURRENCY = (1, 16, 64)
RAW_CONNECTIONS = 8
# Goals: reports/s at least the raw INSERT's, and p99 within 20 ms at 16 submitters.
GOAL_P99_AT_16 = 0.020
WARMUP = 40
ROUNDS = 4
SEED = 1442
FLOOR_CHANNEL = "bench_floor"

# One request or transaction: (client number, request number) → done.
Op = Callable[[int, int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    latencies: list[float]

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds


async def drive(count: int, concurrency: int, op: Op) -> Run:
    """`count` operations from `concurrency` clients, each waiting for its previous one."""
    latencies: list[float] = []
    numbers = itertools.count()

    async def client(number: int) -> None:
        while (index := next(numbers)) < count:
            started = time.perf_counter()
            await op(number, index)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(concurrency)))
    return Run(time.perf_counter() - started, latencies)


async def measure(count: int, concurrency: int, ops: Sequence[Op]) -> list[Run]:
    """Each op `count` times: a warm-up each (not counted: connections, caches, lazy
    imports), then `ROUNDS` rounds taking turns, so that a noisy neighbour that comes and
    goes weighs on the product and its baselines alike."""
    for op in ops:
        await drive(WARMUP, concurrency, op)
    runs: list[list[Run]] = [[] for _ in ops]
    for _ in range(ROUNDS):
        for op, done in zip(ops, runs, strict=True):
            done.append(await drive(count // ROUNDS, concurrency, op))
    return [
        Run(sum(run.seconds for run in done), [t for run in done for t in run.latencies])
        for done in runs
    ]


# --- the three kinds of operation -------------------------------------------------------


def healthz_op(sessions: Sequence[aiohttp.ClientSession], base: str) -> Op:
    url = f"{base}/healthz"

    async def op(client: int, _index: int) -> None:
        async with sessions[client].get(url) as reply:
            await reply.read()
            if reply.status != 200:
                raise SystemExit(f"GET /healthz answered {reply.status}")

    return op


def report_op(
    sessions: Sequence[aiohttp.ClientSession],
    url: str,
    bodies: Callable[[], tuple[str, bytes]],
    tokens: dict[str, str],
) -> Op:
    headers = {
        code: {**bearer(token), "Content-Type": "application/json"}
        for code, token in tokens.items()
    }

    async def op(client: int, index: int) -> None:
        organisation, body = bodies()
        async with sessions[client].post(url, data=body, headers=headers[organisation]) as reply:
            answer = await reply.read()
            if reply.status != 201:
                raise SystemExit(f"report {index} answered {reply.status}: {answer[:400]!r}")

    return op


FLOOR_SCHEMA = """
CREATE TABLE bench_floor_incident (id integer PRIMARY KEY, last_seq bigint NOT NULL DEFAULT 0);
CREATE TABLE bench_floor_event (
    incident_id integer NOT NULL REFERENCES bench_floor_incident (id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    data        jsonb NOT NULL,
    PRIMARY KEY (incident_id, seq)
);
INSERT INTO bench_floor_incident (id) VALUES (1);
"""


def floor_op(pool: asyncpg.Pool, payloads: Callable[[], dict[str, Any]]) -> Op:
    async def op(_client: int, _index: int) -> None:
        payload = payloads()
        async with pool.acquire() as conn, conn.transaction():
            seq = await conn.fetchval(
                "UPDATE bench_floor_incident SET last_seq = last_seq + 1 WHERE id = 1"
                " RETURNING last_seq"
            )
            await conn.execute(
                "INSERT INTO bench_floor_event (incident_id, seq, data) VALUES (1, $1, $2)",
                seq,
                payload,
            )
            await conn.execute("SELECT pg_notify($1, $2)", FLOOR_CHANNEL, f"1:{seq}")

    return op


RAW_SCHEMA = "CREATE TABLE bench_raw (id bigserial PRIMARY KEY, data jsonb NOT NULL)"


def raw_op(pool: asyncpg.Pool, payloads: Callable[[], dict[str, Any]]) -> Op:
    """INSERT + COMMIT, nothing else: one autocommit statement per payload."""

    async def op(_client: int, _index: int) -> None:
        payload = payloads()
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO bench_raw (data) VALUES ($1)", payload)

    return op


def _ignore(*_args: object) -> None:
    """The floor's LISTEN callback: receiving the notification is the cost measured."""


# --- the benchmark ----------------------------------------------------------------------


async def run(pg: Postgres, *, quick: bool) -> None:
    count = (QUICK_REPORTS if quick else REPORTS) // ROUNDS * ROUNDS
    dsn = await pg.new_database("bench_ingest")
    codes = [code for code, _name in municipalities(COUNTY)]
    if len(codes) != 49:
        raise SystemExit(f"expected the 49 municipalities of county 14, found {len(codes)}")
    wanted: list[tuple[str, Role]] = [(BOARD, "duty_officer")]
    wanted += [(code, "reporter") for code in codes]
    tokens = await make_tokens(dsn, wanted)
    reporters = {code: tokens[(code, "reporter")] for code in codes}

    served_dsn = await pg.new_database("bench_ingest_served")
    served_tokens = await make_tokens(served_dsn, wanted)
    served_reporters = {code: served_tokens[(code, "reporter")] for code in codes}

    rng = random.Random(SEED)
    total = len(CONCURRENCY) * (count + WARMUP)
    prepared = [report_body(rng, codes[index % len(codes)]) for index in range(total)]
    wire = [(body["organisation"], json.dumps(body).encode()) for body in prepared]
    encoded, served_encoded = iter(wire), iter(wire)
    payloads = iter(prepared)
    raw_payloads = iter(prepared)
    shipped = bench_settings()

    print(f"\n## ingest: {count} reports per run, 49 participants, concurrency {CONCURRENCY}")
    async with contextlib.AsyncExitStack() as stack:
        base = await stack.enter_async_context(running_app(dsn))
        admin = await stack.enter_async_context(aiohttp.ClientSession())
        incident = await activate(admin, base, tokens[(BOARD, "duty_officer")], codes)
        url = f"{base}/api/v1/incidents/{incident['id']}/reports"
        served = await stack.enter_async_context(
            served_app(served_dsn, shipped.cpu_workers, shipped.edxl_imports_at_once)
        )
        served_incident = await activate(
            admin, served, served_tokens[(BOARD, "duty_officer")], codes
        )
        served_url = f"{served}/api/v1/incidents/{served_incident['id']}/reports"

        setup = await asyncpg.connect(dsn)
        stack.push_async_callback(setup.close)
        await setup.execute(FLOOR_SCHEMA)
        await setup.execute(RAW_SCHEMA)
        await setup.add_listener(FLOOR_CHANNEL, _ignore)
        pool = await create_pool(dsn)  # the app's own pool settings and JSON codecs
        stack.push_async_callback(pool.close)
        raw = await create_pool(dsn, min_size=RAW_CONNECTIONS, max_size=RAW_CONNECTIONS)
        stack.push_async_callback(raw.close)
        verdicts: list[str] = []

        for concurrency in CONCURRENCY:
            sessions = await _sessions(stack, concurrency)
            served_sessions = await _sessions(stack, concurrency)
            http_floor, db_floor, raw_insert, reports, served_reports = await measure(
                count,
                concurrency,
                [
                    healthz_op(sessions, base),
                    floor_op(pool, lambda: next(payloads)),
                    raw_op(raw, lambda: next(raw_payloads)),
                    report_op(sessions, url, lambda: next(encoded), reporters),
                    report_op(
                        served_sessions, served_url, lambda: next(served_encoded), served_reporters
                    ),
                ],
            )
            _table(
                count,
                concurrency,
                {"in process": reports, "served": served_reports},
                raw_insert,
                http_floor,
                db_floor,
            )
            verdicts += _verdicts(concurrency, reports, served_reports, raw_insert)

        await _check_log(setup, incident["id"], expected=1 + total)
        served_setup = await asyncpg.connect(served_dsn)
        stack.push_async_callback(served_setup.close)
        await _check_log(served_setup, served_incident["id"], expected=1 + total)
        board = bearer(tokens[(BOARD, "duty_officer")])
        async with admin.get(
            f"{base}/api/v1/incidents/{incident['id']}/picture", headers=board
        ) as r:
            picture = await r.json()
        if picture.get("seq") != 1 + total:
            raise SystemExit(f"the live picture is at seq {picture.get('seq')}, not {1 + total}")
        print(f"checked: the live picture (GET /picture) is at seq {1 + total}", flush=True)
        print("\n".join(verdicts), flush=True)


async def _sessions(stack: contextlib.AsyncExitStack, count: int) -> list[aiohttp.ClientSession]:
    """`count` clients, each with one keep-alive connection."""
    return [
        await stack.enter_async_context(
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        )
        for _ in range(count)
    ]


def _verdicts(concurrency: int, reports: Run, served: Run, raw: Run) -> list[str]:
    times = [run.throughput / raw.throughput for run in (reports, served)]
    said = [
        f"goal: reports/s ≥ 1.0× raw INSERT at {concurrency}: "
        f"{'met' if min(times) >= 1.0 else 'not met'} "
        f"(×{times[0]:.2f} in process, ×{times[1]:.2f} served)"
    ]
    if concurrency == 16:
        p99s = [summarise(run.latencies).p99 for run in (reports, served)]
        said.append(
            f"goal: p99 ≤ 20 ms at 16: {'met' if max(p99s) <= GOAL_P99_AT_16 else 'not met'} "
            f"({ms(p99s[0])} in process, {ms(p99s[1])} served)"
        )
    return said


def _table(
    count: int,
    concurrency: int,
    lagesbild: dict[str, Run],
    raw: Run,
    http_floor: Run,
    db_floor: Run,
) -> None:
    """Each way Lägesbild ran against the raw INSERT; the floors against the first."""
    runs = list(lagesbild.values())
    mine = [summarise(run.latencies) for run in runs]
    r, http, db = (summarise(run.latencies) for run in (raw, http_floor, db_floor))
    # Throughput ratios are turned over so that every ratio reads "times the cost".
    row = ["throughput", f"{raw.throughput:.0f} /s"]
    for run in runs:
        row += [f"{run.throughput:.0f} /s", ratio(raw.throughput, run.throughput)]
    row += [
        f"{db_floor.throughput:.0f} /s",
        ratio(db_floor.throughput, runs[0].throughput),
        f"{http_floor.throughput:.0f} /s",
        ratio(http_floor.throughput, runs[0].throughput),
    ]
    rows = [row]
    for name in ("p50", "p95", "p99"):
        theirs = getattr(r, name)
        row = [f"latency {name}", ms(theirs)]
        for summary in mine:
            row += [ms(getattr(summary, name)), ratio(getattr(summary, name), theirs)]
        first, d, h = getattr(mine[0], name), getattr(db, name), getattr(http, name)
        row += [ms(d), ratio(first, d), ms(h), ratio(first, h)]
        rows.append(row)
    header = ["figure", f"raw INSERT ({RAW_CONNECTIONS} conns)"]
    for label in lagesbild:
        header += [f"Lägesbild {label}", "× raw"]
    first = next(iter(lagesbild))
    header += ["DB floor", f"{first} ×", "HTTP floor", f"{first} ×"]
    print_table(
        f"ingest, {concurrency} client{'s' if concurrency > 1 else ''}, {count} requests each",
        header,
        rows,
    )


async def _check_log(conn: asyncpg.Connection, incident_id: str, *, expected: int) -> None:
    """Every accepted report is one event; seq runs 1…N with no gaps."""
    row = await conn.fetchrow(
        "SELECT count(*) AS n, min(seq) AS first, max(seq) AS last FROM events"
        " WHERE incident_id = $1::uuid",
        incident_id,
    )
    assert row is not None
    if (row["n"], row["first"], row["last"]) != (expected, 1, expected):
        raise SystemExit(
            f"the log holds {row['n']} events, seq {row['first']}…{row['last']}; "
            f"expected {expected}, seq 1…{expected}"
        )
    print(f"checked: the incident's log holds seq 1…{expected} with no gaps", flush=True)
