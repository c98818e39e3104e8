"""The stream's write path: each frame encoded once and the same bytes on every socket,
written straight out while a socket keeps up, queued in order while it is behind.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db.pool import create_pool
from service.metrics import Metrics
from service.repo import events as log
from service.stream import frames
from service.stream.hub import Hub
from tests.api.test_invitations import invite, path_of
from tests.settings import with_changes
from tests.stream.rawws import RawSocket
from tests.stream.test_stream import (
    VIEWER,
    assert_consecutive,
    assert_patches_lead_to_the_log,
    metric,
    remove_participant,
    subscribed,
    topic_of,
    varied_report,
)
from tests.stream.wsclient import Frame, Streams
from tests.support import T0, Api, served


async def test_every_socket_gets_the_same_bytes_for_an_event_frame_uncompressed(
    api: Api,
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    token = await api.token(*VIEWER)
    sockets = [await RawSocket.open(api.base, token) for _ in range(3)]
    try:
        for raw in sockets:
            # Offered, but never taken: the same bytes cannot serve compressed sockets.
            assert "sec-websocket-extensions" not in raw.headers
            await raw.send_json({"type": "subscribe", "topic": topic})
            assert (await raw.text_frame()).json()["type"] == "snapshot"
        for index in range(3):
            reply = await api.submit(incident["id"], varied_report(index))
            assert reply.status == 201, reply.body
            got = [await raw.text_frame() for raw in sockets]
            assert len({frame.raw for frame in got}) == 1  # byte for byte the same
            first = got[0]
            assert first.fin
            assert first.rsv == 0  # not compressed
            assert not first.masked
            event = first.json()
            assert (event["type"], event["topic"], event["seq"]) == ("event", topic, 2 + index)
            assert frames.Frame(first.payload.decode()).wire == first.raw
    finally:
        for raw in sockets:
            await raw.close()


def test_a_frame_header_carries_the_payload_length_in_the_shortest_form() -> None:
    # RFC 6455 §5.2: 7 bits below 126, then 16 bits, then 64 bits; FIN and text always.
    assert frames.header_of(125) == bytes([0x81, 125])
    assert frames.header_of(126) == bytes([0x81, 126, 0, 126])
    assert frames.header_of(65535) == bytes([0x81, 126, 0xFF, 0xFF])
    assert frames.header_of(65536) == bytes([0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0])
    text = '{"type":"event","text":"Åtgärd på Öland"}'
    frame = frames.Frame(text)
    assert frame.wire == bytes([0x81, len(text.encode())]) + text.encode()
    assert frame.text == text


async def test_a_backed_up_socket_queues_frames_and_gets_every_one_in_order_when_it_reads(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    roomy = with_changes(
        settings,
        stream_queue_size=500,  # room for everything: this socket is behind, not lost
        stream_socket_send_buffer=4096,
        stream_send_timeout_seconds=60.0,
        stream_heartbeat_seconds=60.0,
    )
    async with (
        served(create_app(roomy, dsn=dsn, clock=clock), dsn) as api,
        Streams(api) as streams,
    ):
        incident = await api.activate()
        topic = topic_of(incident)
        behind = await RawSocket.open(api.base, await api.token(*VIEWER), receive_buffer=4096)
        try:
            await behind.send_json({"type": "subscribe", "topic": topic})
            assert (await behind.text_frame()).json()["type"] == "snapshot"
            viewer = await streams.open(*VIEWER)
            await subscribed(viewer, topic)

            # Reports of ~9 KB, in lockstep with the viewer that reads, until frames
            # queue for the one that does not; then a few more behind those.
            bulky = "Strömavbrott i stora delar av länet. " * 250
            received: list[Frame] = []
            extra = 5
            for index in range(300):
                reply = await api.submit(incident["id"], varied_report(index, situation=bulky))
                assert reply.status == 201, reply.body
                received += await viewer.events(1, topic)
                if await metric(api, "lagesbild_stream_frames_queued_total") >= 3:
                    extra -= 1
                    if extra == 0:
                        break
            else:
                raise AssertionError("frames never queued for the socket that does not read")
            assert await metric(api, "lagesbild_stream_slow_consumers_total") == 0

            # Reading at last, it gets every event, in order, the same as the other viewer.
            caught_up = [(await behind.text_frame()).json() for _ in received]
            assert [frame["seq"] for frame in caught_up] == list(range(2, 2 + len(received)))
            assert caught_up == received
            # And once it keeps up again, frames go straight out again.
            queued = await metric(api, "lagesbild_stream_frames_queued_total")
            reply = await api.submit(incident["id"], varied_report(1))
            assert reply.status == 201, reply.body
            assert (await behind.text_frame()).json()["seq"] == 2 + len(received)
            assert (await viewer.events(1, topic))[0]["seq"] == 2 + len(received)
            await asyncio.sleep(0)
            assert await metric(api, "lagesbild_stream_frames_queued_total") == queued
        finally:
            await behind.close()


async def test_events_read_together_go_to_each_socket_in_one_write_cut_where_access_changes(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    app = create_app(settings, dsn=dsn, clock=clock)
    async with served(app, dsn) as api, Streams(api) as streams:
        incident = await api.activate()
        topic = topic_of(incident)
        viewer = await streams.open(*VIEWER)
        removed = await streams.open("1442", "reporter")
        snapshot = await subscribed(viewer, topic)
        await subscribed(removed, topic)
        feed = await app[keys.hub].feed(uuid.UUID(incident["id"]))
        assert feed is not None
        writes = await metric(api, "lagesbild_stream_writes_total")
        sent = await metric(api, "lagesbild_stream_frames_sent_total")

        # While the hub cannot read the log, eight events are written: its next read
        # takes all of them at once, as when reports come faster than a fan-out.
        # (A timeout: should the report path ever wait for the hub, fail, not hang.)
        async with asyncio.timeout(30), feed.lock:
            for index in (0, 1, 2, 3):
                assert (await api.submit(incident["id"], varied_report(index))).status == 201
            await remove_participant(api, incident, "1442")
            for index in (5, 6, 8):  # not by 1442, no longer a participant
                assert (await api.submit(incident["id"], varied_report(index))).status == 201

        frames = await viewer.events(8, topic)
        assert_consecutive(frames, snapshot["seq"] + 1)
        kinds = [frame["event"]["kind"] for frame in frames]
        assert kinds == ["report.submitted"] * 4 + ["incident.updated"] + ["report.submitted"] * 3
        await assert_patches_lead_to_the_log(api, incident, snapshot["picture"], frames)
        before = await removed.events(4, topic)
        assert before == frames[:4]
        error = await removed.expect("error", topic)
        assert error["code"] == "forbidden"
        # The viewer: the four reports in one write, the update, the three reports in
        # one; the removed participant: the four reports in one write, then the error.
        assert await metric(api, "lagesbild_stream_writes_total") - writes == 3 + 2
        assert await metric(api, "lagesbild_stream_frames_sent_total") - sent == 8 + 5
        other = await api.activate(title="Annan händelse")
        await subscribed(removed, topic_of(other))
        assert (await api.submit(other["id"], varied_report(2))).status == 201
        next_frame = await removed.expect("event")
        assert next_frame["topic"] == topic_of(other), next_frame  # nothing more of the first


@pytest.mark.parametrize("way", ["token", "invitation link"])
async def test_a_report_written_here_is_fanned_out_without_reading_the_log_back(
    api: Api, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    """The events of a batch this process wrote go from the write to the hub as they
    were written, whichever way the report came; the picture they make is the one the
    log makes (patch by patch)."""
    incident = await api.activate()
    topic = topic_of(incident)
    link = path_of((await invite(api, incident["id"]))["link"])

    async def submit(index: int) -> Any:
        body = varied_report(index)
        if way == "token":
            return await api.submit(incident["id"], body)
        body["organisation"] = "1442"  # the link's
        return await api.call("POST", link + "/reports", json_body=body)

    async with Streams(api) as streams:
        viewer = await streams.open(*VIEWER)
        snapshot = await subscribed(viewer, topic)
        reads: list[int] = []
        read_log = log.since

        async def counted(conn: Any, incident_id: uuid.UUID, after: int, **kw: Any) -> Any:
            reads.append(after)
            return await read_log(conn, incident_id, after, **kw)

        monkeypatch.setattr(log, "since", counted)
        for index in range(4):
            reply = await submit(index)
            assert reply.status == 201, reply.body
        frames = await viewer.events(4, topic)
        monkeypatch.undo()

        assert reads == []
        assert_consecutive(frames, snapshot["seq"] + 1)
        assert [frame["event"]["kind"] for frame in frames] == ["report.submitted"] * 4
        await assert_patches_lead_to_the_log(api, incident, snapshot["picture"], frames)


async def test_a_report_written_while_the_hub_reads_the_log_comes_by_the_read(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    """While a read of the log is under way the hub does not fold beside it: the write
    asks for another read, which brings the event, once."""
    app = create_app(settings, dsn=dsn, clock=clock)
    async with served(app, dsn) as api, Streams(api) as streams:
        incident = await api.activate()
        topic = topic_of(incident)
        viewer = await streams.open(*VIEWER)
        snapshot = await subscribed(viewer, topic)
        feed = await app[keys.hub].feed(uuid.UUID(incident["id"]))
        assert feed is not None
        async with asyncio.timeout(30), feed.lock:
            assert (await api.submit(incident["id"], varied_report(0))).status == 201
            await asyncio.sleep(0.05)  # the hub has been told; nothing goes out yet
            assert feed.seq == snapshot["seq"]
        (frame,) = await viewer.events(1, topic)
        assert frame["seq"] == snapshot["seq"] + 1
        assert (await api.submit(incident["id"], varied_report(1))).status == 201
        (after,) = await viewer.events(1, topic)
        assert after["seq"] == snapshot["seq"] + 2


async def test_a_batchs_notification_keeps_the_incident_colon_seq_form(api: Api, dsn: str) -> None:
    """Every instance reads `<incident>:<seq>` (an older one during a rolling upgrade
    too): a batch of reports notifies in that form, like every other change."""
    incident = await api.activate()
    heard: asyncio.Queue[str] = asyncio.Queue()
    conn = await asyncpg.connect(dsn)
    try:
        await conn.add_listener(log.CHANNEL, lambda *args: heard.put_nowait(args[-1]))
        reply = await api.submit(incident["id"], varied_report(0))
        assert reply.status == 201
        async with asyncio.timeout(10):
            payload = await heard.get()
    finally:
        await conn.close()
    assert payload == f"{incident['id']}:2"  # the activation is 1


async def test_a_stopped_hub_starts_no_work_for_what_it_hears_after(dsn: str) -> None:
    """A write's hand-off (`written`) or a notification can arrive after the hub has
    stopped (the app shutting down): it starts no task, for nothing would cancel it."""
    pool = await create_pool(dsn, min_size=1, max_size=1)
    hub = Hub(pool, Settings(), Metrics(), FixedClock(T0))
    try:
        await hub.stop()
        before = asyncio.all_tasks()
        incident = uuid.uuid4()
        hub.notify(incident, 5)
        hub.writing(incident)
        hub.written(incident, None)
        hub.notify_all()
        started = asyncio.all_tasks() - before
    finally:
        await pool.close()
    assert started == set(), [task.get_name() for task in started]
