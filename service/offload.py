"""Work that holds the CPU for a while, kept off the event loop: parsing and validating
foreign XML (an EDXL envelope of 1 MiB takes most of a second).

A thread does not keep the loop free: the parser's Python parts (depth walk, reading
each SitRep into a report) hold the GIL, and a dozen such threads starve the loop.
`Offload` runs the work in worker processes instead (`LAGESBILD_CPU_WORKERS`, started
on first use and shared by the process, at a lower scheduling priority than the service
itself so that the loop wins the CPU). With `cpu_workers` 0 the work runs in a thread, as before.
The function and its arguments, result and exceptions cross a process boundary: they
must pickle (a module-level function, plain data).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

from aiohttp import web

from service import keys

P = ParamSpec("P")
T = TypeVar("T")

# Worker processes run this much nicer than the service (os.nice): the loop comes first.
WORKER_NICENESS = 10


def _lower_priority() -> None:
    os.nice(WORKER_NICENESS)


# The worker processes of this process, by count: like asyncio's default thread pool, one
# per process, made on first use and shared by every app the process serves (tests make
# many), shut down when the process exits.
_pools: dict[int, ProcessPoolExecutor] = {}


def _shared_pool(workers: int) -> ProcessPoolExecutor:
    pool = _pools.get(workers)
    if pool is None:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_lower_priority,
        )
        _pools[workers] = pool
        if len(_pools) == 1:
            atexit.register(_shutdown_all)
    return pool


def _shutdown_all() -> None:
    for pool in _pools.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _pools.clear()


class Offload:
    """Run a function off the event loop: in a worker process, or (no workers) a thread."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    async def run(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self.workers == 0:
            return await asyncio.to_thread(function, *args, **kwargs)
        pool = _shared_pool(self.workers)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, _call, function, args, kwargs)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the next caller gets fresh ones.
            if _pools.get(self.workers) is pool:
                del _pools[self.workers]
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _call(function: Callable[..., T], args: tuple[object, ...], kwargs: dict[str, object]) -> T:
    return function(*args, **kwargs)


async def offload_ctx(app: web.Application) -> AsyncIterator[None]:
    app[keys.offload] = Offload(app[keys.settings].cpu_workers)
    yield
