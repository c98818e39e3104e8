"""The live stream over real sockets: snapshots, events with patches, resume, limits.

Each test drives the real app from `create_app` on a real socket and checks what
docs/design.md ("The stream") promises: per topic, `seq` in order with no gaps, each
`patch` turning the picture at `seq - 1` into the picture at `seq`, exact replay
after `since`, and a slow client cut off with 4008 without holding anyone up.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from typing import Any

import aiohttp
import asyncpg
import pytest
import websockets.asyncio.client
import websockets.exceptions
from aiohttp import WSCloseCode, web
from aiohttp.test_utils import TestServer

from schemas.common import Role
from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.picture.merge_patch import merge
from tests.settings import with_changes
from tests.stream.wsclient import FRAME_TIMEOUT, Frame, StreamClient, Streams, stream_url
from tests.support import PARTICIPANTS, Api, assert_problem, report, served

VIEWER: tuple[str, Role] = ("LST-14", "viewer")
IMPACT_LEVELS = ["none", "moderate", "significant", "serious", "critical"]
TRENDS = ["improving", "stable", "worsening"]


def topic_of(incident: dict[str, Any]) -> str:
    return f"incident:{incident['id']}"


def varied_report(index: int, *, situation: str | None = None) -> dict[str, Any]:
    """A report that changes something in the picture: sectors, trend and needs vary."""
    return report(
        PARTICIPANTS[index % len(PARTICIPANTS)],
        situation=situation if situation is not None else f"Läge nummer {index}",
        development={"trend": TRENDS[index % len(TRENDS)], "text": ""},
        sectors=[
            {"sector": "energy", "status": IMPACT_LEVELS[index % len(IMPACT_LEVELS)]},
            {"sector": "water", "status": IMPACT_LEVELS[(index * 3) % len(IMPACT_LEVELS)]},
        ],
        needs=[{"need_id": f"n{index % 3}", "text": "Reservkraft", "urgency": "high"}]
        if index % 2 == 0
        else [],
    )


async def submit_reports(api: Api, incident: dict[str, Any], count: int, start: int = 0) -> None:
    for index in range(start, start + count):
        reply = await api.submit(incident["id"], varied_report(index))
        assert reply.status == 201, reply.body


async def picture_at(api: Api, incident: dict[str, Any], seq: int | None = None) -> Frame:
    query = "" if seq is None else f"?seq={seq}"
    reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}/picture{query}", as_=VIEWER)
    assert reply.status == 200, reply.body
    picture: Frame = reply.body
    return picture


def assert_consecutive(frames: list[Frame], first: int) -> None:
    assert [frame["seq"] for frame in frames] == list(range(first, first + len(frames)))


async def assert_patches_lead_to_the_log(
    api: Api, incident: dict[str, Any], picture: Frame, frames: list[Frame]
) -> Frame:
    """Apply each frame's patch in turn; each result is exactly the log's picture at that seq."""
    for frame in frames:
        picture = merge(picture, frame["patch"])
        assert picture["seq"] == frame["seq"]
        assert picture == await picture_at(api, incident, frame["seq"]), frame["seq"]
    return picture


async def remove_participant(api: Api, incident: dict[str, Any], code: str) -> None:
    """The duty officer takes `code` off the incident's participants."""
    reply = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=("LST-14", "duty_officer"),
        json_body={"participants": [other for other in PARTICIPANTS if other != code]},
    )
    assert reply.status == 200, reply.body


async def subscribed(client: StreamClient, topic: str) -> Frame:
    """Subscribe without `since`; the snapshot that starts the subscription."""
    await client.subscribe(topic)
    snapshot = await client.expect("snapshot", topic)
    assert isinstance(snapshot["seq"], int)
    assert snapshot["picture"]["seq"] == snapshot["seq"]
    return snapshot


async def metric(api: Api, name: str) -> float:
    reply = await api.call("GET", "/metrics")
    assert reply.status == 200
    for line in str(reply.body).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"no metric {name}")


# -- snapshot and events -----------------------------------------------------------------


async def test_subscriber_gets_snapshot_then_each_event_with_its_patch_in_seq_order(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    viewer = await streams.open(*VIEWER)

    snapshot = await subscribed(viewer, topic)
    assert snapshot["seq"] == 1
    assert snapshot["picture"] == await picture_at(api, incident)

    await submit_reports(api, incident, 4)
    reply = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=("LST-14", "duty_officer"),
        json_body={"severity": "very_high"},
    )
    assert reply.status == 200, reply.body
    await submit_reports(api, incident, 3, start=4)

    frames = await viewer.events(8, topic)
    assert_consecutive(frames, 2)
    kinds = [frame["event"]["kind"] for frame in frames]
    assert kinds == ["report.submitted"] * 4 + ["incident.updated"] + ["report.submitted"] * 3
    assert frames[0]["event"]["data"]["report"]["organisation"] == PARTICIPANTS[0]
    assert set(frames[0]["event"]) == {"kind", "at", "actor", "data"}
    final = await assert_patches_lead_to_the_log(api, incident, snapshot["picture"], frames)
    assert final["incident"]["severity"] == "very_high"
    assert final == await picture_at(api, incident)


# -- resume with since ----------------------------------------------------------------------


async def _snapshot_then_leave(streams: Streams, topic: str) -> Frame:
    client = await streams.open(*VIEWER)
    snapshot = await subscribed(client, topic)
    await client.ws.close()
    return snapshot


@pytest.mark.parametrize(
    "missed",
    [
        pytest.param(5, id="a-few"),
        pytest.param(50, id="as-many-as-the-replay-limit"),  # stream_replay_limit=50 in settings
    ],
)
async def test_resume_with_since_replays_exactly_the_missed_events(
    api: Api, streams: Streams, missed: int
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    await submit_reports(api, incident, 3)
    snapshot = await _snapshot_then_leave(streams, topic)
    seen = snapshot["seq"]
    assert seen == 4

    await submit_reports(api, incident, missed, start=3)
    back = await streams.open(*VIEWER)
    await back.subscribe(topic, since=seen)
    replayed = await back.events(missed, topic)
    assert_consecutive(replayed, seen + 1)
    picture = await assert_patches_lead_to_the_log(api, incident, snapshot["picture"], replayed)

    await submit_reports(api, incident, 2, start=3 + missed)
    live = await back.events(2, topic)
    assert_consecutive(live, seen + missed + 1)
    picture = await assert_patches_lead_to_the_log(api, incident, picture, live)
    assert picture == await picture_at(api, incident)


async def test_resume_on_a_freshly_started_instance_replays_from_its_rebuilt_ring(
    api: Api, streams: Streams, settings: Settings, dsn: str, clock: FixedClock
) -> None:
    # After a restart every wall screen comes back with `since`; the new instance has
    # folded the log at start and answers from memory, exactly as the old one would.
    incident = await api.activate()
    topic = topic_of(incident)
    await submit_reports(api, incident, 3)
    snapshot = await _snapshot_then_leave(streams, topic)
    seen = snapshot["seq"]
    await submit_reports(api, incident, 20, start=3)

    async with (
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as restarted,
        Streams(restarted) as fresh_streams,
    ):
        back = await fresh_streams.open(*VIEWER)
        await back.subscribe(topic, since=seen)
        replayed = await back.events(20, topic)
        assert_consecutive(replayed, seen + 1)
        picture = await assert_patches_lead_to_the_log(
            restarted, incident, snapshot["picture"], replayed
        )
        assert picture == await picture_at(restarted, incident)


async def test_resume_at_the_latest_seq_replays_nothing_and_continues_live(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    snapshot = await _snapshot_then_leave(streams, topic)

    back = await streams.open(*VIEWER)
    await back.subscribe(topic, since=snapshot["seq"])
    await submit_reports(api, incident, 1)
    (frame,) = await back.events(1, topic)
    assert frame["seq"] == snapshot["seq"] + 1


async def test_since_older_than_replay_limit_gets_a_fresh_snapshot(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    snapshot = await _snapshot_then_leave(streams, topic)

    await submit_reports(api, incident, 51)  # stream_replay_limit=50 in the test settings
    back = await streams.open(*VIEWER)
    await back.subscribe(topic, since=snapshot["seq"])
    fresh = await back.next_frame()
    assert fresh["type"] == "snapshot", fresh  # nothing replayed before it
    assert fresh["seq"] == snapshot["seq"] + 51
    assert fresh["picture"] == await picture_at(api, incident)

    await submit_reports(api, incident, 1, start=51)
    (frame,) = await back.events(1, topic)
    assert frame["seq"] == fresh["seq"] + 1
    assert merge(fresh["picture"], frame["patch"]) == await picture_at(api, incident)


async def test_resume_missing_more_than_the_socket_queue_holds_gets_a_snapshot_not_4008(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    # Within stream_replay_limit=50, but more frames than one socket may have queued:
    # replaying them would close the socket with 4008, and every reconnect the same way.
    small = with_changes(settings, stream_queue_size=8)
    async with (
        served(create_app(small, dsn=dsn, clock=clock), dsn) as api,
        Streams(api) as streams,
    ):
        incident = await api.activate()
        topic = topic_of(incident)
        snapshot = await _snapshot_then_leave(streams, topic)

        await submit_reports(api, incident, 20)
        back = await streams.open(*VIEWER)
        await back.subscribe(topic, since=snapshot["seq"])
        fresh = await back.next_frame()
        assert fresh["type"] == "snapshot", fresh
        assert fresh["seq"] == snapshot["seq"] + 20
        assert fresh["picture"] == await picture_at(api, incident)

        await submit_reports(api, incident, 1, start=20)
        (frame,) = await back.events(1, topic)
        assert frame["seq"] == fresh["seq"] + 1


async def test_since_ahead_of_the_log_gets_resync_error_and_snapshot(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    await submit_reports(api, incident, 2)
    viewer = await streams.open(*VIEWER)

    await viewer.subscribe(topic, since=40)
    error = await viewer.expect("error", topic)
    assert error["code"] == "resync"
    assert error["message"]
    snapshot = await viewer.expect("snapshot", topic)
    assert snapshot["seq"] == 3
    assert snapshot["picture"] == await picture_at(api, incident)

    await submit_reports(api, incident, 1, start=2)
    (frame,) = await viewer.events(1, topic)
    assert frame["seq"] == 4


# -- slow consumers ---------------------------------------------------------------------------


async def _connect_slow_client(url: str, token: str) -> websockets.asyncio.client.ClientConnection:
    """A socket with a small receive buffer that reads nothing unless told to."""
    host, port = url.removeprefix("ws://").split("/", 1)[0].rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: sets the window
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        return await websockets.asyncio.client.connect(
            url,
            sock=sock,
            additional_headers={"Authorization": f"Bearer {token}"},
            max_size=None,
            max_queue=1,  # stop reading from the socket after one unread message
        )
    except BaseException:
        sock.close()
        raise


async def _read_until_closed(
    client: websockets.asyncio.client.ClientConnection,
) -> tuple[list[int], websockets.exceptions.ConnectionClosed]:
    """The seqs of the event frames a client reads before the socket closes, and the close."""
    seqs: list[int] = []
    while True:
        try:
            frame = await asyncio.wait_for(client.recv(), FRAME_TIMEOUT)
        except websockets.exceptions.ConnectionClosed as closed:
            return seqs, closed
        seqs.append(int(json.loads(frame)["seq"]))


async def test_slow_consumer_is_closed_with_4008_while_another_viewer_keeps_receiving(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    tight = with_changes(
        settings,
        stream_queue_size=4,
        stream_socket_send_buffer=4096,
        # Long enough that only the full queue, not a send timeout, can cut it off.
        stream_send_timeout_seconds=10.0,
        stream_heartbeat_seconds=60.0,  # no ping may close the slow client first
    )
    async with (
        served(create_app(tight, dsn=dsn, clock=clock), dsn) as api,
        Streams(api) as streams,
    ):
        incident = await api.activate()
        topic = topic_of(incident)
        url = stream_url(api.base)
        slow = await _connect_slow_client(url, await api.token(*VIEWER))
        try:
            await slow.send(json.dumps({"type": "subscribe", "topic": topic}))
            first = json.loads(await asyncio.wait_for(slow.recv(), FRAME_TIMEOUT))
            assert first["type"] == "snapshot", first
            viewer = await streams.open(*VIEWER)
            await subscribed(viewer, topic)

            # Reports of ~9 KB each, in lockstep with the viewer, until the slow one is cut off.
            bulky = "Strömavbrott i stora delar av länet. " * 250
            received: list[Frame] = []
            for index in range(200):
                reply = await api.submit(incident["id"], varied_report(index, situation=bulky))
                assert reply.status == 201, reply.body
                received += await viewer.events(1, topic)
                if await metric(api, "lagesbild_stream_slow_consumers_total") >= 1:
                    break
            else:
                raise AssertionError("the slow consumer was never cut off")
            cut_off_at = len(received)
            assert cut_off_at > 4  # it was the full queue, not the first frame, that did it

            # The other viewer goes on, without a gap.
            reply = await api.submit(incident["id"], varied_report(0))
            assert reply.status == 201, reply.body
            received += await viewer.events(1, topic)
            assert_consecutive(received, 2)

            # The slow client, reading at last, finds a prefix of the events, then 4008.
            seqs, closed = await _read_until_closed(slow)
            assert closed.rcvd is not None, "no close frame came"
            assert closed.rcvd.code == 4008
            assert seqs == list(range(2, 2 + len(seqs)))
            assert len(seqs) < len(received)
        finally:
            await slow.close()
        assert await metric(api, "lagesbild_stream_slow_consumers_total") == 1


# -- several instances ---------------------------------------------------------------------------


async def test_two_app_instances_on_one_database_both_stream_every_event(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with (
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as api_a,
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as api_b,
        Streams(api_a) as streams,
    ):
        incident = await api_a.activate()
        topic = topic_of(incident)
        viewer_a = await streams.open(*VIEWER, base=api_a.base)
        viewer_b = await streams.open(*VIEWER, base=api_b.base)
        snapshot_a = await subscribed(viewer_a, topic)
        snapshot_b = await subscribed(viewer_b, topic)
        assert snapshot_a == snapshot_b

        for index in range(12):
            via = api_a if index % 2 == 0 else api_b
            reply = await via.submit(incident["id"], varied_report(index))
            assert reply.status == 201, reply.body

        frames_a = await viewer_a.events(12, topic)
        frames_b = await viewer_b.events(12, topic)
        assert_consecutive(frames_a, snapshot_a["seq"] + 1)
        assert frames_a == frames_b
        await assert_patches_lead_to_the_log(api_b, incident, snapshot_b["picture"], frames_b)


# -- the incidents topic -----------------------------------------------------------------------


async def test_incidents_topic_announces_activation_and_closure(api: Api, streams: Streams) -> None:
    existing = await api.activate(title="Översvämning")
    board = await streams.open(*VIEWER)
    elsewhere = await streams.open("LST-01", "viewer")

    listing = await board.incidents()
    assert [entry["id"] for entry in listing] == [existing["id"]]
    assert await elsewhere.incidents() == []

    incident = await api.activate(title="Storm")
    activated = await board.expect("event", "incidents")
    assert activated["event"]["kind"] == "incident.activated"
    assert activated["incident_id"] == incident["id"]
    assert activated["event"]["data"]["incident"]["title"] == "Storm"

    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Över"},
    )
    assert reply.status == 200, reply.body
    closed = await board.expect("event", "incidents")
    assert closed["event"]["kind"] == "incident.closed"
    assert closed["incident_id"] == incident["id"]

    # Both were queued to every watcher before this one is made: if the other county's
    # viewer had been sent them, they would come before it.
    own = await api.activate(by="LST-01", county="01", title="Skogsbrand")
    first = await elsewhere.expect("event", "incidents")
    assert first["incident_id"] == own["id"], first


# -- who may subscribe --------------------------------------------------------------------------


async def test_subscribing_to_an_incident_you_may_not_see_gives_not_found_error(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()  # county 14; LST-01 is neither participant nor board
    outsider = await streams.open("LST-01", "viewer")

    for topic in (topic_of(incident), f"incident:{uuid.uuid4()}"):
        await outsider.subscribe(topic)
        error = await outsider.expect("error", topic)
        assert error["code"] == "not_found"

    await submit_reports(api, incident, 1)
    own = await api.activate(by="LST-01", county="01")
    snapshot = await subscribed(outsider, topic_of(own))  # the socket is still open and usable
    assert snapshot["seq"] == 1


async def test_stream_without_token_is_refused_with_401_problem(api: Api) -> None:
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    assert_problem(await api.call("GET", "/api/v1/stream", headers=upgrade), 401)
    wrong = {**upgrade, "Authorization": "Bearer lgb_not-a-token"}
    assert_problem(await api.call("GET", "/api/v1/stream", headers=wrong), 401)

    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(stream_url(api.base))
    assert refused.value.status == 401


async def test_removed_participant_loses_the_subscription_with_forbidden(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    other = await api.activate(title="Annan händelse")
    topic = topic_of(incident)
    reporter = await streams.open("1442", "reporter")
    viewer = await streams.open(*VIEWER)
    await subscribed(reporter, topic)
    await subscribed(reporter, topic_of(other))
    await subscribed(viewer, topic)

    await remove_participant(api, incident, "1442")
    error = await reporter.expect("error", topic)
    assert error["code"] == "forbidden"
    (updated,) = await viewer.events(1, topic)
    assert updated["event"]["kind"] == "incident.updated"

    await submit_reports(api, incident, 1, start=0)  # by 1440, still a participant
    await viewer.events(1, topic)
    # That event was queued to every subscriber before this one was made.
    await submit_reports(api, other, 1, start=2)
    next_frame = await reporter.expect("event")
    assert next_frame["topic"] == topic_of(other), next_frame

    await reporter.subscribe(topic)
    refused = await reporter.expect("error", topic)
    assert refused["code"] == "not_found"


async def test_unsubscribed_topic_sends_no_more_events(api: Api, streams: Streams) -> None:
    left, kept = await api.activate(), await api.activate(title="Annan händelse")
    client = await streams.open(*VIEWER)
    witness = await streams.open(*VIEWER)
    await subscribed(client, topic_of(left))
    await subscribed(client, topic_of(kept))
    await subscribed(witness, topic_of(left))

    await client.send({"type": "unsubscribe", "topic": topic_of(left)})
    await client.send({"type": "unsubscribe", "topic": f"incident:{uuid.uuid4()}"})  # harmless
    # The socket reads frames in order: once a later subscribe is answered, both are done.
    await client.incidents()
    await submit_reports(api, left, 1)
    await witness.events(1, topic_of(left))
    await submit_reports(api, kept, 1)
    (frame,) = await client.events(1, topic_of(kept))
    assert frame["seq"] == 2


# -- frames the server does not take ----------------------------------------------------------


async def test_malformed_frame_gets_bad_request_error_and_socket_stays_open(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    client = await streams.open(*VIEWER)

    await client.ws.send_str("this is not JSON")
    await client.ws.send_str('["subscribe"]')
    await client.send({"type": "subscribe", "topic": "weather"})
    await client.send({"type": "subscribe", "topic": topic_of(incident), "since": -1})
    await client.send({"type": "shout", "topic": "incidents"})
    await client.send({"type": "unsubscribe", "topic": "weather"})
    await client.ws.send_bytes(b'{"type": "subscribe", "topic": "incidents"}')
    for _ in range(7):
        error = await client.expect("error")
        assert error["code"] == "bad_request", error
        assert error["message"]

    snapshot = await subscribed(client, topic_of(incident))
    assert snapshot["seq"] == 1


async def test_frame_over_the_size_limit_closes_the_socket(
    api: Api, streams: Streams, settings: Settings
) -> None:
    client = await streams.open(*VIEWER)
    too_big = {
        "type": "subscribe",
        "topic": "incidents",
        "pad": "x" * settings.stream_max_frame_bytes,
    }

    await client.send(too_big)
    assert await client.close_code() == WSCloseCode.MESSAGE_TOO_BIG


async def test_frame_just_under_the_size_limit_is_answered(
    api: Api, streams: Streams, settings: Settings
) -> None:
    client = await streams.open(*VIEWER)
    # aiohttp refuses a message of max_msg_size bytes itself; one byte less is taken.
    largest = settings.stream_max_frame_bytes - 1
    frame = '{"type": "subscribe", "topic": "incidents", "pad": ""}'
    padded = frame.replace('""', '"' + "x" * (largest - len(frame)) + '"')
    assert len(padded.encode()) == largest

    await client.ws.send_str(padded)
    error = await client.expect("error")
    assert error["code"] == "bad_request"  # unknown field `pad`, but read and answered


# -- shutdown ------------------------------------------------------------------------------------


async def test_shutdown_closes_open_sockets_with_1001(
    api: Api, streams: Streams, server: TestServer
) -> None:
    incident = await api.activate()
    client = await streams.open(*VIEWER)
    await subscribed(client, topic_of(incident))

    closing = asyncio.create_task(server.close())
    try:
        assert await client.close_code() == WSCloseCode.GOING_AWAY
    finally:
        await asyncio.wait_for(closing, FRAME_TIMEOUT)


async def test_subscribe_while_the_database_is_away_closes_with_1011_for_a_retry(
    api: Api, streams: Streams, app: web.Application
) -> None:
    incident = await api.activate()
    client = await streams.open(*VIEWER)
    await app[keys.pool].close()  # the database goes away under the running app
    await client.subscribe(topic_of(incident))
    assert await client.close_code() == WSCloseCode.INTERNAL_ERROR


async def test_a_slow_client_that_never_reads_its_close_is_cut_off(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    # A frozen phone keeps the TCP connection open with a zero window: after 4008 and
    # the send timeout, the server drops it rather than keep its buffers forever.
    tight = with_changes(
        settings,
        stream_queue_size=4,
        stream_socket_send_buffer=4096,
        stream_send_timeout_seconds=1.0,
        stream_heartbeat_seconds=60.0,
    )
    async with served(create_app(tight, dsn=dsn, clock=clock), dsn) as api:
        incident = await api.activate()
        topic = topic_of(incident)
        slow = await _connect_slow_client(stream_url(api.base), await api.token(*VIEWER))
        try:
            await slow.send(json.dumps({"type": "subscribe", "topic": topic}))
            await asyncio.wait_for(slow.recv(), FRAME_TIMEOUT)  # the snapshot; then nothing
            bulky = "Strömavbrott i stora delar av länet. " * 250
            for index in range(200):
                await api.submit(incident["id"], varied_report(index, situation=bulky))
                if await metric(api, "lagesbild_stream_slow_consumers_total") >= 1:
                    break
            else:
                raise AssertionError("the slow consumer was never cut off")
            for _ in range(100):  # the close times out after 1 s; allow a few more
                if await metric(api, "lagesbild_stream_connections") == 0:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("the server still holds the silent socket")
        finally:
            await slow.close()


async def test_an_event_the_fold_cannot_read_does_not_stop_the_live_picture(
    api: Api, streams: Streams
) -> None:
    incident = await api.activate()
    topic = topic_of(incident)
    viewer = await streams.open(*VIEWER)
    await subscribed(viewer, topic)
    # An event written by some future writer with data this fold does not understand.
    conn = await asyncpg.connect(api.dsn)
    try:
        async with conn.transaction():
            seq = await conn.fetchval(
                "UPDATE incidents SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
                uuid.UUID(incident["id"]),
            )
            await conn.execute(
                "INSERT INTO events (incident_id, seq, kind, at, actor, data)"
                " VALUES ($1, $2, 'report.submitted', now(), '1442', $3::jsonb)",
                uuid.UUID(incident["id"]),
                seq,
                json.dumps({"report": {"organisation": "1442", "needs": [{"text": "no id"}]}}),
            )
            await conn.execute(
                "SELECT pg_notify('lagesbild_events', $1)", f"{incident['id']}:{seq}"
            )
    finally:
        await conn.close()
    (odd,) = await viewer.events(1, topic)
    assert odd["seq"] == 2
    assert odd["patch"] == {"seq": 2}
    await submit_reports(api, incident, 2)
    later = await viewer.events(2, topic)
    assert_consecutive(later, 3)
    picture = await picture_at(api, incident)
    assert picture["seq"] == 4


async def test_an_instance_started_after_a_removal_refuses_the_removed_participant(
    api: Api, settings: Settings, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    reply = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident['id']}",
        as_=("LST-14", "duty_officer"),
        json_body={"participants": ["1442"]},
    )
    assert reply.status == 200, reply.body
    async with (
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as fresh,
        Streams(fresh) as fresh_streams,
    ):
        removed = await fresh_streams.open("1443", "reporter")
        await removed.subscribe(topic_of(incident))
        error = await removed.expect("error", topic_of(incident))
        assert error["code"] == "not_found"
        kept = await fresh_streams.open("1442", "reporter")
        assert (await subscribed(kept, topic_of(incident)))["seq"] == 2


async def test_lost_listen_connection_is_replaced_and_events_from_elsewhere_arrive(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async with (
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as watched,
        served(create_app(settings, dsn=dsn, clock=clock), dsn) as writer,
        Streams(watched) as streams,
    ):
        incident = await writer.activate()
        topic = topic_of(incident)
        viewer = await streams.open(*VIEWER)
        await subscribed(viewer, topic)
        conn = await asyncpg.connect(dsn)
        try:  # the database drops both instances' LISTEN connections
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'lagesbild-listen'"
            )
        finally:
            await conn.close()
        for _ in range(100):
            if await metric(watched, "lagesbild_listener_reconnects_total") >= 1:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the LISTEN connection was not replaced")
        ready = await watched.call("GET", "/readyz")
        assert ready.status == 200, ready.body
        await submit_reports(writer, incident, 2)  # written through the other instance
        assert_consecutive(await viewer.events(2, topic), 2)
