"""The long fuzz run: every operation of the OpenAPI document, `--examples` generated
requests each (1 000 by default) per role, against the real app on an embedded
PostgreSQL (`python -m bench fuzz`, `make fuzz`).

Prints per role and in total: operations, examples, failures and the answers' status
codes, then each failure with a curl command that repeats it (tokens filtered). Exits
non-zero when anything failed. The checks are those of the suite's short run
(tests/fuzz/engine.py).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

from bench.common import Postgres, embedded_postgres, machine
from service.clock import SystemClock
from service.logs import configure_logging
from tests.fuzz.engine import ROLES, Figures, fuzz, seed, served_app
from tests.settings import settings_from

EXAMPLES = 1000
QUICK_EXAMPLES = 50


def _print(role: str, figures: Figures) -> None:
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(figures.statuses.items()))
    print(
        f"{role:<14} {figures.operations:>10} {figures.examples:>9} "
        f"{len(figures.failures):>8} {figures.seconds:>8.0f}   {statuses}",
        flush=True,
    )


def run(pg: Postgres, *, examples: int, roles: list[str], seed_value: int) -> int:
    settings = settings_from(
        data_dir=Path("/tmp"), log_format="console", log_level="error", rounds_timer=False
    )
    configure_logging(settings)

    @contextlib.asynccontextmanager
    async def database() -> AsyncIterator[str]:
        yield await pg.new_database("bench_fuzz")

    total = Figures()
    print(f"\n## Fuzzing: {examples} examples per operation and role, seed {seed_value}")
    print(
        f"{'role':<14} {'operations':>10} {'examples':>9} {'failures':>8} {'seconds':>8}   statuses"
    )
    with served_app(settings, database, clock=SystemClock()) as served:
        seeded = seed(served)
        for role in roles:
            figures = fuzz(served, seeded, role=role, examples=examples, seed_value=seed_value)
            _print(role, figures)
            for found in figures.failures:
                curl = found.curl if len(found.curl) <= 400 else found.curl[:400] + "…"
                print(f"  FAILURE {found.operation}: {found.message}\n    {curl}", flush=True)
            total.add(figures)
    _print("all", total)
    per_operation = sorted(total.by_operation.items(), key=lambda item: item[1])
    fewest = ", ".join(f"{label} {n}" for label, n in per_operation[:5])
    print(f"fewest examples (all roles): {fewest}")
    print("(an operation with few possible requests, such as GET /healthz, ends early)")
    return 1 if total.failures else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--examples", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_EXAMPLES} examples")
    parser.add_argument("--role", action="append", choices=list(ROLES))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    examples = args.examples or (QUICK_EXAMPLES if args.quick else EXAMPLES)
    seed_value = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"# Lägesbild fuzzing{' (quick)' if args.quick else ''}")
    print(machine(), flush=True)
    began = time.perf_counter()
    with embedded_postgres() as pg:
        code = run(pg, examples=examples, roles=args.role or list(ROLES), seed_value=seed_value)
    print(f"\nall done in {time.perf_counter() - began:.0f} s")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
