"""Runs `RoundsJob.run_due` when work falls due, and now and then to catch up.

Each run says when work next falls due (the earliest coming deadline or `reminder.before`
moment of the active incidents); the timer sleeps on the app's clock until then, so a
round closes at its deadline, not up to a tick later. An incident activated, changed or
closed (on this instance or another: the stream hub hears of both) wakes the timer at
once to look again. Every `LAGESBILD_ROUNDS_TICK_SECONDS` it runs anyway, as catch-up
for anything it cannot have heard of (a notification lost while LISTEN reconnected).

What is due is computed from the database and claimed row by row, so the timer holds no
state that matters: wake-ups may be early, doubled or run on several instances. At start,
a first run catches up every deadline passed while the service was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Coroutine
from datetime import datetime
from typing import Any

import structlog
from aiohttp import web

from service import keys
from service.clock import Clock
from service.rounds.job import RoundsJob

log = structlog.get_logger(__name__)


class RoundsTimer:
    """Wakes the job at the next moment something falls due, and every `tick_seconds`."""

    def __init__(self, job: RoundsJob, clock: Clock, *, tick_seconds: float) -> None:
        self._job = job
        self._clock = clock
        self._tick_seconds = tick_seconds
        self._poked = asyncio.Event()
        self._running = asyncio.Lock()
        self._failed = False
        self._stopped = False

    def poke(self, _incident_id: uuid.UUID | None = None) -> None:
        """Something changed that may move the next wake-up: run the job again soon."""
        self._poked.set()

    @property
    def wake_at(self) -> datetime | None:
        """The moment the timer is set for; None when only the tick or a poke wakes it
        (nothing ahead, or the last run failed: then the tick tries again)."""
        return None if self._failed else self._job.wake_at

    async def run_once(self) -> None:
        """Run the job for now; the job says when work next falls due."""
        async with self._running:
            if self._stopped:
                return
            try:
                progress = await self._job.run_due(self._clock.now())
            except Exception:  # the next tick tries again; never stop the timer
                log.exception("rounds.tick_failed")
                self._failed = True
                return
        self._failed = False
        if len(progress.closed) > 1:
            log.info("rounds.caught_up", rounds=len(progress.closed))

    async def run(self) -> None:
        """Forever: wait for the wake-up, a poke or the tick, whichever comes first; run."""
        while True:
            waits: list[Coroutine[Any, Any, Any]] = [
                self._poked.wait(),
                asyncio.sleep(self._tick_seconds),
            ]
            wake_at = self.wake_at
            if wake_at is not None:
                waits.append(self._clock.sleep_until(wake_at))
            tasks = [asyncio.ensure_future(wait) for wait in waits]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            self._poked.clear()  # before the run: a poke during it runs the job once more
            # Shielded: cancelling the timer at shutdown lets a run finish (`stop`).
            await asyncio.shield(self.run_once())

    async def stop(self) -> None:
        """Let a run in progress finish (before the pool closes); start no other."""
        async with self._running:
            self._stopped = True


async def rounds_ctx(app: web.Application) -> AsyncIterator[None]:
    """The rounds job, run once at start (catch-up), then at each wake-up and tick."""
    settings = app[keys.settings]
    hub = app[keys.hub]
    job = RoundsJob(app[keys.pool], settings, app[keys.metrics], notify=hub.notify)
    app[keys.rounds_job] = job
    timer = RoundsTimer(job, app[keys.clock], tick_seconds=settings.rounds_tick_seconds)
    app[keys.rounds_poke] = timer.poke
    await timer.run_once()  # catch up with every deadline passed while no instance ran
    if not settings.rounds_timer:
        yield
        return
    hub.on_lifecycle(timer.poke)
    task = asyncio.create_task(timer.run(), name="rounds-timer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await timer.stop()
