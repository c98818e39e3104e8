"""LISTEN for new events on a dedicated connection and tell the hub; reconnect if lost."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import structlog

from service.access import sessions
from service.metrics import Metrics
from service.repo import DATABASE_ERRORS, Conn
from service.repo.events import CHANNEL, notification
from service.repo.tokens import TOKEN_PAYLOAD_PREFIX
from service.stream.hub import Hub

log = structlog.get_logger(__name__)

# The listening connection is lost, or could not be made in time.
_LOST: tuple[type[Exception], ...] = (TimeoutError, *DATABASE_ERRORS)


class Listener:
    def __init__(self, dsn: str, hub: Hub, metrics: Metrics, *, check_every: float) -> None:
        self._dsn = dsn
        self._hub = hub
        self._metrics = metrics
        self._check_every = check_every
        self._conn: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def listening(self) -> bool:
        """Whether notifications can arrive now (for readiness)."""
        return self._conn is not None and not self._conn.is_closed() and not self._lost.is_set()

    async def start(self) -> None:
        await self._connect()
        self._tasks = [
            asyncio.create_task(self._supervise(), name="listener-supervisor"),
            asyncio.create_task(self._check(), name="listener-check"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(
            self._dsn, server_settings={"application_name": "lagesbild-listen"}
        )
        conn.add_termination_listener(self._on_terminated)
        await conn.add_listener(CHANNEL, self._on_notification)
        await conn.add_listener(sessions.CHANNEL, self._on_session_ended)
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
        try:
            incident, seq = notification(str(payload))
        except ValueError:
            log.warning("listener.bad_payload", payload=str(payload)[:100])
            return
        self._hub.notify(incident, seq)

    def _on_session_ended(
        self,
        _conn: asyncpg.Connection | asyncpg.pool.PoolConnectionProxy,
        _pid: int,
        _channel: str,
        payload: object,
    ) -> None:
        text = str(payload)
        try:
            if text.startswith(TOKEN_PAYLOAD_PREFIX):
                self._hub.end_tokens({int(text.removeprefix(TOKEN_PAYLOAD_PREFIX))})
            else:
                self._hub.end_sessions({int(text)})
        except ValueError:
            log.warning("listener.bad_payload", payload=str(payload)[:100])

    async def _check(self) -> None:
        """A connection can die without a word (a failover, a dropped NAT entry): ask it
        something now and then, and treat silence as a lost connection."""
        while True:
            await asyncio.sleep(self._check_every)
            conn = self._conn
            if conn is None or self._lost.is_set():
                continue
            try:
                async with asyncio.timeout(self._check_every):
                    await conn.fetchval("SELECT 1")
            except _LOST:
                log.warning("listener.check_failed")
                conn.terminate()
                self._lost.set()
                continue
            # Expired sessions end without a notification: look now and then.
            await self._recheck_sessions()

    async def _recheck_sessions(self) -> None:
        try:
            await self._hub.recheck_sessions()
        except _LOST as exc:
            log.warning("listener.session_check_failed", error=str(exc))

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
                await self._recheck_sessions()
                log.info("listener.reconnected")
                break
