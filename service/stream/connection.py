"""One stream socket: a bounded outbound queue drained by one writer task.

Nothing ever awaits a socket on behalf of another: the hub puts each frame (text made
once) into every subscriber's queue without waiting. A socket whose queue is full, or
whose send does not finish within the send timeout, is closed with 4008 and may
reconnect with `since`; the server's memory never grows for a slow client.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import uuid
from collections.abc import Callable

import structlog
from aiohttp import WSCloseCode, web

from service.access.principal import Principal
from service.config import Settings
from service.metrics import Metrics

log = structlog.get_logger(__name__)

SLOW_CONSUMER = 4008
# The web session behind the socket ended (log-out, user removed): log in again.
SESSION_ENDED = 4001
_ids = itertools.count(1)


class State(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


class Connection:
    def __init__(
        self,
        ws: web.WebSocketResponse,
        principal: Principal,
        settings: Settings,
        metrics: Metrics,
        abort: Callable[[], None],
    ) -> None:
        self.id = f"c{next(_ids)}"
        self.ws = ws
        self.principal = principal
        self.state = State.OPEN
        # None is the `incidents` topic, "national" the `national` topic.
        self.topics: set[uuid.UUID | str | None] = set()
        self._settings = settings
        self._metrics = metrics
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=settings.stream_queue_size)
        self._writer: asyncio.Task[None] | None = None
        self._abort = abort  # drops the TCP connection at once
        self._send_since: float | None = None  # loop time the send in flight began
        self._closer: asyncio.Task[None] | None = None

    @property
    def room(self) -> int:
        """How many more frames the outbound queue takes before the socket is too slow."""
        return self._queue.maxsize - self._queue.qsize()

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name=f"stream-writer-{self.id}")

    def send(self, frame: str) -> None:
        """Queue a frame without waiting. A full queue closes the socket with 4008."""
        if self.state is not State.OPEN:
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            self._too_slow("outbound queue full")

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while self.state is State.OPEN:
            frame = await self._queue.get()
            if self.state is not State.OPEN:
                break
            # A send in progress is never cancelled (aiohttp cannot close cleanly after a
            # cancelled drain); `check_send` notices one that takes too long instead.
            self._send_since = loop.time()
            try:
                await self.ws.send_str(frame)
            except ConnectionError:
                break
            finally:
                self._send_since = None
            self._metrics.stream_frames_sent.inc()

    def check_send(self, now: float) -> None:
        """Called now and then by the hub: a send that has waited past the send timeout
        for the peer to read means the peer is too slow."""
        since = self._send_since
        if since is not None and now - since > self._settings.stream_send_timeout_seconds:
            self._too_slow("send timed out")

    def _too_slow(self, why: str) -> None:
        log.info("stream.slow_consumer", conn_id=self.id, why=why)
        self._metrics.stream_slow_consumers.inc()
        self.close_soon(SLOW_CONSUMER, "too slow: reconnect with since")

    def close_soon(self, code: int, message: str) -> None:
        """Stop writing and close the socket with `code`, from synchronous code."""
        if self.state is not State.OPEN:
            return
        self.state = State.CLOSING
        self._closer = asyncio.create_task(
            self.close(code, message), name=f"stream-close-{self.id}"
        )

    async def close(self, code: int = WSCloseCode.GOING_AWAY, message: str = "") -> None:
        """Stop writing, then send the close frame behind what is already on its way.

        A peer that does not take the frame in flight, or the close frame, within the
        send timeout is cut off at once: that frees the buffers and the socket, where a
        plain close would wait forever for a flush.
        """
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSING
        timeout = self._settings.stream_send_timeout_seconds
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task() and not writer.done():
            if self._send_since is None:
                writer.cancel()  # idle, waiting for the queue: nothing in flight to spoil
            done, _ = await asyncio.wait({writer}, timeout=timeout)
            if not done:
                self._abort()
                await asyncio.wait({writer})
                self.state = State.CLOSED
                return
        closing = asyncio.create_task(self.ws.close(code=code, message=message.encode()))
        finished, _ = await asyncio.wait({closing}, timeout=timeout)
        if not (closing in finished and not closing.cancelled() and closing.exception() is None):
            self._abort()
            closing.cancel()
            await asyncio.wait({closing})
        self.state = State.CLOSED

    async def finish(self) -> None:
        """After the reader loop ends: make sure the writer and any closer are done."""
        if self._closer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._closer
        if self.state is State.OPEN:
            await self.close(WSCloseCode.OK)
        self.state = State.CLOSED
