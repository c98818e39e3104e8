"""`make deploy-test`: deploy/ as deployed, run for real and checked (.ci/run runs it).

Debian's nginx with deploy/nginx.conf (rendered for a temporary prefix, tests/faults/
nginx.py) in front of two `lagesbild serve` instances on one embedded PostgreSQL, all on
loopback. The scenario:

1. viewers connect through the proxy until both instances hold some;
2. reports go through the proxy (round-robin, so through either instance) and straight
   to each instance;
3. halfway, the instance holding viewers is SIGKILLed; its viewers reconnect through the
   proxy, land on the other and resume with `since`;
4. every viewer must have every event exactly once, in order; every report is stored
   once and the log has no gap.

    python -m tests.faults.deploy [--reports 400] [--viewers 6]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from service.demo.ports import free_port
from tests.faults.cluster import Instance, Postgres, own_postgres
from tests.faults.harness import (
    Ledger,
    Reporter,
    Setup,
    Viewer,
    check_store,
    metric,
    municipalities,
    until,
)
from tests.faults.nginx import Nginx

CONNECTIONS = "lagesbild_stream_connections"


@dataclass
class Deployment:
    postgres: Postgres
    dsn: str
    instances: list[Instance]
    nginx: Nginx


@contextlib.asynccontextmanager
async def deployed(folder: Path, *, instances: int = 2) -> AsyncIterator[Deployment]:
    """nginx in front of `instances` service instances on one embedded PostgreSQL."""
    with own_postgres(folder / "pg") as postgres:
        dsn = await postgres.new_database("deploy")
        services = [Instance(f"app{n}", dsn, folder) for n in range(1, instances + 1)]
        for service in services:
            service.workers = 2  # as deployed: `lagesbild serve --workers 2` each
        await asyncio.gather(*(service.start() for service in services))
        nginx = Nginx(folder / "nginx", upstreams=[s.port for s in services], port=free_port())
        try:
            await nginx.check()
            await nginx.start()
            yield Deployment(postgres, dsn, services, nginx)
        finally:
            await nginx.stop()
            await asyncio.gather(*(service.stop() for service in services))


@dataclass
class Outcome:
    viewers: list[Viewer]
    held_before_kill: dict[str, float]
    held_after_kill: dict[str, float]
    reports: int
    last_seq: int
    first_seq: int
    exact: bool
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


async def scenario(folder: Path, *, reports: int = 400, viewers: int = 6) -> Outcome:
    began = time.monotonic()
    async with deployed(folder) as deployment:
        app1, app2 = deployment.instances
        proxy_url = deployment.nginx.url
        setup = await Setup.create(deployment.dsn, proxy_url, municipalities(20))
        first = await _seq(deployment.dsn, setup)
        crowd = [
            Viewer(lambda: proxy_url, setup.viewer_token, setup.topic, name=f"viewer{n}")
            for n in range(viewers)
        ]
        following = []
        for viewer in crowd:  # one by one: nginx's round-robin puts them on both
            following.append(asyncio.create_task(viewer.follow(first + reports, deadline=300)))
            await asyncio.wait_for(viewer.subscribed.wait(), 30)
        held = {s.name: await metric(s.url, CONNECTIONS) for s in deployment.instances}
        problems = []
        if not all(held.values()):
            problems.append(f"viewers not on both instances: {held}")
        victim = app1 if held[app1.name] else app2
        survivor = app2 if victim is app1 else app1
        ledger = Ledger()
        half = reports // 2

        async def post(count: int, offset: int, urls: list[str]) -> None:
            """`count` reports from every participant at once, spread over `urls`."""
            codes = list(setup.reporter_tokens)
            share, rest = divmod(count, len(codes))
            await asyncio.gather(
                *(
                    Reporter(
                        _fixed(urls[n % len(urls)]),
                        setup,
                        code,
                        ledger,
                        seed=offset + n,
                    ).run(share + (1 if n < rest else 0))
                    for n, code in enumerate(codes)
                )
            )

        await post(half, 0, [proxy_url, app1.url, app2.url])
        await victim.kill()
        posting = asyncio.create_task(post(reports - half, 10_000, [proxy_url, survivor.url]))
        on_victim = int(held[victim.name])
        await until(lambda: sum(v.connections > 1 for v in crowd) >= on_victim, within=60)
        after = {survivor.name: await metric(survivor.url, CONNECTIONS)}
        await posting
        await asyncio.gather(*following)
        check = await check_store(deployment.dsn, setup.incident_id, ledger)
        last = check.last_seq
        for viewer in crowd:
            expected = list(range(first + 1, last + 1))
            if viewer.seqs != expected or not viewer.unbroken:
                problems.append(
                    f"{viewer.name}: {len(viewer.seqs)} events, gaps {viewer.gaps[:5]}, "
                    f"repeats {viewer.duplicates}, snapshots {viewer.snapshots}"
                )
        moved = sum(1 for viewer in crowd if viewer.connections > 1)
        if moved < held[victim.name]:
            problems.append(f"{moved} viewers reconnected, {held[victim.name]} were on the victim")
        if not check.exact:
            problems.append(f"store: {check}")
    return Outcome(
        viewers=crowd,
        held_before_kill=held,
        held_after_kill=after,
        reports=check.stored,
        last_seq=last,
        first_seq=first,
        exact=check.exact,
        problems=problems,
        seconds=time.monotonic() - began,
    )


def _fixed(url: str) -> Callable[[], str]:
    return lambda: url


async def _seq(dsn: str, setup: Setup) -> int:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        found: int = await conn.fetchval(
            "SELECT coalesce(max(seq), 0) FROM events WHERE incident_id = $1::uuid",
            setup.incident_id,
        )
    finally:
        await conn.close()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.deploy", description=__doc__)
    parser.add_argument("--reports", type=int, default=400)
    parser.add_argument("--viewers", type=int, default=6)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-deploy-"))
    try:
        outcome = asyncio.run(scenario(folder, reports=args.reports, viewers=args.viewers))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(
        f"deploy-test: nginx + 2 instances + PostgreSQL, {outcome.reports} reports, "
        f"seq {outcome.first_seq + 1}..{outcome.last_seq}, {len(outcome.viewers)} viewers "
        f"(before the kill {outcome.held_before_kill}, after {outcome.held_after_kill}), "
        f"reconnections {sum(v.connections - 1 for v in outcome.viewers)}, "
        f"{outcome.seconds:.1f} s\n"
    )
    for problem in outcome.problems:
        sys.stderr.write(f"FAILED: {problem}\n")
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main())
