"""One stream socket: frames written straight to its transport, a bounded queue when
the peer falls behind.

Every frame is encoded once (`frames.Frame`: header and payload, the same bytes for
every socket). The hub hands it to each subscriber without waiting. While the socket's
transport buffer is at or under its high-water mark and nothing is queued, the bytes go
straight to the transport: no task, no wake-up. Above the mark, frames wait in a
bounded queue that one writer task (started then, ended once the queue is empty)
writes out as the peer reads. A full queue, or a peer that has read nothing of what
waits for it for the send timeout, closes the socket with 4008; it may reconnect with
`since`, and the server's memory never grows for a slow client. A peer that reads,
however slowly (a phone taking in a large snapshot), is not cut off for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiohttp import WSCloseCode, web

from service.access.principal import Principal
from service.config import Settings
from service.metrics import Metrics
from service.stream.frames import Frame

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
        *,
        transport: asyncio.Transport,
        wait_for_room: Callable[[], Awaitable[None]],
    ) -> None:
        self.id = f"c{next(_ids)}"
        self.ws = ws
        self.principal = principal
        self.state = State.OPEN
        # None is the `incidents` topic, "national" the `national` topic.
        self.topics: set[uuid.UUID | str | None] = set()
        self._settings = settings
        self._metrics = metrics
        self._transport = transport
        self._high_water = transport.get_write_buffer_limits()[1]
        # Returns once the transport buffer is down to its low-water mark (or at once).
        self._wait_for_room = wait_for_room
        self._queue: deque[Frame] = deque()
        self._most = settings.stream_queue_size
        self._writer: asyncio.Task[None] | None = None
        # While the writer waits for room: the loop time the peer last read something,
        # and the transport's buffer then (while it waits nothing is added to it, so
        # any less is the peer reading).
        self._send_since: float | None = None
        self._buffered = 0
        self._closer: asyncio.Task[None] | None = None

    @property
    def room(self) -> int:
        """How many more frames the outbound queue takes before the socket is too slow."""
        return self._most - len(self._queue)

    @property
    def queued(self) -> int:
        """Frames waiting for the peer to read (0 while it keeps up)."""
        return len(self._queue)

    def send(self, frame: Frame) -> None:
        """Hand a frame over without waiting, and count it."""
        if self.deliver(frame):
            self._metrics.stream_frames_sent.inc()
            self._metrics.stream_writes.inc()

    def deliver(self, frame: Frame) -> bool:
        """Hand a frame over without waiting: True when it went straight to the
        transport (`send` counts it), False when it was queued (counted as the writer
        writes it) or the socket is ending. A full queue closes the socket with 4008."""
        return self.deliver_run((frame,), frame.wire) == 1

    def deliver_run(self, run: Sequence[Frame], wire: bytes) -> int:
        """Hand over frames that follow each other (`wire`: their bytes, joined) without
        waiting: one write for all of them while the peer keeps up, each to the queue
        otherwise, in order behind what waits there. Returns how many went straight to
        the transport (the hub counts those, once for all sockets)."""
        if self.state is not State.OPEN:
            return 0
        transport = self._transport
        if not self._queue and transport.get_write_buffer_size() <= self._high_water:
            if transport.is_closing() or self.ws.closed:
                return 0  # the socket is ending; the reader loop notices
            transport.write(wire)
            return len(run)
        for frame in run:
            if len(self._queue) >= self._most:
                self._too_slow("outbound queue full")
                return 0
            self._queue.append(frame)
            self._metrics.stream_frames_queued.inc()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queue(), name=f"stream-writer-{self.id}")
        return 0

    async def _write_queue(self) -> None:
        """Write what is queued as the peer makes room; end when nothing is left."""
        loop = asyncio.get_running_loop()
        transport = self._transport
        while self._queue and self.state is State.OPEN:
            if transport.get_write_buffer_size() > self._high_water:
                self._buffered = transport.get_write_buffer_size()
                self._send_since = loop.time()
                try:
                    await self._wait_for_room()
                except ConnectionError:
                    return
                finally:
                    self._send_since = None
                if self.state is not State.OPEN:
                    return
            if transport.is_closing() or self.ws.closed:
                return
            # At least one frame after each wait, then until the buffer is full again.
            written = 0
            while self._queue:
                transport.write(self._queue.popleft().wire)
                written += 1
                if transport.get_write_buffer_size() > self._high_water:
                    break
            self._metrics.stream_frames_sent.inc(written)
            self._metrics.stream_writes.inc(written)

    def check_send(self, now: float) -> None:
        """Called now and then by the hub: a peer that has read nothing for the send
        timeout while frames wait for it is too slow. One that has read some since the
        last look starts the timeout again."""
        since = self._send_since
        if since is None:
            return
        buffered = self._transport.get_write_buffer_size()
        if buffered < self._buffered:
            self._buffered = buffered
            self._send_since = now
        elif now - since > self._settings.stream_send_timeout_seconds:
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
        """Drop what is queued, then send the close frame behind what is already written.

        A peer that does not take the close frame within the send timeout is cut off at
        once: that frees the buffers and the socket, where a plain close would wait
        forever for a flush.
        """
        if self.state is State.CLOSED:
            return
        self.state = State.CLOSING
        self._queue.clear()
        timeout = self._settings.stream_send_timeout_seconds
        closing = asyncio.create_task(self.ws.close(code=code, message=message.encode()))
        finished, _ = await asyncio.wait({closing}, timeout=timeout)
        if not (closing in finished and not closing.cancelled() and closing.exception() is None):
            self._transport.abort()
            closing.cancel()
            await asyncio.wait({closing})
        writer = self._writer
        if writer is not None and writer is not asyncio.current_task() and not writer.done():
            # It waits for room: the closed (or aborted) transport wakes it.
            done, _ = await asyncio.wait({writer}, timeout=timeout)
            if not done:
                self._transport.abort()
                await asyncio.wait({writer})
        self.state = State.CLOSED

    async def finish(self) -> None:
        """After the reader loop ends: make sure the writer and any closer are done."""
        if self._closer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._closer
        if self.state is State.OPEN:
            await self.close(WSCloseCode.OK)
        self.state = State.CLOSED
