"""The WIS node through the real outbox worker: the channel `wis` registered at start,
delivery in order, an outage and its recovery, dead letters and retry, answers read back.

The mock node is served on a real socket (a port chosen up front, so it can be down
first and come up later). The worker's background loop is off except where a test says
otherwise: tests run passes with `run_once()` and move the FixedClock past back-offs and
cool-downs instead of sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.wis import mapping
from adapters.wis.mock import Actor, Store, create_mock_app, store_of
from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.ports import free_port
from tests.outbox.support import OUTBOX_LIMITS
from tests.rounds.support import at
from tests.settings import with_changes
from tests.stream.wsclient import Streams
from tests.support import PARTICIPANTS, Api, Who, report, served

NODE_TOKEN = "node-token-lagesbild"
TOKEN_1443 = "node-token-1443"
VIEWER: Who = ("LST-14", "viewer")
ADMIN: Who = ("LST-14", "admin")
DUTY: Who = ("LST-14", "duty_officer")


class Node:
    """The mock WIS node on a fixed local port; not listening until `start()`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_mock_app(
            {
                NODE_TOKEN: Actor("lagesbild", "Lägesbild", system=True),
                TOKEN_1443: Actor("1443", "Bollebygds kommun"),
            }
        )
        self._server: TestServer | None = None

    @property
    def store(self) -> Store:
        return store_of(self.app)

    async def start(self) -> None:
        self._server = TestServer(self.app, host="127.0.0.1", port=self.port)
        await self._server.start_server()

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None


@pytest.fixture
async def node() -> AsyncIterator[Node]:
    mock = Node()
    yield mock
    await mock.stop()


@pytest.fixture
def settings(settings: Settings, node: Node) -> Settings:
    return with_changes(
        settings,
        wis_url=node.url,
        wis_token=NODE_TOKEN,
        wis_poll_seconds=3600.0,  # polled by the test that needs it
        wis_timeout_seconds=5.0,
        **OUTBOX_LIMITS,
    )


async def passes(app: web.Application, clock: FixedClock, *, step: float = 0.0) -> int:
    """Run worker passes until one attempts nothing, moving the clock `step` seconds
    before each (past back-offs and cool-downs); how many messages were attempted."""
    attempted = 0
    for _ in range(100):
        clock.set(clock.now() + timedelta(seconds=step))
        count = await app[keys.outbox_worker].run_once()
        if count == 0:
            return attempted
        attempted += count
    raise AssertionError("the outbox never went quiet")


async def wis_rows(dsn: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT id, message_id, kind, status, attempts FROM outbox"
            " WHERE destination = 'wis' ORDER BY id"
        )
    finally:
        await conn.close()


def request_message(incident_id: str, due_at: str) -> str:
    return f"lagesbild:request:{mapping.request_id(incident_id, datetime.fromisoformat(due_at))}"


async def submitted(api: Api, incident_id: str, organisation: str, **content: Any) -> str:
    body = report(organisation, **content)
    reply = await api.submit(incident_id, body)
    assert reply.status == 201, reply.body
    report_id: str = body["report_id"]
    return report_id


async def close_round(app: web.Application, clock: FixedClock, when: str) -> None:
    clock.set(at(when))
    await app[keys.rounds_job].run_due(clock.now())


async def close_incident(api: Api, incident_id: str) -> None:
    reply = await api.call(
        "POST",
        f"/api/v1/incidents/{incident_id}/close",
        as_=DUTY,
        json_body={"summary": "Stormen över"},
    )
    assert reply.status == 200, reply.body


def assert_applied_once(store: Store) -> None:
    """Nothing was taken twice: each message id once, each item once in the change log."""
    assert len(store.accepted) == len(set(store.accepted))
    items = [
        (change["typ"], change["id"]) for change in store.changes if change["typ"] != "yta.ändrad"
    ]
    assert len(items) == len(set(items))


async def test_after_a_schedule_change_requests_and_answers_follow_the_schedule_history(
    api: Api, app: web.Application, clock: FixedClock, node: Node
) -> None:
    await node.start()
    incident = await api.activate()  # 13:00, daily 08/14/20: the first request is for 14:00
    area = incident["id"]
    clock.set(at("2026-11-22T14:30"))  # 14:00 passed and is still a round
    change = await api.call(
        "PATCH",
        f"/api/v1/incidents/{area}",
        as_=DUTY,
        json_body={"schedule": {"times": ["14:15", "18:00"], "timezone": "Europe/Stockholm"}},
    )
    assert change.status == 200, change.body
    clock.set(at("2026-11-22T14:40"))
    written_before = await submitted(
        api, area, "1442", situation="Skrivet före ändringen", as_of="2026-11-22T13:50:00+01:00"
    )
    await close_round(app, clock, "2026-11-22T14:45")  # 14:00 closes; next is 18:00
    await passes(app, clock)

    store = node.store
    fourteen, eighteen = (at(f"2026-11-22T{hhmm}") for hhmm in ("14:00", "18:00"))
    # 14:15 of the new schedule lies before the change: no round, so no request.
    assert {r["svarstid"] for r in store.requests.values()} == {
        mapping.request(area, due, exercise=False)["svarstid"] for due in (fourteen, eighteen)
    }
    [answer] = [a for a in store.answers.values() if a["id"] == written_before]
    assert answer["begäran"] == mapping.request_id(area, fourteen)


async def test_the_channel_is_registered_at_start_and_delivers_in_order(
    app: web.Application, server: TestServer
) -> None:
    channels = app[keys.outbox_channels]
    assert "wis" in channels.names()
    assert channels.ordered("wis")


async def test_without_a_node_configured_no_wis_channel_is_registered(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    plain = with_changes(settings, wis_url=None, wis_token=None)
    app = create_app(plain, dsn=dsn, clock=clock)
    async with served(app, dsn):
        assert "wis" not in app[keys.outbox_channels].names()


async def test_a_demo_like_incident_reaches_the_node_through_the_worker(
    api: Api, app: web.Application, clock: FixedClock, node: Node, dsn: str
) -> None:
    await node.start()
    incident = await api.activate()  # 13:00, first deadline 14:00
    area = incident["id"]
    first_due = incident["due_at"]
    answers = [
        await submitted(
            api,
            area,
            "1442",
            situation="Elavbrott i norra kommundelen",
            sectors=[{"sector": "energy", "status": "serious"}],
        ),
        await submitted(api, area, "1443", situation="Lugnt"),
    ]
    assert await passes(app, clock) == 3  # activation and two reports
    await close_round(app, clock, "2026-11-22T14:00:01")  # the 14:00 round closes
    clock.set(at("2026-11-22T14:10"))
    answers.append(await submitted(api, area, "1444", situation="Vägar röjda"))  # due 20:00
    await close_incident(api, area)
    await passes(app, clock)

    store = node.store
    assert store.areas[area]["status"] == "Avslutad"
    assert store.areas[area]["sammanfattning"] == "Stormen över"
    second_due = at("2026-11-22T20:00").isoformat()
    (summary,) = store.posts.values()
    assert "2 av 5 aktörer har rapporterat" in summary["text"]
    assert {a["id"] for a in store.answers.values()} == set(answers)
    assert {r["svarstid"] for r in store.requests.values()} == {
        mapping.request(area, datetime.fromisoformat(due), exercise=False)["svarstid"]
        for due in (first_due, second_due)
    }
    assert set(store.accepted) == {
        f"lagesbild:area:{area}",
        request_message(area, first_due),
        *(f"lagesbild:answer:{report_id}" for report_id in answers),
        f"lagesbild:summary:{area}:{summary['lägesbild_seq']}",
        request_message(area, second_due),
        f"lagesbild:end:{area}",
    }
    assert_applied_once(store)
    # In order: the area first, each answer after its request, the end last.
    kinds = [change["typ"] for change in store.changes]
    assert kinds[0] == "yta.skapad"
    assert kinds[-1] == "yta.avslutad"
    position = {change["id"]: index for index, change in enumerate(store.changes)}
    for answer in store.answers.values():
        assert position[answer["begäran"]] < position[answer["id"]]
    assert {row["status"] for row in await wis_rows(dsn)} == {"delivered"}


async def test_answers_entered_on_the_node_reach_the_picture_and_stream_through_the_poller(
    settings: Settings, dsn: str, clock: FixedClock, node: Node
) -> None:
    await node.start()
    polling = with_changes(settings, wis_poll_seconds=0.05)
    app = create_app(polling, dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await api.activate()
        area = incident["id"]
        await passes(app, clock)  # the area and its request are on the node
        streams = Streams(api)
        try:
            viewer = await streams.open(*VIEWER)
            await viewer.subscribe(f"incident:{area}")
            await viewer.expect("snapshot", f"incident:{area}")
            store = node.store
            # An actor who does not use Lägesbild answers on the node itself.
            async with (
                aiohttp.ClientSession() as client,
                client.post(
                    f"{node.url}/api/areas/{area}/answers",
                    json={
                        "tillstånd": "Broar avstängda",
                        "påverkan": [{"sektor": "Transporter", "nivå": "Kritisk"}],
                    },
                    headers={"Authorization": f"Bearer {TOKEN_1443}", "Message-Id": "actor-1"},
                ) as reply,
            ):
                assert reply.status == 201
                answer = await reply.json()
            (frame,) = await viewer.events(1, f"incident:{area}")
        finally:
            await streams.aclose()
        event = frame["event"]
        assert event["kind"] == "report.submitted"
        assert event["data"]["report"]["organisation"] == "1443"
        assert event["data"]["report"]["situation"] == "Broar avstängda"
        picture = await api.call("GET", f"/api/v1/incidents/{area}/picture", as_=VIEWER)
        assert picture.body["organisations"]["1443"]["impact"] == "critical"
        assert picture.body["sectors"]["transport"]["worst"] == "critical"
        # The imported report is not sent back to the node it came from.
        await passes(app, clock)
        assert [a["id"] for a in store.answers.values()] == [answer["id"]]
        assert not [m for m in store.accepted if m.startswith("lagesbild:answer:")]


@pytest.mark.parametrize("outage", ["nothing listening", "503"])
async def test_a_node_down_through_reporting_gets_everything_exactly_once_when_back(
    outage: str, api: Api, app: web.Application, clock: FixedClock, node: Node, dsn: str
) -> None:
    if outage == "503":
        node.store.unavailable = True
        await node.start()
    incident = await api.activate()
    area = incident["id"]
    reports = [
        await submitted(api, area, code, situation=f"Läget hos {code}") for code in PARTICIPANTS
    ]
    correction = await api.submit(
        area, report("1442", situation="Rättat läge", supersedes=reports[2])
    )
    assert correction.status == 201, correction.body
    reports.append(correction.body["report_id"])
    for _ in range(12):  # an outage of a good while: passes, back-offs, probes
        clock.set(clock.now() + timedelta(seconds=61))
        await app[keys.outbox_worker].run_once()
    await close_round(app, clock, "2026-11-22T14:00:01")
    for _ in range(3):
        clock.set(clock.now() + timedelta(seconds=61))
        await app[keys.outbox_worker].run_once()
    down = await wis_rows(dsn)
    assert {row["status"] for row in down} == {"pending"}  # an outage makes no dead letters
    assert node.store.accepted == []

    if outage == "503":
        node.store.unavailable = False
    else:
        await node.start()
    await passes(app, clock, step=61)

    rows = await wis_rows(dsn)
    assert {row["status"] for row in rows} == {"delivered"}
    assert len(rows) == len(down) == 1 + len(reports) + 1  # activation, reports, round
    store = node.store
    (summary,) = store.posts.values()
    expected = {
        f"lagesbild:area:{area}",
        request_message(area, incident["due_at"]),
        *(f"lagesbild:answer:{report_id}" for report_id in reports),
        f"lagesbild:summary:{area}:{summary['lägesbild_seq']}",
        request_message(area, at("2026-11-22T20:00").isoformat()),
    }
    assert len(store.accepted) == len(expected)
    assert set(store.accepted) == expected
    assert_applied_once(store)
    assert len(store.answers) == len(reports)
    assert store.answers[reports[-1]]["ersätter"] == reports[2]


async def dead_letters(api: Api) -> list[dict[str, Any]]:
    reply = await api.call("GET", "/api/v1/outbox?status=dead&destination=wis", as_=ADMIN)
    assert reply.status == 200, reply.body
    messages: list[dict[str, Any]] = reply.body["messages"]
    return messages


@pytest.fixture
def few_attempts(settings: Settings) -> Settings:
    # Below the breaker threshold, so a message that keeps failing dies before the
    # breaker opens (with the defaults it would wait behind the breaker, as in an outage).
    return with_changes(settings, outbox_max_attempts=3)


@pytest.mark.parametrize("fault", ["keeps failing", "refused"])
async def test_a_message_the_node_will_not_take_becomes_a_dead_letter_and_retry_delivers_it(
    fault: str, few_attempts: Settings, dsn: str, clock: FixedClock, node: Node
) -> None:
    await node.start()
    app = create_app(few_attempts, dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await api.activate()
        area = incident["id"]
        poisoned = await submitted(api, area, "1442", situation="Fastnar")
        message_id = f"lagesbild:answer:{poisoned}"
        faults = node.store.failing if fault == "keeps failing" else node.store.refusing
        faults.add(message_id)
        await passes(app, clock, step=61)

        (dead,) = await dead_letters(api)
        assert dead["message_id"] == f"{area}:2"
        assert dead["attempts"] == (3 if fault == "keeps failing" else 1)
        # The node otherwise works: what comes after the dead letter is delivered.
        later = await submitted(api, area, "1443", situation="Lugnt")
        await passes(app, clock, step=61)
        assert f"lagesbild:answer:{later}" in node.store.accepted
        assert message_id not in node.store.accepted

        faults.discard(message_id)  # the cause is gone
        retried = await api.call("POST", f"/api/v1/outbox/{dead['id']}/retry", as_=ADMIN)
        assert retried.status == 200, retried.body
        assert await passes(app, clock) == 1
        assert node.store.accepted.count(message_id) == 1
        assert poisoned in node.store.answers
        assert await dead_letters(api) == []
        assert {row["status"] for row in await wis_rows(dsn)} == {"delivered"}
        assert_applied_once(node.store)


async def test_shutdown_lets_a_delivery_under_way_finish_before_the_session_closes(
    settings: Settings, dsn: str, clock: FixedClock, node: Node
) -> None:
    entered, release = asyncio.Event(), asyncio.Event()

    @web.middleware
    async def slow_areas(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path == "/api/areas":
            entered.set()
            await release.wait()
        return await handler(request)

    node.app.middlewares.append(slow_areas)
    await node.start()
    running = with_changes(settings, outbox_worker=True)
    app = create_app(running, dsn=dsn, clock=clock)
    server = TestServer(app)
    await server.start_server()
    try:
        async with Api(str(server.make_url("")).rstrip("/"), dsn) as api:
            incident = await api.activate()
        await entered.wait()  # the worker is delivering the area now
        closing = asyncio.create_task(server.close())
        await asyncio.sleep(0.2)  # shutdown is under way, waiting for the delivery
        assert not closing.done()
        release.set()
        await closing
    finally:
        release.set()
        await server.close()
    assert incident["id"] in node.store.areas
    statuses = {row["message_id"]: row["status"] for row in await wis_rows(dsn)}
    assert statuses[f"{incident['id']}:1"] == "delivered"
