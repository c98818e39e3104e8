"""Looking back over the stream (`moment` frames): the picture `GET …/picture?at=` gives,
for a topic the socket follows, each answer carrying the client's `ref`, in the order
asked, a newer request taking the place of one still waiting."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import pytest

from schemas.common import Role
from schemas.stream import Moment
from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.stream import frames
from service.stream.lookback import LookBack
from tests.settings import with_changes
from tests.stream.test_stream import VIEWER, remove_participant, subscribed, topic_of
from tests.stream.wsclient import Frame, StreamClient, Streams
from tests.support import T0, Api, assert_problem, report, served


async def over_http(api: Api, incident: dict[str, Any], moment: datetime) -> Any:
    query = urllib.parse.quote(moment.isoformat())
    return await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/picture?at={query}", as_=VIEWER
    )


async def look_back(client: StreamClient, topic: str, moment: datetime | str, ref: int) -> None:
    at = moment if isinstance(moment, str) else moment.isoformat()
    await client.send({"type": "moment", "topic": topic, "at": at, "ref": ref})


async def answer(client: StreamClient) -> Frame:
    """The next answer to a look back (a `moment` frame, or an error with its `ref`)."""
    while True:
        frame = await client.next_frame()
        if frame["type"] == "moment" or (frame["type"] == "error" and "ref" in frame):
            return frame


async def a_morning(api: Api, clock: FixedClock) -> dict[str, Any]:
    """Activated at T0, then a report every 10 minutes that changes the picture."""
    clock.set(T0)
    incident = await api.activate()
    for minutes, (code, level) in enumerate(
        [("1440", "serious"), ("1441", "moderate"), ("1440", "critical"), ("1442", "none")],
        start=1,
    ):
        clock.set(T0 + timedelta(minutes=10 * minutes))
        body = report(code, sectors=[{"sector": "energy", "status": level}])
        assert (await api.submit(incident["id"], body)).status == 201
    return incident


async def following_a_morning(
    api: Api, streams: Streams, clock: FixedClock, who: tuple[str, Role] = VIEWER
) -> tuple[dict[str, Any], str, StreamClient, Frame]:
    """`a_morning`, and a socket of `who` subscribed to it: the incident, its topic, the
    socket and the snapshot it began with."""
    incident = await a_morning(api, clock)
    topic = topic_of(incident)
    client = await streams.open(*who)
    return incident, topic, client, await subscribed(client, topic)


async def test_a_look_back_answers_with_the_picture_the_http_route_gives_for_that_moment(
    api: Api, streams: Streams, clock: FixedClock
) -> None:
    incident, topic, viewer, now = await following_a_morning(api, streams, clock)

    for ref, minutes in enumerate([5, 15, 25, 31, 0, 45, 24 * 60]):
        moment = T0 + timedelta(minutes=minutes)
        await look_back(viewer, topic, moment, ref)
        got = await answer(viewer)
        expected = await over_http(api, incident, moment)
        assert expected.status == 200, expected.body
        assert got == {
            "type": "moment",
            "topic": topic,
            "ref": ref,
            "at": moment.isoformat(),
            "seq": expected.body["seq"],
            "picture": expected.body,
        }
    # A day later is the picture now; before the first report, the activation's.
    assert got["picture"] == now["picture"]
    await look_back(viewer, topic, T0, 99)
    assert (await answer(viewer))["seq"] == 1


async def test_a_look_back_is_refused_with_its_ref_and_the_topic_goes_on(
    api: Api, streams: Streams, clock: FixedClock
) -> None:
    incident = await a_morning(api, clock)
    topic = topic_of(incident)
    viewer = await streams.open(*VIEWER)

    # Not (yet) followed on this socket, though the viewer may see it.
    await look_back(viewer, topic, T0, 1)
    refused = await answer(viewer)
    assert (refused["code"], refused["ref"], refused["topic"]) == ("not_found", 1, topic)

    await subscribed(viewer, topic)
    cases: list[tuple[datetime | str, str, str]] = [
        (T0 - timedelta(seconds=1), "bad_request", "2026-11-22T12:00:00Z"),  # before it began
        ("2026-11-22T13:05:00", "bad_request", "timezone"),  # no offset
        ("i morgon", "bad_request", "datetime"),
    ]
    for ref, (moment, code, said) in enumerate(cases, start=2):
        await look_back(viewer, topic, moment, ref)
        refused = await answer(viewer)
        assert (refused["code"], refused["ref"]) == (code, ref), refused
        assert said in refused["message"], refused
    await viewer.send({"type": "moment", "topic": "national", "at": T0.isoformat(), "ref": 7})
    assert (await answer(viewer))["ref"] == 7
    await viewer.send({"type": "moment", "topic": topic, "at": T0.isoformat(), "ref": -1})
    refused = await viewer.expect("error")
    assert refused["code"] == "bad_request"
    assert "ref" not in refused  # no ref to give back

    # The subscription is untouched: the next report arrives, and a look back answers.
    clock.set(T0 + timedelta(hours=1))
    assert (await api.submit(incident["id"], report("1443"))).status == 201
    event = await viewer.expect("event", topic)
    assert event["seq"] == 6
    await look_back(viewer, topic, T0 + timedelta(hours=2), 8)
    assert (await answer(viewer))["seq"] == 6


async def test_a_participant_taken_off_the_incident_can_no_longer_look_back(
    api: Api, streams: Streams, clock: FixedClock
) -> None:
    incident, topic, reporter, _ = await following_a_morning(
        api, streams, clock, ("1440", "viewer")
    )
    await look_back(reporter, topic, T0 + timedelta(minutes=15), 1)
    assert (await answer(reporter))["type"] == "moment"

    await remove_participant(api, incident, "1440")
    forbidden = await reporter.expect("error", topic)
    assert forbidden["code"] == "forbidden"
    await look_back(reporter, topic, T0 + timedelta(minutes=15), 2)
    refused = await answer(reporter)
    assert (refused["code"], refused["ref"]) == ("not_found", 2)


async def test_a_look_back_asks_the_database_who_may_see_the_incident_each_time(
    api: Api, streams: Streams, clock: FixedClock, dsn: str
) -> None:
    incident, topic, reporter, _ = await following_a_morning(
        api, streams, clock, ("1440", "viewer")
    )
    # Taken off behind the hub's back (as on another instance, before its notice comes):
    # the socket still follows the topic, and the look back must still be refused.
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "DELETE FROM incident_participants WHERE incident_id = $1 AND organisation = $2",
            uuid.UUID(incident["id"]),
            "1440",
        )
    finally:
        await conn.close()
    await look_back(reporter, topic, T0 + timedelta(minutes=15), 1)
    refused = await answer(reporter)
    assert (refused["code"], refused["ref"]) == ("not_found", 1)


async def test_answers_come_in_the_order_asked_and_the_last_request_is_always_answered(
    api: Api, streams: Streams, clock: FixedClock
) -> None:
    incident, topic, viewer, _ = await following_a_morning(api, streams, clock)
    moments = [T0 + timedelta(minutes=minute) for minute in range(1, 60, 3)]
    for ref, moment in enumerate(moments):
        await look_back(viewer, topic, moment, ref)
    refs: list[int] = []
    while not refs or refs[-1] != len(moments) - 1:
        got = await answer(viewer)
        refs.append(got["ref"])
        expected = await over_http(api, incident, moments[got["ref"]])
        assert got["picture"] == expected.body
    assert refs == sorted(set(refs)), refs  # in the order asked, none twice


# -- one running, one waiting: the newest takes the waiting place --------------------------


class _Recorder:
    """What a socket was sent, and the topics it follows (a look back needs the topic)."""

    def __init__(self, topic: uuid.UUID) -> None:
        self.id = "c-test"
        self.topics = {topic}
        self.sent: asyncio.Queue[int] = asyncio.Queue()
        self.closed: list[int] = []

    def send(self, frame: frames.Frame) -> None:
        self.sent.put_nowait(json.loads(frame.text)["ref"])

    def close_soon(self, code: int, message: str) -> None:
        self.closed.append(code)


class _GatedLookBack(LookBack):
    """Answers without the database, each only when the test lets it."""

    def __init__(self, conn: _Recorder) -> None:
        super().__init__(conn, None, None, None, 25)  # type: ignore[arg-type]
        self.gate = asyncio.Event()
        self.started: asyncio.Queue[int] = asyncio.Queue()
        self.cancelled: list[int] = []
        self.broken: set[int] = set()  # refs whose look back fails unexpectedly

    async def _answer(self, command: Moment) -> frames.Frame:
        self.started.put_nowait(command.ref)
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(command.ref)
            raise
        self.gate.clear()
        if command.ref in self.broken:
            raise RuntimeError("a bug")
        return frames.moment_frame(command.topic, command.ref, "", {"seq": command.ref})


async def _next(queue: asyncio.Queue[int]) -> int:
    async with asyncio.timeout(5):
        return await queue.get()


@pytest.mark.parametrize("asked", [2, 5])
async def test_a_newer_look_back_takes_the_place_of_the_one_waiting(asked: int) -> None:
    incident_id = uuid.uuid4()
    conn = _Recorder(incident_id)
    looking = _GatedLookBack(conn)

    def ask(ref: int) -> None:
        looking.ask(Moment(type="moment", topic=f"incident:{incident_id}", at=T0, ref=ref))

    ask(0)
    assert await _next(looking.started) == 0  # running
    for ref in range(1, asked):
        ask(ref)  # each takes the waiting place of the one before
    looking.gate.set()
    assert await _next(conn.sent) == 0
    assert await _next(looking.started) == asked - 1  # the newest; the others passed over
    looking.gate.set()
    assert await _next(conn.sent) == asked - 1
    # Idle again: the next request runs at once, and closing stops it.
    ask(asked)
    assert await _next(looking.started) == asked
    await looking.close()
    assert looking.cancelled == [asked]
    assert looking.started.empty()
    assert conn.sent.empty()


async def test_a_look_back_that_breaks_closes_the_socket_rather_than_leave_it_waiting() -> None:
    incident_id = uuid.uuid4()
    conn = _Recorder(incident_id)
    looking = _GatedLookBack(conn)
    looking.broken.add(1)
    looking.ask(Moment(type="moment", topic=f"incident:{incident_id}", at=T0, ref=1))
    assert await _next(looking.started) == 1
    looking.ask(Moment(type="moment", topic=f"incident:{incident_id}", at=T0, ref=2))
    looking.gate.set()
    for _ in range(100):
        if conn.closed:
            break
        await asyncio.sleep(0.01)
    assert conn.closed == [1011]  # the client asks over HTTP, both 1 and 2
    assert conn.sent.empty()
    assert looking.started.empty()  # 2 was not tried on a socket that is closing


async def test_look_backs_take_turns_across_sockets_and_http_and_one_without_a_turn_is_refused(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    """Each look back holds a pooled connection: however many sockets and requests ask,
    a process answers `lookbacks_at_once` at a time, and one that finds no turn within
    `lookback_wait_seconds` is refused (503 over HTTP, an `unavailable` error with its
    ref over the stream, the topic going on), so the reports keep their connections."""
    one = with_changes(settings, lookbacks_at_once=1, lookback_wait_seconds=0.2)
    app = create_app(one, dsn=dsn, clock=clock)
    async with served(app, dsn) as api, Streams(api) as streams:
        incident, topic, viewer, _ = await following_a_morning(api, streams, clock)
        moment = T0 + timedelta(minutes=15)
        async with app[keys.lookbacks].turn():  # another look back holds the only turn
            refused = await over_http(api, incident, moment)
            await look_back(viewer, topic, moment, 1)
            frame = await answer(viewer)
            # A report does not wait for a turn.
            assert (await api.submit(incident["id"], report("1443"))).status == 201
        assert_problem(refused, 503, "unavailable")
        assert refused.headers["Retry-After"] == "1"
        assert (frame["type"], frame["code"], frame["ref"], frame["topic"]) == (
            "error",
            "unavailable",
            1,
            topic,
        )
        # With the turn free again, both answer, and the topic went on meanwhile.
        again = await over_http(api, incident, moment)
        assert again.status == 200, again.body
        await look_back(viewer, topic, moment, 2)
        got = await answer(viewer)
        assert (got["type"], got["ref"], got["picture"]) == ("moment", 2, again.body)
        assert (await api.submit(incident["id"], report("1444"))).status == 201
        (event,) = await viewer.events(1, topic)
        assert (event["event"]["kind"], event["event"]["actor"]) == ("report.submitted", "1444")
