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

from service.auth import Principal
from service.config import Settings
from service.metrics import Metrics

log = structlog.get_logger(__name__)

SLOW_CONSUMER = 4008
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
        self.topics: set[uuid.UUID | None] = set()  # None is the `incidents` topic
        self._settings = settings
        self._metrics = metrics
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=settings.stream_queue_size)
        self._writer: asyncio.Task[None] | None = None
        self._abort = abort  # drops the TCP connection at once
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
        timeout = self._settings.stream_send_timeout_seconds
        while True:
            frame = await self._queue.get()
            try:
                # asyncio.timeout, not wait_for: no extra task per frame on the hot path.
                async with asyncio.timeout(timeout):
                    await self.ws.send_str(frame)
            except TimeoutError:
                self._too_slow("send timed out")
                return
            except ConnectionError:
                return
            self._metrics.stream_frames_sent.inc()

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
        self.state = State.CLOSING
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task():
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        try:
            # The close frame goes behind what is already buffered; a peer that has not
            # read it by the timeout is cut off, which frees the buffers and the socket.
            async with asyncio.timeout(self._settings.stream_send_timeout_seconds):
                await self.ws.close(code=code, message=message.encode())
        except TimeoutError:
            self._abort()
        except (ConnectionError, RuntimeError):
            pass
        self.state = State.CLOSED

    async def finish(self) -> None:
        """After the reader loop ends: make sure the writer and any closer are done."""
        if self._closer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._closer
        if self.state is State.OPEN:
            await self.close(WSCloseCode.OK)
        self.state = State.CLOSED
