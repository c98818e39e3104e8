"""LISTEN for new events on a dedicated connection and tell the hub; reconnect if lost."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg
import structlog

from service.metrics import Metrics
from service.repo import Conn
from service.repo.events import CHANNEL
from service.stream.hub import Hub

log = structlog.get_logger(__name__)


class Listener:
    def __init__(self, dsn: str, hub: Hub, metrics: Metrics) -> None:
        self._dsn = dsn
        self._hub = hub
        self._metrics = metrics
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect()
        self._supervisor = asyncio.create_task(self._supervise(), name="listener-supervisor")

    async def stop(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "lagesbild-listen"}
        )
        conn.add_termination_listener(self._on_terminated)
        await conn.add_listener(CHANNEL, self._on_notification)
        self._conn = conn
        self._lost.clear()

    def _on_terminated(self, _conn: Conn) -> None:
        self._lost.set()

    def _on_notification(
        self,
        _conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
        _pid: int,
        _channel: str,
        payload: object,
    ) -> None:
        incident, _, seq = str(payload).partition(":")
        try:
            self._hub.notify(uuid.UUID(incident), int(seq))
        except ValueError:
            log.warning("listener.bad_payload", payload=str(payload)[:100])

    async def _supervise(self) -> None:
        delay = 0.2
        while True:
            await self._lost.wait()
            log.warning("listener.lost")
            while True:
                try:
                    await self._connect()
                except (OSError, asyncpg.PostgresError) as exc:
                    log.warning("listener.reconnect_failed", error=str(exc), retry_in=delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 10.0)
                    continue
                delay = 0.2
                self._metrics.listener_reconnects.inc()
                self._hub.notify_all()
                log.info("listener.reconnected")
                break
