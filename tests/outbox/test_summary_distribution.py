"""A published summary goes through the outbox, at least once, to each of the county's
recipients: e-mail (text and the HTML page) to a real SMTP server, a signed webhook, the
mock WIS node (as the area's summary post) and the national installation's EDXL import;
exactly once each, and it survives a receiver that is down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from email.message import EmailMessage

import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from lxml import etree

from adapters.edxl import codec
from adapters.wis.mock import Actor, create_mock_app, store_of
from service.config import Settings
from service.demo.ports import free_port
from service.outbox import webhooks
from service.repo import summaries as summary_repo
from tests.outbox.support import Outbox, Receiver, SmtpSink, payload_json
from tests.settings import with_changes
from tests.support import Api, Who

BOARD: Who = ("LST-14", "duty_officer")
NODE_TOKEN = "node-token-lagesbild"
NATIONAL_TOKEN = "lgb_national_token_for_tests"


class Node:
    """The mock WIS node on a local port chosen up front."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_mock_app({NODE_TOKEN: Actor("lagesbild", "Lägesbild", system=True)})
        self.server: TestServer | None = None

    async def start(self) -> None:
        self.server = TestServer(self.app, host="127.0.0.1", port=self.port)
        await self.server.start_server()


@pytest.fixture
async def node() -> AsyncIterator[Node]:
    mock = Node()
    await mock.start()
    yield mock
    if mock.server is not None:
        await mock.server.close()


@pytest.fixture
def national_port() -> int:
    return free_port()


@pytest.fixture
def settings(settings: Settings, node: Node, national_port: int) -> Settings:
    return with_changes(
        settings,
        wis_url=node.url,
        wis_token=NODE_TOKEN,
        wis_poll_seconds=3600.0,
        national_url=f"http://127.0.0.1:{national_port}/hook",
        national_token=NATIONAL_TOKEN,
    )


async def recipients(dsn: str, outbox: Outbox, hook_url: str) -> int:
    """The county's recipients: an e-mail address and a webhook; the webhook's id."""
    hook = await outbox.webhook("LST-14", hook_url)
    conn = await asyncpg.connect(dsn)
    try:
        at = outbox.clock.now()
        await summary_repo.add_recipient(
            conn, county="14", email="tib@msb.example", webhook_id=None, at=at
        )
        await summary_repo.add_recipient(conn, county="14", email=None, webhook_id=hook.id, at=at)
    finally:
        await conn.close()
    return hook.id


async def publish(api: Api, incident_id: str) -> dict[str, object]:
    path = f"/api/v1/incidents/{incident_id}/summaries"
    await api.call(
        "PUT",
        path + "/draft",
        as_=BOARD,
        headers={"If-Match": '"0"'},
        json_body={
            "assessment": "Elavbrott i Sjuhärad.",
            "requests": [{"id": "gen", "text": "Reservkraft", "urgency": "high"}],
        },
    )
    reply = await api.call("POST", path, as_=BOARD)
    assert reply.status == 201, reply.body
    body: dict[str, object] = reply.body
    return body


async def deliveries(api: Api, incident_id: str, number: int) -> dict[str, str]:
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident_id}/summaries/{number}/deliveries", as_=BOARD
    )
    assert reply.status == 200, reply.body
    return {d["recipient"]: d["status"] for d in reply.body["deliveries"]}


async def test_a_summary_reaches_every_recipient_exactly_once(
    api: Api,
    outbox: Outbox,
    dsn: str,
    smtp: tuple[SmtpSink, int],
    receivers: Callable[..., Awaitable[Receiver]],
    node: Node,
    national_port: int,
) -> None:
    hook = await receivers()
    national = await receivers(port=national_port)
    hook_id = await recipients(dsn, outbox, hook.url)
    incident = await api.activate(exercise=True, title="Storm i Sjuhärad")
    await publish(api, incident["id"])
    await outbox.passes_until_quiet()
    await outbox.passes_until_quiet()  # nothing more goes anywhere

    sink = smtp[0]
    mails = [m for m in sink.received if "Samlad lägesbild" in str(m.message["Subject"])]
    assert len(mails) == 1
    mail = mails[0].message
    assert isinstance(mail, EmailMessage)
    assert mails[0].recipients == ["tib@msb.example"]
    assert str(mail["Subject"]).startswith("ÖVNING: Samlad lägesbild nr 1 – Storm i Sjuhärad")
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Elavbrott i Sjuhärad." in text.get_content()
    assert "ÖVNING" in html.get_content()
    assert "Begäran till nationell nivå" in html.get_content()

    summaries_on_hook = [
        r for r in hook.received if r.headers[webhooks.KIND_HEADER] == "summary.published"
    ]
    assert len(summaries_on_hook) == 1
    body = payload_json(summaries_on_hook[0].body)
    assert body["number"] == 1
    assert body["exercise"] is True
    assert body["summary"]["assessment"] == "Elavbrott i Sjuhärad."
    assert summaries_on_hook[0].headers[webhooks.SIGNATURE_HEADER].startswith("t=")

    posts = [p for p in store_of(node.app).posts.values() if p.get("nummer") == 1]
    assert len(posts) == 1
    assert posts[0]["typ"] == "Sammanställning"
    assert posts[0]["titel"] == "ÖVNING: Samlad lägesbild nr 1"
    assert "Reservkraft" in posts[0]["text"]

    assert len(national.received) == 1
    assert national.received[0].headers["Authorization"] == f"Bearer {NATIONAL_TOKEN}"
    envelope = etree.fromstring(national.received[0].body)
    assert envelope.findtext(f"{{{codec.DE}}}distributionStatus") == "Exercise"
    assert envelope.findtext(f"{{{codec.DE}}}senderID") == "LST-14"

    assert await deliveries(api, incident["id"], 1) == {
        "tib@msb.example": "delivered",
        f"webhook:{hook_id}": "delivered",
        "wis": "delivered",
        "national": "delivered",
    }


async def test_a_receiver_that_is_down_gets_the_summary_once_it_is_back(
    api: Api,
    outbox: Outbox,
    dsn: str,
    receivers: Callable[..., Awaitable[Receiver]],
    national_port: int,
) -> None:
    hook_port = free_port()
    hook_id = await recipients(dsn, outbox, f"http://127.0.0.1:{hook_port}/hook")
    incident = await api.activate()
    await publish(api, incident["id"])
    outbox.advance(1)
    await outbox.worker.run_once()
    down = await deliveries(api, incident["id"], 1)
    assert down[f"webhook:{hook_id}"] == "pending"
    assert down["national"] == "pending"
    reply = await api.call(
        "GET", f"/api/v1/incidents/{incident['id']}/summaries/1/deliveries", as_=BOARD
    )
    failed = [d for d in reply.body["deliveries"] if d["recipient"] == "national"]
    assert failed[0]["attempts"] >= 1
    assert failed[0]["last_error"]

    hook = await receivers(port=hook_port)
    national = await receivers(port=national_port)
    await outbox.passes_until_quiet()
    assert (
        len([r for r in hook.received if r.headers[webhooks.KIND_HEADER] == "summary.published"])
        == 1
    )
    assert len(national.received) == 1
    back = await deliveries(api, incident["id"], 1)
    assert back[f"webhook:{hook_id}"] == "delivered"
    assert back["national"] == "delivered"
