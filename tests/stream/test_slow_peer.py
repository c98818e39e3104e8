"""When a peer is too slow: one that reads nothing of what waits for it for the send
timeout is closed with 4008; one that reads, however slowly, is not cut off for it."""

from __future__ import annotations

import asyncio

from service.access.principal import Principal
from service.config import Settings
from service.metrics import Metrics
from service.stream import frames
from service.stream.connection import SLOW_CONSUMER, Connection, State
from tests.settings import with_changes

HIGH_WATER = 64 * 1024


class Transport:
    """A transport whose buffer only the test drains: what the peer has read."""

    def __init__(self, room: asyncio.Event) -> None:
        self.buffered = 0
        self._room = room

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return (HIGH_WATER // 4, HIGH_WATER)

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def write(self, data: bytes) -> None:
        self.buffered += len(data)

    def is_closing(self) -> bool:
        return False

    def abort(self) -> None:
        self._room.set()


class Socket:
    """The WebSocket response, as far as a closing connection uses it."""

    closed = False

    def __init__(self, room: asyncio.Event) -> None:
        self.close_code: int | None = None
        self._room = room

    async def close(self, *, code: int, message: bytes) -> bool:
        self.close_code = code
        self.closed = True
        self._room.set()  # the transport closes behind the close frame: the writer wakes
        return True


async def backed_up(settings: Settings) -> tuple[Connection, Transport, Socket]:
    """A connection whose peer has fallen behind: frames queue, the writer waits."""
    room = asyncio.Event()
    transport, socket = Transport(room), Socket(room)

    async def wait_for_room() -> None:
        await room.wait()

    conn = Connection(
        socket,  # type: ignore[arg-type]
        Principal.described("6500", "county_board", "14", "viewer", person=True),
        with_changes(settings, stream_send_timeout_seconds=3.0),
        Metrics(),
        transport=transport,  # type: ignore[arg-type]
        wait_for_room=wait_for_room,
    )
    frame = frames.Frame('{"type":"event","text":"' + "x" * 8000 + '"}')
    while transport.buffered <= HIGH_WATER:
        conn.send(frame)
    conn.send(frame)  # this one waits in the queue, and the writer for room
    await asyncio.sleep(0)
    assert conn.queued == 1
    return conn, transport, socket


async def test_a_peer_that_reads_nothing_for_the_send_timeout_is_closed_with_4008(
    settings: Settings,
) -> None:
    conn, _, socket = await backed_up(settings)
    now = asyncio.get_running_loop().time()

    conn.check_send(now + 2.9)
    assert conn.state is State.OPEN
    conn.check_send(now + 3.1)
    await conn.finish()

    assert socket.close_code == SLOW_CONSUMER


async def test_a_peer_that_reads_slowly_is_not_closed_however_long_it_takes(
    settings: Settings,
) -> None:
    conn, transport, socket = await backed_up(settings)
    now = asyncio.get_running_loop().time()

    # A phone taking in a large snapshot: a few kilobytes a second, for a minute.
    for second in range(1, 61):
        transport.buffered -= 1000
        conn.check_send(now + second)
    assert conn.state is State.OPEN
    # Then it stops reading: closed one send timeout after the last it read.
    conn.check_send(now + 63.5)
    await conn.finish()

    assert socket.close_code == SLOW_CONSUMER
