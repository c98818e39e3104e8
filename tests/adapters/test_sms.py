"""Reports by SMS: the gateway's signed webhook call stores the report the text carries,
the reply goes back signed through the outbox, and a message delivered twice (same id,
or same text from the same number within the window) is one report."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.sms.demo import DEMO_PHONE, demo_part
from service import keys
from service.app import create_app
from service.clock import FixedClock, SystemClock
from service.config import Settings
from service.demo.ports import free_port
from service.domain.plaintext import incident_code
from service.outbox import webhooks
from tests.adapters.sms_support import (
    PHONE_1442,
    SECRET,
    count,
    deliver,
    register_phone,
    sms,
)
from tests.command import lagesbild
from tests.outbox.support import OUTBOX_LIMITS, Receiver, payload_json, receiver_app
from tests.settings import with_changes
from tests.stream.wsclient import Streams
from tests.support import Api, Who, assert_problem, served

VIEWER: Who = ("LST-14", "viewer")


@pytest.fixture
def gateway_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, gateway_port: int) -> Settings:
    return with_changes(
        settings,
        **OUTBOX_LIMITS,
        sms_secret=SECRET,
        sms_gateway_url=f"http://127.0.0.1:{gateway_port}/hook",
    )


@pytest.fixture
async def gateway(gateway_port: int) -> AsyncIterator[Receiver]:
    """The gateway's side of the replies: a real HTTP server keeping what it is sent."""
    receiver = Receiver(url=f"http://127.0.0.1:{gateway_port}/hook")
    server = TestServer(receiver_app(receiver), host="127.0.0.1", port=gateway_port)
    await server.start_server()
    yield receiver
    await server.close()


@pytest.fixture
async def streams(api: Api) -> AsyncIterator[Streams]:
    opened = Streams(api)
    yield opened
    await opened.aclose()


async def reports_of(api: Api, incident_id: str) -> list[dict[str, object]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/reports", as_=VIEWER)
    assert reply.status == 200, reply.body
    found: list[dict[str, object]] = reply.body["reports"]
    return found


async def test_an_sms_from_a_registered_number_stores_the_report_and_the_wall_sees_it_live(
    api: Api, dsn: str, clock: FixedClock, streams: Streams
) -> None:
    incident = await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    topic = f"incident:{incident['id']}"
    wall = await streams.open(*VIEWER)
    await wall.subscribe(topic)
    await wall.expect("snapshot", topic)

    reply = await deliver(
        api, sms("Läge: Träd över vägen vid Ornunga.\nEl och värme: allvarlig"), at=clock.now()
    )

    assert reply.status == 200, reply.body
    assert reply.body["outcome"] == "stored"
    stored = reply.body["report"]
    assert stored["organisation"] == "1442"
    assert stored["situation"] == "Träd över vägen vid Ornunga."
    assert stored["sectors"][0]["sector"] == "energy"
    assert stored["submitted_by"] == f"SMS {PHONE_1442}"
    (event,) = await wall.events(1, topic)
    assert event["event"]["kind"] == "report.submitted"
    assert event["event"]["data"]["report"]["report_id"] == stored["report_id"]
    assert event["patch"]["organisations"]["1442"]["report_id"] == stored["report_id"]
    code = incident_code(uuid.UUID(incident["id"]))
    (text,) = reply.body["reply"]["parts"]
    assert text.startswith("Lägesbild: rapport mottagen från Vårgårda för " + code)
    assert "version 1" in text


async def test_the_same_message_id_twice_stores_one_report(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    first = await deliver(api, sms("Läge: lugnt", message_id="gw-17"), at=clock.now())
    clock.set(clock.now() + timedelta(hours=3))  # a gateway retrying much later
    again = await deliver(api, sms("Läge: lugnt", message_id="gw-17"), at=clock.now())

    assert first.body["outcome"] == "stored"
    assert again.status == 200, again.body
    assert again.body["outcome"] == "repeat"
    assert again.body["report"]["report_id"] == first.body["report"]["report_id"]
    assert len(await reports_of(api, incident["id"])) == 1


async def test_the_same_text_from_the_same_number_within_the_window_is_one_report(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    await deliver(api, sms("Läge: lugnt\n", message_id="a"), at=clock.now())
    clock.set(clock.now() + timedelta(minutes=20))
    # Another message id (the phone sent it twice), the same text but for whitespace.
    second = await deliver(api, sms("  Läge: lugnt  ", message_id="b"), at=clock.now())

    assert second.body["outcome"] == "repeat", second.body
    assert "redan mottagen" in second.body["reply"]["parts"][0]
    assert len(await reports_of(api, incident["id"])) == 1

    clock.set(clock.now() + timedelta(hours=2))  # past the window: a new report
    later = await deliver(api, sms("Läge: lugnt", message_id="c"), at=clock.now())
    assert later.body["outcome"] == "stored"
    assert later.body["report"]["version"] == 2
    # From another registered number of the organisation, the same text is another report.
    await register_phone(dsn, "1442", "+46709999999")
    other = await deliver(
        api, sms("Läge: lugnt", message_id="d", sender="070-999 99 99"), at=clock.now()
    )
    assert other.body["outcome"] == "stored"
    assert len(await reports_of(api, incident["id"])) == 3


async def test_a_call_without_a_valid_current_signature_is_refused_and_stores_nothing(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    body = sms("Läge: lugnt")
    wrong_secret = await deliver(api, body, at=clock.now(), secret="not-the-secret")
    stale = await deliver(api, body, at=clock.now() - timedelta(minutes=6))
    unsigned = await deliver(api, body, at=clock.now(), signature="t=1")

    for reply in (wrong_secret, stale, unsigned):
        assert_problem(reply, 401, "bad-signature")
    assert await count(dsn, "SELECT count(*) FROM reports") == 0
    assert await count(dsn, "SELECT count(*) FROM sms_messages") == 0
    assert await count(dsn, "SELECT count(*) FROM outbox WHERE destination = 'sms'") == 0


async def test_a_body_not_of_the_documented_shape_is_422_and_stores_nothing(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    body = sms("Läge: lugnt")
    del body["message_id"]
    missing = await deliver(api, body, at=clock.now())
    assert_problem(missing, 422, loc=["message_id"])
    not_a_number = await deliver(api, sms("Läge: lugnt", sender="Vårgårda"), at=clock.now())
    assert_problem(not_a_number, 422, loc=["from"])
    assert await count(dsn, "SELECT count(*) FROM sms_messages") == 0


async def test_an_unknown_number_gets_no_reply_and_stores_nothing(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    await api.activate()
    reply = await deliver(api, sms("Läge: lugnt", sender="+46705550000"), at=clock.now())
    assert reply.status == 200, reply.body
    assert reply.body == {"outcome": "unknown-sender", "report": None, "reply": None}
    assert await count(dsn, "SELECT count(*) FROM reports") == 0
    assert await count(dsn, "SELECT count(*) FROM outbox WHERE destination = 'sms'") == 0


async def test_an_unreadable_text_stores_nothing_and_the_reply_names_the_line(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    incident = await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    reply = await deliver(api, sms("Läge: lugnt\nEl och värme: hemskt"), at=clock.now())
    assert reply.body["outcome"] == "refused"
    text = " ".join(reply.body["reply"]["parts"])
    assert "inget sparat" in text
    assert "Rad 2" in text
    assert await reports_of(api, incident["id"]) == []


async def test_two_incidents_the_text_names_one_by_its_code(
    api: Api, dsn: str, clock: FixedClock
) -> None:
    first = await api.activate()
    second = await api.activate(title="Vattenläcka i Alingsås")
    await register_phone(dsn, "1442", PHONE_1442)
    unnamed = await deliver(api, sms("Läge: lugnt", message_id="x"), at=clock.now())
    assert unnamed.body["outcome"] == "refused"
    assert "flera händelser" in unnamed.body["reply"]["parts"][0]

    code = incident_code(uuid.UUID(second["id"]))
    named = await deliver(
        api, sms(f"Händelse: {code.lower()}\nLäge: lugnt", message_id="y"), at=clock.now()
    )
    assert named.body["outcome"] == "stored", named.body
    assert named.body["report"]["incident_id"] == second["id"]
    assert await reports_of(api, first["id"]) == []


async def test_the_reply_reaches_the_gateway_signed_through_the_outbox(
    api: Api, app: web.Application, dsn: str, clock: FixedClock, gateway: Receiver
) -> None:
    await api.activate()
    await register_phone(dsn, "1442", PHONE_1442)
    reply = await deliver(api, sms("Läge: lugnt", message_id="gw-1"), at=clock.now())
    assert reply.body["outcome"] == "stored"

    assert await app[keys.outbox_worker].run_once() == 1
    (sent,) = gateway.received
    assert sent.message_id == "sms-reply:gw-1/1"
    header = sent.headers[webhooks.SIGNATURE_HEADER]
    assert webhooks.verify_signature(SECRET, header, sent.body, clock.now())
    body = payload_json(sent.body)
    assert body == {
        "message_id": "sms-reply:gw-1/1",
        "to": PHONE_1442,
        "text": reply.body["reply"]["parts"][0],
    }

    # The gateway retries its call: the reply is not sent twice.
    again = await deliver(api, sms("Läge: lugnt", message_id="gw-1"), at=clock.now())
    assert again.body["outcome"] == "repeat"
    assert await app[keys.outbox_worker].run_once() == 0
    assert len(gateway.received) == 1


async def test_without_a_secret_the_webhook_does_not_exist(
    settings: Settings, dsn: str, clock: FixedClock, tmp_path: Path
) -> None:
    unset = with_changes(settings, sms_secret=None, sms_gateway_url=None)
    async with served(create_app(unset, dsn=dsn, clock=clock), dsn) as api:
        reply = await deliver(api, sms("Läge: lugnt"), at=clock.now())
    assert_problem(reply, 404, "not-found")


async def test_sms_send_delivers_a_signed_sms_from_a_shell(
    settings: Settings, dsn: str, tmp_path: Path
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")
    async with served(create_app(settings, dsn=dsn, clock=SystemClock()), dsn) as api:
        incident = await api.activate()
        await register_phone(dsn, "1442", PHONE_1442)
        sent = await lagesbild(
            "sms-send", "--url", api.base, "--secret-file", str(secret_file),
            "--from", "070-123 45 67", "Läge: Vägarna farbara",
            database_url=dsn, data_dir=tmp_path,
        )  # fmt: skip
        assert sent.code == 0, sent.err
        answer = json.loads(sent.out)
        assert answer["outcome"] == "stored"
        assert answer["report"]["incident_id"] == incident["id"]
        unsigned = await lagesbild(
            "sms-send", "--url", api.base, "--from", PHONE_1442, "Läge: lugnt",
            database_url=dsn, data_dir=tmp_path,
        )  # fmt: skip
        assert unsigned.code == 2  # no secret given


async def test_the_demo_keeps_a_secret_and_registers_a_number_for_ale(
    settings: Settings, dsn: str, clock: FixedClock, tmp_path: Path
) -> None:
    part = demo_part(with_changes(settings, sms_secret=None), tmp_path)
    assert part is not None
    secret = (tmp_path / "demo-sms-secret.txt").read_text().strip()
    assert part.settings.sms_secret == secret
    assert demo_part(with_changes(settings, sms_secret=None), tmp_path) is not None
    assert (tmp_path / "demo-sms-secret.txt").read_text().strip() == secret  # kept
    app = create_app(part.settings, dsn=dsn, clock=clock)
    assert part.attach is not None
    part.attach(app)
    async with served(app, dsn) as api:
        await api.activate(participants=["1440", "1442"])
        reply = await deliver(
            api, sms("Läge: Vägarna farbara", sender=DEMO_PHONE), at=clock.now(), secret=secret
        )
    assert reply.body["outcome"] == "stored", reply.body
    assert reply.body["report"]["organisation"] == "1440"
