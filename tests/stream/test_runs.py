"""Runs: frames that follow each other in one read of the log go to a socket in one
write, at most RUN_FRAMES and RUN_BYTES at a time; a socket that is behind queues them
one by one, in order; what was folded goes out even when a later step fails.

The hub and the connection are driven directly, with transports that record what is
written to them (tests/stream/test_write_path.py does the same over real sockets).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import deque
from collections.abc import Sequence
from typing import Any

import pytest

from service.access.principal import Principal
from service.clock import FixedClock
from service.config import Settings
from service.metrics import Metrics
from service.picture.checkpoints import is_checkpoint
from service.picture.fold import empty_picture
from service.stream import frames
from service.stream import hub as hub_module
from service.stream.connection import SLOW_CONSUMER, Connection, State
from service.stream.feed import Feed
from service.stream.hub import RUN_BYTES, RUN_FRAMES, Hub
from tests.settings import with_changes
from tests.stream.test_slow_peer import HIGH_WATER, Socket, Transport, backed_up


class Recording(Transport):
    """A transport that keeps every write."""

    def __init__(self, room: asyncio.Event) -> None:
        super().__init__(room)
        self.room = room
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        super().write(data)


def frame(number: int, size: int = 100) -> frames.Frame:
    return frames.Frame(json.dumps({"n": number, "text": "x" * size}))


def numbers(wire: bytes) -> list[int]:
    """The `n` of each frame in written bytes (headers as frames.header_of makes them)."""
    found = []
    while wire:
        length = wire[1] & 0x7F
        start = 2
        if length == 126:
            length, start = int.from_bytes(wire[2:4]), 4
        elif length == 127:
            length, start = int.from_bytes(wire[2:10]), 10
        found.append(json.loads(wire[start : start + length])["n"])
        wire = wire[start + length :]
    return found


def connection(settings: Settings) -> tuple[Connection, Recording]:
    room = asyncio.Event()
    transport = Recording(room)

    async def wait_for_room() -> None:
        await room.wait()

    conn = Connection(
        Socket(room),  # type: ignore[arg-type]
        Principal.described("6500", "county_board", "14", "viewer", person=True),
        settings,
        Metrics(),
        transport=transport,  # type: ignore[arg-type]
        wait_for_room=wait_for_room,
    )
    return conn, transport


def run_of(*frames_: frames.Frame) -> tuple[list[frames.Frame], bytes]:
    return list(frames_), b"".join(f.wire for f in frames_)


# -- a connection ------------------------------------------------------------------------


async def test_a_run_goes_to_a_socket_that_keeps_up_in_one_write(settings: Settings) -> None:
    conn, transport = connection(settings)
    assert conn.deliver_run(*run_of(frame(1), frame(2), frame(3))) == 3
    assert [numbers(wire) for wire in transport.writes] == [[1, 2, 3]]
    assert conn.queued == 0


async def test_a_run_to_a_socket_that_is_behind_queues_in_order_behind_what_waits(
    settings: Settings,
) -> None:
    conn, transport = connection(settings)
    while transport.buffered <= HIGH_WATER:  # the peer has fallen behind
        conn.send(frame(0, size=8000))
    conn.send(frame(0))  # this one waits in the queue, and the writer for room
    written = len(transport.writes)
    assert conn.deliver_run(*run_of(frame(1), frame(2), frame(3))) == 0
    assert conn.queued == 4  # the one that waited, then the run
    transport.buffered = 0  # the peer reads everything
    transport.room.set()
    for _ in range(10):  # the writer wakes and writes what waits (a few loop turns)
        await asyncio.sleep(0)
    assert conn.queued == 0
    assert [n for wire in transport.writes[written:] for n in numbers(wire)] == [0, 1, 2, 3]
    assert conn.state is State.OPEN


async def test_a_run_that_fills_the_queue_half_way_closes_the_socket_with_4008(
    settings: Settings,
) -> None:
    conn, _transport, socket = await backed_up(with_changes(settings, stream_queue_size=3))
    assert conn.deliver_run(*run_of(frame(1), frame(2), frame(3), frame(4))) == 0
    assert conn.queued <= 3
    assert conn.state is State.CLOSING
    await conn.finish()
    assert socket.close_code == SLOW_CONSUMER


# -- the hub -----------------------------------------------------------------------------


Journal = list[tuple[str, list[int]]]


class Viewer:
    """A subscriber as the fan-out sees it: it may follow, and keeps what it is given."""

    def __init__(self, journal: Journal) -> None:
        self.principal = Principal.described("6500", "county_board", "14", "viewer", person=True)
        self.journal = journal

    def deliver_run(self, run: Sequence[frames.Frame], wire: bytes) -> int:
        self.journal.append(("write", [json.loads(f.text)["seq"] for f in run]))
        assert wire == b"".join(f.wire for f in run)
        return len(run)


def hub_and_feed(
    settings: Settings, clock: FixedClock, viewers: int = 1
) -> tuple[Hub, Feed, Journal]:
    """A hub (no database: these tests only publish) and a feed with `viewers`
    subscribers that write what they are given, in order, into one journal."""
    hub = Hub(None, settings, Metrics(), clock)  # type: ignore[arg-type]
    feed = Feed(uuid.uuid4(), empty_picture(), deque(maxlen=100))
    feed.checked_access = feed.access
    journal: Journal = []
    feed.subscribers.update(Viewer(journal) for _ in range(viewers))  # type: ignore[misc]
    return hub, feed, journal


def event(seq: int, kind: str = "note.added", size: int = 100) -> dict[str, Any]:
    # A kind the fold does not know changes nothing but seq: the frame is what matters.
    return {
        "seq": seq,
        "kind": kind,
        "at": "2026-12-03T12:00:00+00:00",
        "actor": "1440",
        "data": {"text": "x" * size},
    }


async def test_events_read_together_go_out_in_runs_of_at_most_run_frames(
    settings: Settings, clock: FixedClock
) -> None:
    hub, feed, journal = hub_and_feed(settings, clock, viewers=2)
    hub._publish(feed, [event(seq) for seq in range(1, RUN_FRAMES + 2)])
    first = list(range(1, RUN_FRAMES + 1))
    assert journal == [("write", first)] * 2 + [("write", [RUN_FRAMES + 1])] * 2
    assert feed.seq == RUN_FRAMES + 1


async def test_a_run_ends_before_it_would_pass_run_bytes(
    settings: Settings, clock: FixedClock
) -> None:
    hub, feed, journal = hub_and_feed(settings, clock)
    big = RUN_BYTES // 3  # two fit in a run, a third does not
    hub._publish(feed, [event(seq, size=big) for seq in range(1, 6)])
    assert journal == [("write", [1, 2]), ("write", [3, 4]), ("write", [5])]


async def test_a_lifecycle_event_is_announced_after_its_frame_is_out(
    settings: Settings, clock: FixedClock
) -> None:
    hub, feed, journal = hub_and_feed(settings, clock)
    hub.on_lifecycle(lambda _incident: journal.append(("announced", [])))
    hub._publish(feed, [event(1), event(2, "incident.closed"), event(3)])
    assert journal == [("write", [1, 2]), ("announced", []), ("write", [3])]


async def test_what_was_folded_goes_out_when_a_later_step_fails(
    settings: Settings, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub, feed, journal = hub_and_feed(settings, clock)
    checkpoint = is_checkpoint

    def breaks_at_three(event: dict[str, Any], every: int) -> bool:
        if event["seq"] == 3:
            raise RuntimeError("a bug")
        return checkpoint(event, every)

    monkeypatch.setattr(hub_module, "is_checkpoint", breaks_at_three)
    with pytest.raises(RuntimeError):
        hub._publish(feed, [event(seq) for seq in range(1, 6)])
    # The feed is at 3 (the next read starts at 4): 1 to 3 must not be lost.
    assert feed.seq == 3
    assert journal == [("write", [1, 2, 3])]


async def test_what_is_heard_while_a_batch_is_written_waits_for_its_end_and_is_then_read(
    settings: Settings, clock: FixedClock
) -> None:
    """A notification heard during this process's own write is most likely that write's:
    it waits. When the write brings its events, nothing is read; what the events do not
    reach (another instance's change, heard meanwhile) is read then."""
    hub, feed, journal = hub_and_feed(settings, clock)
    hub._feeds[feed.incident_id] = feed
    reads: list[int] = []
    hub._schedule_catch_up = lambda f: reads.append(f.seq)  # type: ignore[method-assign, assignment]

    hub.writing(feed.incident_id)
    hub.notify(feed.incident_id, 2)  # the write's own notification
    assert reads == []
    hub.written(feed.incident_id, [event(1), event(2)])
    assert reads == []  # folded from the write, nothing to read
    assert journal == [("write", [1, 2])]

    hub.writing(feed.incident_id)
    hub.notify(feed.incident_id, 5)  # beyond what this write brings: another's change
    hub.written(feed.incident_id, [event(3)])
    assert feed.seq == 3
    assert reads == [3]  # read from 3 on: 4 and 5 come from the log

    hub.writing(feed.incident_id)
    hub.written(feed.incident_id, None)  # the database failed it: it may have committed
    assert reads == [3, 3]
