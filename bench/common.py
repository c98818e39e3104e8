"""What every benchmark needs: a database, the app on a real socket, tokens, figures.

- `embedded_postgres()` starts an embedded PostgreSQL in a temporary folder and deletes
  it afterwards; `Postgres.new_database()` makes a migrated, seeded database on it.
- `running_app(dsn)` serves `create_app` on a real socket (aiohttp's `TestServer`, as
  the tests do) in this process and yields its base URL.
- `summarise` and `print_table` turn samples into the side-by-side tables.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from schemas.common import IMPACTS, SECTORS, TRENDS, Role
from service.access.tokens import create_token
from service.app import create_app
from service.config import Settings
from service.db.embedded import embedded_server, with_database
from service.db.pool import prepare_database
from service.demo.ports import free_port
from service.logs import configure_logging
from service.repo.organisations import seed_rows
from tests.settings import settings_from

COUNTY = "14"
BOARD = "LST-14"
DAILY: dict[str, Any] = {"times": ["08:00", "14:00", "20:00"], "timezone": "Europe/Stockholm"}

URGENCIES = ("low", "medium", "high", "critical")
MANAGEMENT_LEVELS = ("normal", "reinforced", "staff", "crisis_board")


# --- organisations ----------------------------------------------------------------------


def municipalities(county: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of every municipality, or of those in `county`, in code order."""
    return sorted(
        (code, name)
        for code, name, kind, in_county in seed_rows()
        if kind == "municipality" and (county is None or in_county == county)
    )


# --- PostgreSQL -------------------------------------------------------------------------


class Postgres:
    """An embedded PostgreSQL server; each benchmark takes a database of its own on it."""

    def __init__(self, base_uri: str) -> None:
        self.base_uri = base_uri

    def uri(self, database: str) -> str:
        return with_database(self.base_uri, database)

    async def new_database(self, prefix: str) -> str:
        """A new database with the migrations applied and the organisations seeded."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(self.base_uri)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        dsn = self.uri(name)
        await prepare_database(dsn)
        return dsn

    async def version(self) -> str:
        conn = await asyncpg.connect(self.base_uri)
        try:
            found: str = await conn.fetchval("SHOW server_version")
        finally:
            await conn.close()
        return found


@contextlib.contextmanager
def embedded_postgres() -> Iterator[Postgres]:
    """An embedded PostgreSQL in a temporary folder; stopped and deleted at the end."""
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-bench-"))
    try:
        server = embedded_server(folder, cleanup_mode="delete")
        try:
            yield Postgres(server.get_uri())
        finally:
            server.cleanup()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the app ----------------------------------------------------------------------------


def bench_settings() -> Settings:
    """Production defaults (pool, queues, timeouts), with only warnings logged; the
    environment's `LAGESBILD_*` are not read, so every run measures the same settings."""
    return settings_from(
        data_dir=Path(tempfile.gettempdir()),
        log_format="console",
        log_level="warning",
        # The benchmarks measure throughput, far past one token's share: the per-token
        # limit is set out of their way (its bucket is still taken from on every request).
        api_rate_per_second=1_000_000.0,
        api_rate_burst=1_000_000_000,
        # So is the per-organisation cap on reports (bench/loop.py measures its own).
        report_rate_per_second=1_000_000.0,
        report_rate_burst=1_000_000_000,
    )


@contextlib.asynccontextmanager
async def running_app(dsn: str, settings: Settings | None = None) -> AsyncIterator[str]:
    """Serve the app on a real socket in this process; yield `http://127.0.0.1:<port>`."""
    settings = settings or bench_settings()
    configure_logging(settings)
    server = TestServer(create_app(settings, dsn=dsn))
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


@contextlib.asynccontextmanager
async def served_app(
    dsn: str, cpu_workers: int, imports_at_once: int, frozen: bool = True
) -> AsyncIterator[str]:
    """Serve the app in a process of its own, as `lagesbild serve` does (bench/loop_server.py:
    its event loop, its heap frozen unless not `frozen`); yield its base URL once ready."""
    port = free_port()
    args = [dsn, str(port), str(cpu_workers), str(imports_at_once)] + ([] if frozen else ["thaw"])
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


async def make_tokens(dsn: str, wanted: Sequence[tuple[str, Role]]) -> dict[tuple[str, Role], str]:
    """A fresh API token for each (organisation, role)."""
    conn = await asyncpg.connect(dsn)
    try:
        return {
            (organisation, role): await create_token(
                conn, organisation=organisation, role=role, name=f"bench {role} {organisation}"
            )
            for organisation, role in wanted
        }
    finally:
        await conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def activate(
    session: aiohttp.ClientSession, base: str, token: str, participants: Sequence[str]
) -> dict[str, Any]:
    """Activate an incident in county 14 as its board's duty officer; the incident."""
    body = {
        "title": "Storm i Sjuhärad (benchmark)",
        "description": "Omfattande elavbrott efter stormen",
        "county": COUNTY,
        "severity": "high",
        "exercise": True,
        "participants": list(participants),
        "schedule": DAILY,
    }
    async with session.post(f"{base}/api/v1/incidents", json=body, headers=bearer(token)) as r:
        reply: dict[str, Any] = await r.json()
        if r.status != 201:
            raise SystemExit(f"activation failed: {r.status} {reply}")
    return reply


# --- reports ----------------------------------------------------------------------------


def random_uuid(rng: random.Random) -> str:
    """A version 4 UUID from a seeded generator, so runs are repeatable."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def report_content(rng: random.Random) -> dict[str, Any]:
    """What a municipality fills in: a few sectors, needs, measures, about 1 kB as JSON."""
    households = rng.randint(0, 5000)
    needs = [
        {
            "need_id": f"need-{number}",
            "text": rng.choice(
                ("Reservkraftverk", "Dricksvatten i tank", "Personal till äldreboende")
            ),
            "urgency": rng.choice(URGENCIES),
            "status": "open" if rng.random() < 0.8 else "resolved",
        }
        for number in sorted(rng.sample(range(1, 6), rng.randint(0, 3)))
    ]
    return {
        "situation": f"Stormen har fällt träd över ledningar; {households} hushåll utan ström.",
        "development": {"trend": rng.choice(TRENDS), "text": "Vinden ökar igen under natten."},
        "sectors": [
            {"sector": sector, "status": rng.choice(IMPACTS), "text": "Påverkan enligt lägesbild"}
            for sector in rng.sample(SECTORS, rng.randint(1, 4))
        ],
        "measures_taken": ["Krisledningsstab aktiverad 09:00", "Trygghetspunkt öppnad"],
        "measures_planned": ["Öppna värmestuga i sporthallen 18:00"],
        "needs": needs,
        "management": {"level": rng.choice(MANAGEMENT_LEVELS), "text": "Stab var fjärde timme"},
        "public_information": "Information på webben och i lokalradion varje timme.",
        "contact": {"name": "ISK", "phone": "+46 322 600 000", "email": "isk@example.se"},
    }


def report_body(rng: random.Random, organisation: str) -> dict[str, Any]:
    """A full report submission for `organisation` with a fresh `report_id`."""
    return {"report_id": random_uuid(rng), "organisation": organisation, **report_content(rng)}


# --- figures ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    """Percentiles of a sample (in the sample's unit)."""

    count: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-th percentile of sorted `ordered`, interpolating between closest ranks."""
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarise(values: Sequence[float]) -> Summary:
    ordered = sorted(values)
    if not ordered:
        return Summary(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    return Summary(
        count=len(ordered),
        mean=sum(ordered) / len(ordered),
        p50=percentile(ordered, 50),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        max=ordered[-1],
    )


def rss_bytes() -> int:
    """This process's resident set size now (VmRSS); the peak (ru_maxrss) if unreadable."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def ms(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1000:.2f} ms"


def us(seconds: float) -> str:
    return "–" if math.isnan(seconds) else f"{seconds * 1e6:.1f} µs"


def mib(size: float) -> str:
    return "–" if math.isnan(size) else f"{size / 2**20:.1f} MiB"


def kib(size: float) -> str:
    return "–" if math.isnan(size) else f"{size / 2**10:.1f} KiB"


def ratio(value: float, baseline: float) -> str:
    """`value / baseline` as `×1.23`; `–` when the baseline is not positive or missing."""
    if math.isnan(baseline) or math.isnan(value) or baseline <= 0:
        return "–"
    return f"×{value / baseline:.2f}"


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table (so it can be pasted into docs/benchmarks.md as it is)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        padded = [first.ljust(widths[0])]
        padded += [cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)]
        return "| " + " | ".join(padded) + " |"

    print(f"\n{title}\n")
    print(line(headers))
    print(
        "|"
        + "|".join([":" + "-" * (widths[0] + 1)] + ["-" * (w + 1) + ":" for w in widths[1:]])
        + "|"
    )
    for row in rows:
        print(line(row))
    print(flush=True)


def machine() -> str:
    """One line about where the figures come from."""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
        f"asyncpg {asyncpg.__version__}"
    )
