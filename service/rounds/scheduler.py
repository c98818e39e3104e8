"""APScheduler inside the service: it only triggers `RoundsJob.run_due` now and then.

What is due is computed from the database and claimed row by row, so the scheduler
holds no state of its own: ticks may be missed, doubled or run on several instances.
At start, a first run catches up every deadline passed while the service was down.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import structlog
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from service import keys
from service.rounds.job import RoundsJob

log = structlog.get_logger(__name__)


async def rounds_ctx(app: web.Application) -> AsyncIterator[None]:
    """The rounds job, run once at start (catch-up), then every tick."""
    settings = app[keys.settings]
    hub = app[keys.hub]
    job = RoundsJob(app[keys.pool], settings, app[keys.metrics], notify=hub.notify)
    app[keys.rounds_job] = job
    clock = app[keys.clock]
    running = asyncio.Lock()

    async def tick() -> None:
        async with running:
            try:
                progress = await job.run_due(clock.now())
            except Exception:  # the next tick tries again; never stop ticking
                log.exception("rounds.tick_failed")
                return
        if len(progress.closed) > 1:
            log.info("rounds.caught_up", rounds=len(progress.closed))

    await tick()  # catch up with every deadline passed while no instance ran

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        "interval",
        seconds=settings.rounds_tick_seconds,
        id="rounds",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)
        async with running:  # let a run in progress finish before the pool closes
            pass
