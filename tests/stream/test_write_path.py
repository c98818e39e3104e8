"""The stream's write path: each frame encoded once and the same bytes on every socket,
written straight out while a socket keeps up, queued in order while it is behind.
"""

from __future__ import annotations

import asyncio

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.stream import frames
from tests.settings import with_changes
from tests.stream.rawws import RawSocket
from tests.stream.test_stream import VIEWER, metric, subscribed, topic_of, varied_report
from tests.stream.wsclient import Frame, Streams
from tests.support import Api, served


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
