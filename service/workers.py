"""`lagesbild serve --workers N`: N processes on one port, each a whole instance.

Every worker binds the port itself with SO_REUSEPORT, so the kernel spreads new
connections over them, and runs everything an instance runs: its own pool, LISTEN
connection and hub, the rounds scheduler (whose claims in PostgreSQL make one instance
act on each deadline) and the outbox worker (whose claims do the same for deliveries).
Nothing is shared between workers but the database, exactly as between instances on
separate machines.

The parent migrates first, starts the workers, says where the service serves once every
worker is listening, and on SIGTERM or SIGINT tells each worker once to stop (SIGTERM:
open streams close with 1001, in-flight requests finish). The workers sit in a process
group of their own, so a Ctrl+C on the terminal reaches the parent only and each worker
is told exactly once; should the parent die without a word, the kernel tells them
(PR_SET_PDEATHSIG). A worker that ends on its own stops the others: the service is then
down as a whole, for its supervisor (systemd, the container runtime) to restart.

Metrics are the one thing the workers pool: the parent gives them a fresh folder for
prometheus_client's multiprocess files (service/metrics.py), so `/metrics` on the port
reports the instance, not whichever worker took the scrape.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable
from multiprocessing.connection import Connection
from types import FrameType

import structlog
from aiohttp import web
from prometheus_client import multiprocess

from service.config import Settings
from service.metrics import MULTIPROCESS_FOLDER

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1
# How long past the shutdown timeout a worker may take before it is killed.
_STOP_MARGIN_SECONDS = 15.0


def serve_workers(
    settings: Settings,
    dsn: str,
    workers: int,
    announce: Callable[[], None],
    app_factory: Callable[[Settings, str], web.Application],
) -> int:
    """Run `workers` processes serving `app_factory(settings, dsn)` on one port; return
    the exit status once they have all stopped."""
    folder = tempfile.mkdtemp(prefix="lagesbild-metrics-")
    before = os.environ.get(MULTIPROCESS_FOLDER)
    os.environ[MULTIPROCESS_FOLDER] = folder  # inherited by every worker spawned below
    try:
        return _serve(settings, dsn, workers, announce, app_factory)
    finally:
        if before is None:
            os.environ.pop(MULTIPROCESS_FOLDER, None)
        else:
            os.environ[MULTIPROCESS_FOLDER] = before
        shutil.rmtree(folder, ignore_errors=True)


def _serve(
    settings: Settings,
    dsn: str,
    workers: int,
    announce: Callable[[], None],
    app_factory: Callable[[Settings, str], web.Application],
) -> int:
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = []
    ready: list[Connection] = []
    for index in range(workers):
        reader, writer = context.Pipe(duplex=False)
        started = context.Process(
            target=_worker,
            args=(settings, dsn, app_factory, writer),
            name=f"lagesbild-worker-{index + 1}",
        )
        started.start()
        writer.close()
        processes.append(started)
        ready.append(reader)

    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        log.info("workers.stopping", signal=signal.Signals(signum).name)
        for process in processes:
            if process.pid is not None and process.exitcode is None:
                os.kill(process.pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        waiting = dict(zip(ready, processes, strict=True))
        sentinels = {process.sentinel: process for process in processes}
        while waiting and not stopping:
            for done in multiprocessing.connection.wait([*waiting, *sentinels]):
                if isinstance(done, Connection):
                    # EOF: it ended before listening, and its sentinel says so too.
                    with contextlib.suppress(EOFError):
                        done.recv()
                    waiting.pop(done, None)
            if any(process.exitcode is not None for process in processes):
                break
        if not stopping and all(process.exitcode is None for process in processes):
            log.info("workers.serving", workers=workers, port=settings.port)
            announce()
            multiprocessing.connection.wait(list(sentinels))
        ended_early = not stopping
        if ended_early:
            log.error(
                "workers.worker_ended",
                exits=[process.exitcode for process in processes],
            )
            stop(signal.SIGTERM, None)
        for process in processes:
            process.join(settings.shutdown_timeout_seconds + _STOP_MARGIN_SECONDS)
            if process.exitcode is None:
                log.error("workers.killed", pid=process.pid)
                process.kill()
                process.join()
            if process.pid is not None:
                multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for reader in ready:
            reader.close()
    if ended_early or any(process.exitcode for process in processes):
        return 1
    return 0


def _worker(
    settings: Settings,
    dsn: str,
    app_factory: Callable[[Settings, str], web.Application],
    ready: Connection,
) -> None:
    """One worker: its own process group, stopped with the parent, serving until SIGTERM."""
    os.setpgrp()
    _stop_with_parent()
    from service.heap import freeze_heap
    from service.logs import configure_logging
    from service.loops import favour_the_loop, new_event_loop

    configure_logging(settings)
    app = app_factory(settings, dsn)
    freeze_heap()  # the app made, not yet started
    favour_the_loop()

    def listening(_: str) -> None:
        ready.send(os.getpid())
        ready.close()

    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        loop=new_event_loop(settings),
        reuse_port=True,
        access_log=None,
        print=listening,
        shutdown_timeout=settings.shutdown_timeout_seconds,
    )


def _stop_with_parent() -> None:
    """Ask the kernel for SIGTERM when the parent dies (Linux; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)
