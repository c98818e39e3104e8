"""Work that takes turns in a process: at most `at_once` at a time, the others waiting
their turn at most `wait` seconds, then refused (503 `unavailable` with `Retry-After`,
nothing done). EDXL imports (`adapters/edxl/http.py`, which keeps the event loop to
everyone else) and look backs (past pictures, which keep the database's connections to
everyone else: `LAGESBILD_LOOKBACKS_AT_ONCE`) each have a lane of their own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from prometheus_client import Gauge

from service.errors import ServiceUnavailable


class Lane:
    """`turn()`: wait for a turn (counted in `waiting` meanwhile), hold it for the body."""

    def __init__(
        self, at_once: int, wait: float, waiting: Gauge, *, busy: str, retry_after: int
    ) -> None:
        self._turns = asyncio.Semaphore(at_once)
        self._wait = wait
        self._waiting = waiting
        self._busy = busy  # what a refusal says
        self._retry_after = retry_after

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        self._waiting.inc()
        try:
            async with asyncio.timeout(self._wait):
                await self._turns.acquire()
        except TimeoutError:
            raise ServiceUnavailable(self._busy, retry_after=self._retry_after) from None
        finally:
            self._waiting.dec()
        try:
            yield
        finally:
            self._turns.release()
