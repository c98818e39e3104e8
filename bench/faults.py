"""The full kill-and-drop harness (`make faults`): the scenarios of tests/faults/ at size.

Every service is a real `lagesbild serve` child SIGKILLed for real, on an embedded
PostgreSQL of this run's own (stopped with `pg_ctl stop -m immediate` where the scenario
says so); clients go through the seeded loopback fault proxy (tests/faults/proxy.py).
Prints one line per scenario with its goal and what was seen; exits 1 if a functional
check failed (a lost, doubled or gapped report or event). Times are from this machine,
shared with whatever else runs on it.

    python -m bench.faults [--only reports,envelopes,crashes,stream,slow,dead,crowd] [--seed 1]
                           [--reports 10000 --envelopes 1000 --crash-reports 5000 --kills 50 …]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import bench_settings, machine, summarise
from service.logs import configure_logging
from tests.faults.cluster import Postgres, own_postgres
from tests.faults.scenarios import (
    dead_peer,
    envelopes_through_kills,
    kill_and_drop,
    reconnect_crowd,
    slow_consumer,
    stream_cuts,
)

Row = tuple[str, str, str, bool]  # scenario, goal, seen, functional check passed


@dataclass(frozen=True)
class Sizes:
    """The full sizes by default; smaller ones for a quicker (or busier) run."""

    reports: int = 10_000
    crash_reports: int = 5_000
    kills: int = 50
    database_stops: int = 5
    events: int = 10_000
    cuts: int = 1_000
    crowd: int = 1_000
    envelopes: int = 1_000


async def reports_through_kills(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    run = await kill_and_drop(
        await pg.new_database(),
        folder,
        reports=size.reports,
        clients=20,
        kills=3,
        drop=0.1,
        seed=seed,
    )
    latency = summarise(run.ledger.latencies)
    seen = (
        f"{run.check.stored} stored once each, seq 1..{run.check.last_seq} "
        f"gaps {len(run.check.seq_gaps)}, duplicates {len(run.check.duplicates)}, "
        f"{run.proxy_dropped}/{run.proxy_responses} responses dropped, "
        f"{run.ledger.repeats_answered_200} repeats answered 200, {run.kills} SIGKILLs, "
        f"{run.ledger.attempts} attempts, {run.check.stored / run.seconds:.0f} reports/s, "
        f"send→2xx p50 {latency.p50 * 1000:.0f} ms p99 {latency.p99 * 1000:.0f} ms"
    )
    ok = run.check.exact and run.check.stored == size.reports and run.kills == 3
    return [(f"{size.reports:,} reports, 20 clients, 10 % responses dropped, 3 SIGKILLs",
             "every report once, seq without gaps", seen, ok)]  # fmt: skip


async def reports_through_crashes(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    run = await kill_and_drop(
        await pg.new_database(),
        folder,
        reports=size.crash_reports,
        clients=20,
        kills=size.kills,
        drop=0.0,
        seed=seed,
        postgres=pg,
        database_stops=size.database_stops,
    )
    seen = (
        f"{len(run.ledger.acknowledged)} answered 2xx, "
        f"{len(run.check.acknowledged_missing)} of them missing; {run.check.stored} stored, "
        f"gaps {len(run.check.seq_gaps)}, {run.kills} SIGKILLs, {run.database_stops} "
        f"immediate stops, failed attempts {sum(run.ledger.failures.values())}, "
        f"{run.seconds:.0f} s"
    )
    ok = run.check.exact and (run.kills, run.database_stops) == (size.kills, size.database_stops)
    name = (
        f"{size.crash_reports:,} reports, {size.kills} SIGKILLs and {size.database_stops} "
        "PostgreSQL immediate stops"
    )
    return [(name,
             "no 2xx'd report missing", seen, ok)]  # fmt: skip


async def envelopes_and_reports(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    gateways, per_envelope, reports = 10, 20, size.reports // 2
    run = await envelopes_through_kills(
        await pg.new_database(),
        folder,
        gateways=gateways,
        envelopes=size.envelopes // gateways,
        size=per_envelope,
        reporters=10,
        reports=reports,
        kills=3,
        drop=0.1,
        seed=seed,
    )
    sent = size.envelopes // gateways * gateways
    seen = (
        f"{len(run.ledger.answered)} envelopes answered ({run.ledger.statuses[200]} as repeats), "
        f"{run.check.answered} SitReps and {run.reports_check.report_events - run.check.answered}"
        f" JSON reports stored, duplicates {len(run.check.duplicates)}, envelopes split "
        f"{len(run.check.split)}, seq 1..{run.check.last_seq} gaps {len(run.check.seq_gaps)}, "
        f"{run.proxy_dropped} responses dropped, {run.kills} SIGKILLs, {run.seconds:.0f} s"
    )
    ok = (
        run.exact
        and run.kills == 3
        and len(run.ledger.answered) == sent
        and run.check.answered == sent * per_envelope
        and run.check.stored == sent * per_envelope + reports
    )
    name = (
        f"{sent:,} EDXL envelopes of {per_envelope} SitReps from {gateways} gateways beside "
        f"{reports:,} JSON reports, 10 % responses dropped, 3 SIGKILLs"
    )
    return [(name, "every SitRep once, each envelope whole, seq without gaps", seen, ok)]


async def stream_under_cuts(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    rows: list[Row] = []
    for kill in (False, True):
        run = await stream_cuts(
            await pg.new_database(),
            folder / ("kill" if kill else "cuts"),
            events=size.events,
            cuts=size.cuts,
            seed=seed,
            kill_viewers_instance=kill,
        )
        viewer = run.viewer
        expected = list(range(run.figures["first_seq"] + 1, run.last_seq + 1))
        ok = viewer.unbroken and viewer.seqs == expected
        seen = (
            f"{len(viewer.seqs)} events, {run.cuts} cuts, {viewer.connections} connections, "
            f"gaps {len(viewer.gaps)}, repeats {viewer.duplicates}, "
            f"snapshots instead of replay {viewer.snapshots}"
            + (f", {run.kills} SIGKILL of the viewer's instance" if kill else "")
        )
        name = f"Stream: {size.events:,} events, {size.cuts:,} cuts" + (
            ", viewer's instance SIGKILLed" if kill else ""
        )
        rows.append((name, "no gap, no duplicate", seen, ok))
    return rows


async def slow(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    run = await slow_consumer(await pg.new_database(), folder, events=2_000, others=100, seed=seed)
    closed = "never" if run.closed_after is None else f"{run.closed_after:.1f} s"
    seen = (
        f"closed with 4008 after {closed}, server RSS +{run.rss_growth / 2**20:.1f} MB, "
        f"100 other viewers' p99 {run.others_p99 * 1000:.0f} ms, unbroken {run.others_unbroken}"
    )
    ok = (
        run.slow_closes >= 1
        and run.closed_after is not None
        and run.closed_after <= 5
        and run.rss_growth < 50 * 2**20
        and run.others_p99 < 1
        and run.others_unbroken
    )
    return [("Slow consumer (default settings, reports with ~3 KB of text)",
             "4008 ≤ 5 s, RSS < 50 MB, others' p99 < 1 s", seen, ok)]  # fmt: skip


async def dead(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    seconds = await dead_peer(await pg.new_database(), folder, seed=seed)
    seen = "not detected" if seconds is None else f"given up after {seconds:.1f} s"
    return [("Dead peer (no FIN), default heartbeat", "≤ 45 s", seen, seconds is not None)]


async def crowd(pg: Postgres, folder: Path, seed: int, size: Sizes) -> list[Row]:
    run = await reconnect_crowd(
        await pg.new_database(), folder, viewers=size.crowd, jitter=5.0, seed=seed
    )
    seen = (
        f"{run.viewers} back with since after {run.back_after:.1f} s, refused {run.refused}, "
        f"unbroken {run.unbroken}"
    )
    ok = run.refused == 0 and run.unbroken
    return [(f"{size.crowd:,} viewers after a SIGKILL and restart, jitter ≤ 5 s",
             "≤ 60 s, none refused", seen, ok)]  # fmt: skip


SCENARIOS: dict[str, Callable[[Postgres, Path, int, Sizes], Awaitable[list[Row]]]] = {
    "reports": reports_through_kills,
    "envelopes": envelopes_and_reports,
    "crashes": reports_through_crashes,
    "stream": stream_under_cuts,
    "slow": slow,
    "dead": dead,
    "crowd": crowd,
}


async def run(names: list[str], seed: int, size: Sizes) -> list[Row]:
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-faults-"))
    rows: list[Row] = []
    try:
        with own_postgres(folder / "pg") as pg:
            for name in names:
                began = time.monotonic()
                found = await SCENARIOS[name](pg, folder / name, seed, size)
                for row in found:
                    print(f"| {row[0]} | {row[1]} | {row[2]} | {'ok' if row[3] else 'FAILED'} |")
                print(f"  ({name}: {time.monotonic() - began:.0f} s)", file=sys.stderr)
                rows.extend(found)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="scenarios, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    for name, default in Sizes().__dict__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    args = parser.parse_args(argv)
    configure_logging(bench_settings())  # warnings only
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    print(f"{machine()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| scenario | goal | seen | check |\n| --- | --- | --- | --- |")
    size = Sizes(**{name: getattr(args, name) for name in Sizes().__dict__})
    rows = asyncio.run(run(names, args.seed, size))
    return 0 if all(row[3] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
