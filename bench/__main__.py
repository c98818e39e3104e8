"""`python -m bench [NAME|all] [--quick]`: tables (NAME: ingest, startup, fanout, nchan,
fold, national, peer, dashboard, moment, revoke, export, loop).

`--quick` runs fewer requests, viewers and repeats.

Every figure is printed beside a baseline measured in the same run; read the ratios,
not the absolute times (these machines are noisy). See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from bench import (
    dashboard,
    export,
    fanout,
    fold,
    ingest,
    loop,
    moment,
    national,
    nchan,
    peer,
    revoke,
    startup,
)
from bench.common import Postgres, bench_settings, embedded_postgres, machine
from service.logs import configure_logging

CHOICES = (
    "ingest",
    "startup",
    "fanout",
    "nchan",
    "fold",
    "national",
    "peer",
    "dashboard",
    "moment",
    "revoke",
    "export",
    "loop",
    "all",
)


async def _with_database(pg: Postgres, chosen: list[str], *, quick: bool) -> None:
    print(f"PostgreSQL {await pg.version()} (embedded, Unix socket)", flush=True)
    # Fan-out first: its RSS figures mean most in a process whose heap has not yet grown
    # and shrunk (its tracemalloc figure does not depend on that).
    if "fanout" in chosen:
        await fanout.run(pg, quick=quick)
    if "nchan" in chosen:
        await nchan.run(pg, quick=quick)
    if "ingest" in chosen:
        await ingest.run(pg, quick=quick)
    if "startup" in chosen:
        await startup.run(pg, quick=quick)
    if "peer" in chosen:
        await peer.run(pg, quick=quick)
    if "dashboard" in chosen:
        await dashboard.run(pg, quick=quick)
    if "moment" in chosen:
        await moment.run(pg, quick=quick)
    if "revoke" in chosen:
        await revoke.run(pg, quick=quick)
    if "export" in chosen:
        await export.run(pg, quick=quick)
    if "loop" in chosen:
        await loop.run(pg, quick=quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("which", nargs="?", default="all", choices=CHOICES)
    parser.add_argument("--quick", action="store_true", help="fewer requests, viewers, repeats")
    args = parser.parse_args(argv)
    everything = [
        "fanout",
        "nchan",
        "ingest",
        "startup",
        "peer",
        "fold",
        "national",
        "dashboard",
        "moment",
        "revoke",
        "export",
        "loop",
    ]
    chosen = everything if args.which == "all" else [args.which]

    configure_logging(bench_settings())  # warnings only, from the first migration on
    began = time.perf_counter()
    print(f"# Lägesbild benchmarks{' (quick)' if args.quick else ''}: {', '.join(chosen)}")
    print(machine(), flush=True)
    with_database = {"ingest", "startup", "fanout", "nchan", "peer", "dashboard", "moment"}
    if (with_database | {"revoke", "export", "loop"}) & set(chosen):
        with embedded_postgres() as pg:
            asyncio.run(_with_database(pg, chosen, quick=args.quick))
    if "fold" in chosen:
        fold.run(quick=args.quick)
    if "national" in chosen:
        national.run(quick=args.quick)
    print(f"\nall done in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
