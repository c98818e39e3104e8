"""Two instances against one, behind nginx: the stream's fan-out capacity.

The same deployment as `make deploy-test` (tests/faults/deploy.py: Debian's nginx with
deploy/nginx.conf, `lagesbild serve` children on one embedded PostgreSQL), first with one
instance, then with two, in the same run. `--viewers` follow one incident through nginx
(round-robin spreads them); `--reports` are posted through nginx as fast as the service
takes them. Figures: deliveries per second (events × viewers over the time from the first
post until the last viewer has the last event), and each delivery's latency (the event's
`at` until a viewer has it), p50/p99; the ratio of two instances to one.

The viewers are Python clients in this process, on the same 2 cores as nginx, both
instances and PostgreSQL: on such a machine the client and the shared cores limit what a
second instance can add, and the figures say so rather than the goal.

    python -m bench.instances [--viewers 300] [--reports 200]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import bench_settings, machine, summarise
from service.logs import configure_logging
from tests.faults.deploy import deployed
from tests.faults.harness import Setup, Viewer, municipalities
from tests.faults.scenarios import post_reports


@dataclass(frozen=True)
class Capacity:
    instances: int
    deliveries_per_second: float
    p50_ms: float
    p99_ms: float
    server_cpu_seconds: float


async def measure(folder: Path, *, instances: int, viewers: int, reports: int) -> Capacity:
    async with deployed(folder, instances=instances) as deployment:
        url = deployment.nginx.url
        setup = await Setup.create(deployment.dsn, url, municipalities(20))
        crowd = [Viewer(lambda: url, setup.viewer_token, setup.topic) for _ in range(viewers)]
        for viewer in crowd:
            viewer.heartbeat = None
        # The activation is seq 1: the crowd waits for the reports' events after it.
        tasks = [asyncio.create_task(v.follow(1 + reports, deadline=600)) for v in crowd]
        await asyncio.wait_for(asyncio.gather(*(v.subscribed.wait() for v in crowd)), 120)
        cpu_before = sum(s.cpu_seconds() for s in deployment.instances)
        began = time.monotonic()
        await post_reports(url, setup, reports, seed=1)
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began
        cpu = sum(s.cpu_seconds() for s in deployment.instances) - cpu_before
    latency = summarise([value for viewer in crowd for value in viewer.latencies])
    return Capacity(
        instances=instances,
        deliveries_per_second=viewers * reports / elapsed,
        p50_ms=latency.p50 * 1000,
        p99_ms=latency.p99 * 1000,
        server_cpu_seconds=cpu,
    )


async def run(viewers: int, reports: int) -> list[Capacity]:
    found = []
    for instances in (1, 2):
        folder = Path(tempfile.mkdtemp(prefix="lagesbild-instances-"))
        try:
            found.append(
                await measure(folder, instances=instances, viewers=viewers, reports=reports)
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instances", description=__doc__)
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args(argv)
    configure_logging(bench_settings())  # warnings only
    one, two = asyncio.run(run(args.viewers, args.reports))
    print(machine())
    print(f"{args.viewers} viewers through nginx, {args.reports} reports posted through nginx")
    print("| instances | deliveries/s | p50 ms | p99 ms | server CPU s | CPU µs/delivery |")
    print("| --- | --- | --- | --- | --- | --- |")
    deliveries = args.viewers * args.reports
    for row in (one, two):
        print(
            f"| {row.instances} | {row.deliveries_per_second:,.0f} | {row.p50_ms:.0f} | "
            f"{row.p99_ms:.0f} | {row.server_cpu_seconds:.1f} | "
            f"{row.server_cpu_seconds / deliveries * 1e6:.0f} |"
        )
    ratio = two.deliveries_per_second / one.deliveries_per_second
    print(f"two / one: {ratio:.2f}× deliveries per second (goal ≥ 1.8×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
