"""A TCP proxy on loopback that misbehaves on purpose, the same way every run (seeded).

    proxy = FaultProxy(target_port, seed=7, drop_responses=0.1)
    port = await proxy.start()        # clients connect to 127.0.0.1:port
    ...
    proxy.cut_all()                   # every open connection reset, both sides
    proxy.freeze()                    # a dead link: nothing passes, nothing closes
    proxy.retarget(other_port)        # new connections go elsewhere (a restarted service)
    await proxy.close()

- **Dropped responses**: a response's first bytes are, with probability `drop_responses`,
  not forwarded; both connections are reset instead. The request reached the service in
  full (it answered), so the client sees a lost answer to a request that took effect.
- **Cuts**: `cut_all()` resets every open connection at once; `cut_connections`, a
  probability per forwarded chunk, cuts one at a random point of its life.
- **Delay**: every forwarded chunk waits `delay` seconds (order is kept).
- **Stall**: `stall()` stops reading what the service sends (a viewer that stopped
  reading); what the client sends still passes.
- **Freeze**: `freeze()` keeps every connection open but forwards nothing in either
  direction (bytes are read and discarded, like packets lost on a dead link, no FIN); a
  side that closes is noticed (`closed_while_frozen`), which is how the service's
  heartbeat detecting a dead peer is seen from outside.

Only 127.0.0.1 is listened on and only 127.0.0.1 is connected to.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
CHUNK = 64 * 1024


@dataclass
class ProxyCounts:
    connections: int = 0
    responses: int = 0
    dropped_responses: int = 0
    cuts: int = 0
    refused: int = 0  # the service was not there: the client's connection was reset


@dataclass(eq=False)
class _Link:
    client_reader: asyncio.StreamReader
    client_writer: asyncio.StreamWriter
    upstream_writer: asyncio.StreamWriter | None = None
    frozen: bool = False
    awaiting_response: bool = False  # the client sent bytes the service has not answered yet
    closed_at: float | None = None  # loop time either side ended
    flowing: asyncio.Event = field(default_factory=asyncio.Event)  # cleared: stalled
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def abort(self) -> None:
        for writer in (self.client_writer, self.upstream_writer):
            if writer is not None:
                writer.transport.abort()


class FaultProxy:
    def __init__(
        self,
        target_port: int,
        *,
        seed: int,
        drop_responses: float = 0.0,
        cut_connections: float = 0.0,
        delay: float = 0.0,
        receive_buffer: int | None = None,
    ) -> None:
        self.target_port = target_port
        self.receive_buffer = receive_buffer
        self.drop_responses = drop_responses
        self.cut_connections = cut_connections
        self.delay = delay
        self.counts = ProxyCounts()
        self._rng = random.Random(seed)
        self._links: set[_Link] = set()
        self._server: asyncio.Server | None = None
        self._frozen_at: float | None = None
        self.closed_while_frozen: list[float] = []  # seconds from freeze() to a side ending

    async def start(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, port)
        found: int = self._server.sockets[0].getsockname()[1]
        return found

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.cut_all(count=False)
        tasks = [task for link in list(self._links) for task in link.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def retarget(self, port: int) -> None:
        """New connections go to `port`; open ones stay where they are."""
        self.target_port = port

    def cut_all(self, *, count: bool = True) -> int:
        """Reset every open connection, both sides; how many there were."""
        links = list(self._links)
        for link in links:
            link.abort()
        if count:
            self.counts.cuts += len(links)
        return len(links)

    def freeze(self) -> None:
        """From now on nothing passes in either direction and nothing is closed."""
        self._frozen_at = asyncio.get_running_loop().time()
        for link in self._links:
            link.frozen = True

    def stall(self) -> None:
        """Stop reading what the service sends on every open connection: a client that
        has stopped reading, as seen by the service (its send buffer fills)."""
        for link in self._links:
            link.flowing.clear()

    @property
    def open_connections(self) -> int:
        return len(self._links)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(reader, writer, frozen=self._frozen_at is not None)
        link.flowing.set()
        self.counts.connections += 1
        try:
            upstream_reader, upstream_writer = await self._connect()
        except OSError:
            self.counts.refused += 1
            writer.transport.abort()
            return
        link.upstream_writer = upstream_writer
        self._links.add(link)
        to_service = asyncio.create_task(self._pump(link, reader, upstream_writer, upstream=True))
        to_client = asyncio.create_task(self._pump(link, upstream_reader, writer, upstream=False))
        link.tasks = [to_service, to_client]
        try:
            await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass  # the loop is ending: the links are closed below either way
        finally:
            self._ended(link)
            link.abort()
            for task in link.tasks:
                task.cancel()
            await asyncio.gather(*link.tasks, return_exceptions=True)
            self._links.discard(link)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to the service; with `receive_buffer`, a small window, so that a
        stalled link backs up to the service at once."""
        if self.receive_buffer is None:
            return await asyncio.open_connection(LOOPBACK, self.target_port)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (LOOPBACK, self.target_port))
        except OSError:
            sock.close()
            raise
        return await asyncio.open_connection(sock=sock)

    def _ended(self, link: _Link) -> None:
        if link.frozen and self._frozen_at is not None and link.closed_at is None:
            link.closed_at = asyncio.get_running_loop().time()
            self.closed_while_frozen.append(link.closed_at - self._frozen_at)

    async def _pump(
        self,
        link: _Link,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        upstream: bool,
    ) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                if not upstream:
                    await link.flowing.wait()
                data = await reader.read(CHUNK)
                if not data:
                    if not link.frozen:
                        with contextlib.suppress(OSError):
                            writer.write_eof()
                    return
                if link.frozen:
                    continue  # lost on the dead link
                if upstream:
                    link.awaiting_response = True
                elif link.awaiting_response:
                    link.awaiting_response = False
                    self.counts.responses += 1
                    if self._rng.random() < self.drop_responses:
                        self.counts.dropped_responses += 1
                        link.abort()
                        return
                if self.cut_connections and self._rng.random() < self.cut_connections:
                    self.counts.cuts += 1
                    link.abort()
                    return
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(data)
                await writer.drain()
