"""The WIS channel against the real mock node on a socket, and answers read back in."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.wis import inbound, mapping
from adapters.wis.channel import wis_channel
from adapters.wis.client import NodeClient
from adapters.wis.mock import Actor, Store, create_mock_app, store_of
from service import keys
from service.access.principal import Scope
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.demo.ports import free_port
from service.outbox.channel import Channel, DeliveryFailed
from service.outbox.repo import OutboxMessage
from service.repo import events, incidents
from tests.settings import with_changes
from tests.support import Api, Who, assert_problem, report, served

NODE_TOKEN = "node-token-lagesbild"
TOKEN_1443 = "node-token-1443"
TOKEN_1444 = "node-token-1444"


@pytest.fixture
async def node() -> AsyncIterator[TestServer]:
    app = create_mock_app(
        {
            NODE_TOKEN: Actor("lagesbild", "Lägesbild", system=True),
            TOKEN_1443: Actor("1443", "Bollebygds kommun"),
            TOKEN_1444: Actor("1444", "Grästorps kommun"),
        }
    )
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


@pytest.fixture
def settings(settings: Settings, node: TestServer) -> Settings:
    return with_changes(
        settings,
        wis_url=str(node.make_url("")).rstrip("/"),
        wis_token=NODE_TOKEN,
        wis_poll_seconds=3600.0,  # the tests poll themselves
    )


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def channel(
    settings: Settings, session: aiohttp.ClientSession, app: web.Application, api: Api
) -> Channel:
    return wis_channel(settings, session, app[keys.pool])


def node_store(node: TestServer) -> Store:
    return store_of(node.app)


async def outbox(dsn: str, destination: str = "wis") -> list[OutboxMessage]:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        rows = await conn.fetch(
            "SELECT id, message_id, destination, kind, incident_id, payload, created_at, attempts"
            " FROM outbox WHERE destination = $1 ORDER BY id",
            destination,
        )
    finally:
        await conn.close()
    return [OutboxMessage(**dict(row)) for row in rows]


async def deliver_all(channel: Channel, dsn: str) -> list[OutboxMessage]:
    messages = await outbox(dsn)
    for message in messages:
        await channel.deliver(message)
    return messages


async def close_round(app: web.Application, incident_id: str, due_at: str) -> None:
    """What the reporting-rounds work writes when a deadline passes: a `round.closed` event."""
    target = uuid.UUID(incident_id)
    async with app[keys.pool].acquire() as conn, conn.transaction():
        await incidents.lock(conn, target)
        seq = await incidents.advance_seq(conn, target)
        await events.append(
            conn,
            incident_id=target,
            seq=seq,
            kind="round.closed",
            at=app[keys.clock].now(),
            actor="LST-14",
            data={"due_at": due_at, "overdue": ["1441"]},
        )


REPORT_1442: dict[str, Any] = {
    "situation": "Elavbrott i norra kommundelen",
    "development": {"trend": "worsening", "text": "Fler nätstationer slås ut"},
    "sectors": [
        {"sector": "energy", "status": "serious", "text": "1 200 hushåll utan el"},
        {"sector": "water", "status": "unknown"},
    ],
    "measures_taken": ["Krisledningsgrupp sammankallad", "Trygghetspunkt öppnad"],
    "measures_planned": ["Utdelning av vatten"],
    "needs": [{"need_id": "gen-1", "text": "Reservkraft", "urgency": "high"}],
}


async def node_answer(
    node: TestServer, token: str, area: str, body: dict[str, Any], message_id: str
) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as client,
        client.post(
            node.make_url(f"/api/areas/{area}/answers"),
            json=body,
            headers={"Authorization": f"Bearer {token}", "Message-Id": message_id},
        ) as response,
    ):
        return response.status, await response.json()


async def test_changes_are_enqueued_for_the_node_with_the_change(api: Api, dsn: str) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **REPORT_1442))).status == 201
    refused = await api.submit(incident["id"], report("0180", situation="Inte deltagare"))
    assert refused.status == 404  # an incident it may not see
    messages = await outbox(dsn)
    assert [m.kind for m in messages] == ["incident.activated", "report.submitted"]
    assert [m.message_id for m in messages] == [f"{incident['id']}:1", f"{incident['id']}:2"]
    assert all(m.payload["exercise"] is False for m in messages)
    assert messages[1].payload["data"]["report"]["organisation"] == "1442"


async def test_nothing_is_enqueued_without_a_configured_node(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    plain = with_changes(settings, wis_url=None, wis_token=None)
    async with served(create_app(plain, dsn=dsn, clock=clock), dsn) as plain_api:
        await plain_api.activate()
    assert await outbox(dsn) == []


async def test_the_node_receives_area_request_answers_summary_and_end(
    api: Api, app: web.Application, node: TestServer, channel: Channel, dsn: str
) -> None:
    incident = await api.activate()
    area_id = incident["id"]
    due = incident["due_at"]
    assert (await api.submit(area_id, report("1442", **REPORT_1442))).status == 201
    assert (await api.submit(area_id, report("1443", situation="Lugnt"))).status == 201
    await close_round(app, area_id, due)
    await deliver_all(channel, dsn)  # as the worker would, while the incident is active
    closed = await api.call(
        "POST",
        f"/api/v1/incidents/{area_id}/close",
        as_=("LST-14", "duty_officer"),
        json_body={"summary": "Stormen över"},
    )
    assert closed.status == 200
    await deliver_all(channel, dsn)

    store = node_store(node)
    area = store.areas[area_id]
    assert area["typ"] == "Samhällsstörning"
    assert area["namn"] == "Storm i Sjuhärad"
    assert [p["kod"] for p in area["deltagare"]] == ["1440", "1441", "1442", "1443", "1444"]
    assert area["status"] == "Avslutad"
    assert area["sammanfattning"] == "Stormen över"
    deadlines = sorted(r["svarstid"] for r in store.requests.values())
    assert deadlines[0] == due.replace("+00:00", "Z")
    assert len(deadlines) == 2  # the first deadline, and the next one after the round closed
    assert all(r["frågor"] == list(mapping.PRESET_QUESTIONS) for r in store.requests.values())
    answers = {a["aktör"]: a for a in store.answers.values()}
    assert set(answers) == {"1442", "1443"}
    first = answers["1442"]
    assert first["begäran"] == mapping.request_id(area_id, datetime.fromisoformat(due))
    assert first["påverkan"] == [
        {"sektor": "El och värme", "nivå": "Allvarlig", "kommentar": "1 200 hushåll utan el"}
    ]
    assert first["tillstånd"] == "Elavbrott i norra kommundelen"
    assert first["händelseutveckling"] == "Fler nätstationer slås ut"
    assert first["förväntad_utveckling"] == "Försämras"
    assert first["vidtagna_åtgärder"] == "Krisledningsgrupp sammankallad\nTrygghetspunkt öppnad"
    assert first["planerade_åtgärder"] == "Utdelning av vatten"
    assert first["inlagd_av"] == "lagesbild"
    (summary,) = store.posts.values()
    assert summary["typ"] == "Sammanställning"
    assert "2 av 5 aktörer har rapporterat" in summary["text"]
    assert "El och värme: Allvarlig" in summary["text"]
    assert "Ej rapporterat i tid: 1441" in summary["text"]
    kinds = [change["typ"] for change in store.changes]
    assert kinds[0] == "yta.skapad"
    assert kinds[-1] == "yta.avslutad"


async def test_an_exercise_becomes_an_övning_area(
    api: Api, node: TestServer, channel: Channel, dsn: str
) -> None:
    incident = await api.activate(exercise=True)
    await deliver_all(channel, dsn)
    area = node_store(node).areas[incident["id"]]
    assert area["typ"] == "Övning"
    assert area["namn"].startswith("ÖVNING")
    assert all(r["titel"].startswith("ÖVNING") for r in node_store(node).requests.values())


async def test_delivering_everything_again_changes_nothing_on_the_node(
    api: Api, node: TestServer, channel: Channel, dsn: str
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **REPORT_1442))).status == 201
    await deliver_all(channel, dsn)
    store = node_store(node)
    before = (len(store.areas), len(store.requests), len(store.answers), len(store.changes))
    await deliver_all(channel, dsn)
    after = (len(store.areas), len(store.requests), len(store.answers), len(store.changes))
    assert after == before == (1, 1, 1, 3)
    # The second pass: area and answer again (dropped by the node as repeats); the
    # request, which the channel saw the node take, is not sent again at all.
    assert store.duplicates == 2


async def test_a_node_that_is_down_fails_delivery_for_a_retry(
    api: Api,
    settings: Settings,
    session: aiohttp.ClientSession,
    app: web.Application,
    dsn: str,
) -> None:
    await api.activate()
    down = with_changes(settings, wis_url=f"http://127.0.0.1:{free_port()}")
    channel = wis_channel(down, session, app[keys.pool])
    (message,) = await outbox(dsn)
    with pytest.raises(DeliveryFailed) as failed:
        await channel.deliver(message)
    assert failed.value.permanent is False


async def test_a_refused_token_is_a_permanent_failure(
    api: Api,
    settings: Settings,
    session: aiohttp.ClientSession,
    app: web.Application,
    dsn: str,
) -> None:
    await api.activate()
    wrong = with_changes(settings, wis_token="not-a-node-token")
    (message,) = await outbox(dsn)
    with pytest.raises(DeliveryFailed) as failed:
        await wis_channel(wrong, session, app[keys.pool]).deliver(message)
    assert failed.value.permanent is True


async def test_answers_entered_on_the_node_become_reports_in_the_picture(
    api: Api,
    app: web.Application,
    node: TestServer,
    channel: Channel,
    dsn: str,
    session: aiohttp.ClientSession,
    settings: Settings,
) -> None:
    incident = await api.activate()
    await deliver_all(channel, dsn)
    answer = {
        "lägestidpunkt": "2026-11-22T11:50:00Z",
        "påverkan": [
            {"sektor": "Transporter", "nivå": "Betydande", "kommentar": "Väg 42 avstängd"},
            {"sektor": "El och värme", "nivå": "Måttlig"},
        ],
        "tillstånd": "Träd över vägar",
        "händelseutveckling": "Röjning pågår",
        "förväntad_utveckling": "Förbättras",
        "vidtagna_åtgärder": "Röjning\n\nOmledning av trafik",
        "planerade_åtgärder": "",
    }
    status, stored_answer = await node_answer(node, TOKEN_1443, incident["id"], answer, "m-1")
    assert status == 201
    client = NodeClient(session, str(settings.wis_url), NODE_TOKEN, timeout=5)
    polled = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
    assert len(polled.stored) == 1

    picture = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/picture", as_=("LST-14", "viewer")
    )
    org = picture.body["organisations"]["1443"]
    assert org["sectors"] == {"transport": "significant", "energy": "moderate"}
    assert org["impact"] == "significant"
    assert org["trend"] == "improving"
    history = await api.call(
        "GET",
        f"/api/v1/incidents/{incident['id']}/reports?organisation=1443",
        as_=("LST-14", "viewer"),
    )
    (stored,) = history.body["reports"]
    # Not the id anyone could derive from the node's answer id (a reporter could take it).
    assert stored["report_id"] != str(mapping.report_id_for_answer(stored_answer["id"]))
    assert stored["submitted_by"] == "WIS-nod: Bollebygd"  # SCB 1443, from Lägesbild's list
    assert stored["situation"] == "Träd över vägar"
    assert stored["measures_taken"] == ["Röjning", "Omledning av trafik"]
    assert stored["as_of"].startswith("2026-11-22T11:50:00")

    # Read again from the start: nothing new. And the report is not sent back to the node.
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM exchange_cursors")
    finally:
        await conn.close()
    again = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
    assert again.stored == []
    assert again.repeats == 1
    assert [m.kind for m in await outbox(dsn)] == ["incident.activated"]


async def test_answers_lagesbild_posted_on_an_actors_behalf_are_not_read_back(
    api: Api,
    app: web.Application,
    node: TestServer,
    channel: Channel,
    dsn: str,
    session: aiohttp.ClientSession,
    settings: Settings,
) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", **REPORT_1442))).status == 201
    await deliver_all(channel, dsn)
    client = NodeClient(session, str(settings.wis_url), NODE_TOKEN, timeout=5)
    polled = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
    assert polled.stored == []
    history = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/reports", as_=("LST-14", "viewer")
    )
    assert len(history.body["reports"]) == 1


async def test_an_answer_from_a_non_participant_is_passed_over(
    api: Api,
    app: web.Application,
    node: TestServer,
    channel: Channel,
    dsn: str,
    session: aiohttp.ClientSession,
    settings: Settings,
) -> None:
    incident = await api.activate(participants=["1440", "1442"])
    await deliver_all(channel, dsn)
    status, _ = await node_answer(
        node, TOKEN_1443, incident["id"], {"tillstånd": "Vi är inte med"}, "m-2"
    )
    assert status == 201
    client = NodeClient(session, str(settings.wis_url), NODE_TOKEN, timeout=5)
    polled = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
    assert polled.stored == []
    assert polled.skipped == 1
    again = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
    assert again.skipped == 0  # the cursor moved past it


async def test_the_mock_node_drops_repeated_message_ids(
    api: Api, node: TestServer, channel: Channel, dsn: str
) -> None:
    incident = await api.activate()
    await deliver_all(channel, dsn)
    body = {"tillstånd": "Lugnt"}
    first = await node_answer(node, TOKEN_1443, incident["id"], body, "same-id")
    second = await node_answer(node, TOKEN_1443, incident["id"], body, "same-id")
    assert first[0] == 201
    assert second == (200, {"duplicate": True})
    assert len(node_store(node).answers) == 1
    for_another = await node_answer(node, TOKEN_1443, incident["id"], {"aktör": "1444"}, "other-id")
    assert for_another[0] == 403
    unknown = await node_answer(node, "wrong", incident["id"], body, "third-id")
    assert unknown[0] == 401
    async with aiohttp.ClientSession() as page, page.get(node.make_url("/")) as response:
        text = await response.text()
    assert "WIS-nod" in text
    assert "Storm i Sjuhärad" in text
    assert "1 dubbletter avvisade" in text


async def test_a_node_configured_later_receives_what_active_incidents_said_so_far(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    plain = with_changes(settings, wis_url=None, wis_token=None)
    async with served(create_app(plain, dsn=dsn, clock=clock), dsn) as plain_api:
        active = await plain_api.activate()
        assert (await plain_api.submit(active["id"], report("1442", situation="Snö"))).status == 201
        closed = await plain_api.activate(title="Redan avslutad")
        reply = await plain_api.call(
            "POST",
            f"/api/v1/incidents/{closed['id']}/close",
            as_=("LST-14", "duty_officer"),
            json_body={"summary": "Klart"},
        )
        assert reply.status == 200
    assert await outbox(dsn) == []
    for _ in range(2):  # the second start is no new subscription: nothing more
        async with served(create_app(settings, dsn=dsn, clock=clock), dsn):
            pass
        messages = await outbox(dsn)
        assert [m.message_id for m in messages] == [f"{active['id']}:1", f"{active['id']}:2"]


async def test_the_app_polls_the_node_and_the_answer_reaches_the_live_picture(
    settings: Settings,
    dsn: str,
    clock: FixedClock,
    node: TestServer,
    session: aiohttp.ClientSession,
) -> None:
    polling = with_changes(settings, wis_poll_seconds=0.05)
    app = create_app(polling, dsn=dsn, clock=clock)
    async with served(app, dsn) as live:
        incident = await live.activate()
        channel = wis_channel(polling, session, app[keys.pool])
        await deliver_all(channel, dsn)
        status, _ = await node_answer(
            node,
            TOKEN_1443,
            incident["id"],
            {"påverkan": [{"sektor": "Transporter", "nivå": "Kritisk"}]},
            "live-1",
        )
        assert status == 201
        while True:  # the test's own timeout bounds this
            picture = await live.call(
                "GET", f"/api/v1/incidents/{incident['id']}/picture", as_=("LST-14", "viewer")
            )
            if picture.body["organisations"]["1443"].get("impact") == "critical":
                break
            await asyncio.sleep(0.05)
        assert picture.body["sectors"]["transport"]["worst"] == "critical"
        # The hub may fold the stored event (via the database's notify) before the poll
        # that stored it has returned and counted it: wait for the count as well.
        stored = 'lagesbild_exchange_imports_total{outcome="stored",source="wis"} 1.0'
        while True:
            if stored in (await live.call("GET", "/metrics")).body:
                break
            await asyncio.sleep(0.05)


async def test_a_node_may_push_an_answer_with_an_adapter_token(
    api: Api, node: TestServer, channel: Channel, dsn: str
) -> None:
    incident = await api.activate()
    await deliver_all(channel, dsn)
    status, answer = await node_answer(
        node,
        TOKEN_1443,
        incident["id"],
        {"tillstånd": "Lugnt", "påverkan": [{"sektor": "Övrigt", "nivå": "Ingen"}]},
        "push-1",
    )
    assert status == 201
    path = "/api/v1/exchange/wis/answers"
    assert_problem(await api.call("POST", path, json_body=answer), 401)
    assert_problem(await api.call("POST", path, as_=("1443", "reporter"), json_body=answer), 403)
    node_token: Who = ("MSB", "adapter")
    county = Scope(county="14")  # the node speaks for the county's actors
    elsewhere_node = Scope(organisations=frozenset({"1442"}))
    assert_problem(
        await api.call("POST", path, as_=node_token, json_body=answer), 403, "wrong-organisation"
    )  # a token without a scope speaks for its own organisation alone
    assert_problem(
        await api.call("POST", path, as_=node_token, scope=elsewhere_node, json_body=answer),
        403,
        "wrong-organisation",
    )
    first = await api.call("POST", path, as_=node_token, scope=county, json_body=answer)
    assert first.status == 201, first.body
    assert first.body["organisation"] == "1443"
    assert first.body["sectors"] == [{"sector": "other", "status": "none", "text": ""}]
    again = await api.call("POST", path, as_=node_token, scope=county, json_body=answer)
    assert again.status == 200
    assert again.body["report_id"] == first.body["report_id"]
    on_behalf = {**answer, "inlagd_av": "lagesbild", "id": "other"}
    assert_problem(
        await api.call("POST", path, as_=node_token, scope=county, json_body=on_behalf), 422
    )
    elsewhere = {**answer, "yta": str(uuid.uuid4()), "id": "elsewhere"}
    assert_problem(
        await api.call("POST", path, as_=node_token, scope=county, json_body=elsewhere), 404
    )
    # Not sent back to the node: the only outbox message is the activation.
    assert [m.kind for m in await outbox(dsn)] == ["incident.activated"]


async def test_the_poller_reads_to_the_end_and_starts_over_when_the_node_does(
    api: Api,
    app: web.Application,
    node: TestServer,
    channel: Channel,
    dsn: str,
    session: aiohttp.ClientSession,
    settings: Settings,
) -> None:
    incident = await api.activate()
    await deliver_all(channel, dsn)  # 2 log entries: area, request
    client = NodeClient(session, str(settings.wis_url), NODE_TOKEN, timeout=5)
    status, _ = await node_answer(node, TOKEN_1443, incident["id"], {"tillstånd": "A"}, "r-1")
    assert status == 201
    polled = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now(), batch=1)
    assert len(polled.stored) == 1  # three pages of one entry each

    # The node restarts with an empty log; its next answer is seq 1 again.
    store = node_store(node)
    store.changes.clear()
    status, _ = await node_answer(node, TOKEN_1444, incident["id"], {"tillstånd": "B"}, "r-2")
    assert status == 201
    polled = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
    assert len(polled.stored) == 1
    history = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/reports", as_=("LST-14", "viewer")
    )
    assert {r["organisation"] for r in history.body["reports"]} == {"1443", "1444"}
