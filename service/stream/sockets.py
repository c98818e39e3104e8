"""At most `LAGESBILD_STREAM_MAX_SOCKETS_PER_USER` open stream sockets per user (or API
token), over every instance: each open socket is a row in PostgreSQL that its instance
renews every `LAGESBILD_LISTENER_CHECK_SECONDS`; a row not renewed for three of those
(its instance stopped without closing it) no longer counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta

import asyncpg
import structlog

from service.clock import Clock
from service.repo import DATABASE_ERRORS
from service.repo import stream_sockets as repo

log = structlog.get_logger(__name__)


class SocketLeases:
    def __init__(self, pool: asyncpg.Pool, clock: Clock, *, most: int, renew_every: float) -> None:
        self._pool = pool
        self._clock = clock
        self._most = most
        self._every = renew_every
        self._lease = timedelta(seconds=3 * renew_every)
        self._open: set[uuid.UUID] = set()
        self._task: asyncio.Task[None] | None = None

    @property
    def most(self) -> int:
        return self._most

    async def open(self, holder: str) -> uuid.UUID | None:
        """A lease for one more socket of `holder`; None when it has the most already."""
        socket_id = uuid.uuid4()
        now = self._clock.now()
        async with self._pool.acquire() as conn, conn.transaction():
            opened = await repo.open_socket(
                conn, socket_id, holder, most=self._most, now=now, live_since=now - self._lease
            )
        if not opened:
            return None
        self._open.add(socket_id)
        return socket_id

    async def close(self, socket_id: uuid.UUID) -> None:
        self._open.discard(socket_id)
        async with self._pool.acquire() as conn:
            await repo.close_socket(conn, socket_id)

    def start(self) -> None:
        self._task = asyncio.create_task(self._renewing(), name="stream-leases")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def renew(self) -> None:
        now = self._clock.now()
        async with self._pool.acquire() as conn:
            await repo.renew(conn, set(self._open), now=now, live_since=now - self._lease)

    async def _renewing(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self.renew()
            except DATABASE_ERRORS as exc:
                log.warning("stream.leases_not_renewed", error=str(exc))
