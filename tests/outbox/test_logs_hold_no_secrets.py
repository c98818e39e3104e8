"""No secret and no word a user wrote ever reaches a log line.

One scenario as a day of use would run it, with production's JSON logs at DEBUG and every
library logger at DEBUG too, all captured: a person logs in (and once mistypes the
password), opens the live stream, reporters send reports whose every free-text field is
a marker, the county board exports the incident in every format, a reminder goes out by
e-mail to a real SMTP server, the reports reach a WIS-style node through the outbox, and
the person logs out. Then the captured output is searched for every secret and every
marker sent.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.wis.mock import Actor, create_mock_app, store_of
from service import keys
from service.clock import FixedClock
from service.config import Settings
from service.demo.ports import free_port
from tests.logcapture import capture_library_logs, use_json_logs
from tests.outbox.support import Outbox, SmtpSink
from tests.rounds.support import add_contacts, at
from tests.settings import with_changes
from tests.stream.wsclient import Streams
from tests.support import Api, Who, report
from tests.web.support import PASSWORD, Browser, add_user

NODE_TOKEN = "wis-node-token-" + uuid.uuid4().hex
VIEWER: Who = ("LST-14", "viewer")


@pytest.fixture
async def node() -> AsyncIterator[tuple[str, web.Application]]:
    """A WIS-style node on a local port, knowing Lägesbild by a token of its own."""
    mock = create_mock_app({NODE_TOKEN: Actor("lagesbild", "Lägesbild", system=True)})
    server = TestServer(mock, host="127.0.0.1", port=free_port())
    await server.start_server()
    yield str(server.make_url("")), mock
    await server.close()


@pytest.fixture
def settings(settings: Settings, node: tuple[str, web.Application]) -> Settings:
    return with_changes(settings, wis_url=node[0], wis_token=NODE_TOKEN, wis_poll_seconds=3600.0)


def marker(field: str) -> str:
    """A free text nobody else writes: found in a log only if that field was logged."""
    return f"{field}-{uuid.uuid4().hex}"


def filled_report(organisation: str, markers: list[str]) -> dict[str, Any]:
    """A report with a marker in every free-text field the contract has."""

    def text(field: str) -> str:
        value = marker(field)
        markers.append(value)
        return value

    return report(
        organisation,
        situation=text("situation"),
        development={"trend": "worsening", "text": text("development")},
        sectors=[{"sector": "energy", "status": "serious", "text": text("sector")}],
        measures_taken=[text("taken")],
        measures_planned=[text("planned")],
        needs=[{"need_id": "gen-1", "text": text("need"), "urgency": "high"}],
        management={"level": "staff", "text": text("management")},
        public_information=text("public"),
        contact={
            "name": text("name"),
            "phone": "+46 " + str(uuid.uuid4().int)[:9],
            "email": f"{text('mail')}@vargarda.example.se",
        },
    )


@pytest.mark.usefixtures("restore_logging")
async def test_a_day_of_use_leaves_no_secret_and_no_report_text_in_any_log(
    api: Api,
    app: web.Application,
    server: TestServer,
    outbox: Outbox,
    smtp: tuple[SmtpSink, int],
    node: tuple[str, web.Application],
    clock: FixedClock,
    dsn: str,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_json_logs(settings)
    # aiosmtpd's "mail.log" is the test's receiving mail server, logging what it receives.
    capture_library_logs(peers=("mail.log",))
    capsys.readouterr()
    secrets: list[str] = [NODE_TOKEN, PASSWORD]
    markers: list[str] = []

    # A person logs in: once with a mistyped password, then for real.
    await add_user(dsn, "tib@lst14.example.se", role="duty_officer")
    async with Browser(server) as browser:
        wrong = "fel-" + uuid.uuid4().hex
        secrets.append(wrong)
        _, refused = await browser.post_login("tib@lst14.example.se", wrong)
        assert refused.status in (401, 422), refused.body
        cookie = await browser.login("tib@lst14.example.se")
        csrf = await browser.session_csrf()
        secrets += [cookie, csrf]
        live = await browser.ws()

        # An incident, its reporters and a reminder contact.
        incident = await api.activate(title=marker("title"), exercise=True)
        markers.append(incident["title"])
        incident_id = incident["id"]
        contact = f"{marker('contact')}@bollebygd.example.se"
        markers.append(contact)
        await add_contacts(api, {"1443": contact})
        await live.send_json({"type": "subscribe", "topic": f"incident:{incident_id}"})

        async with Streams(api) as streams:
            viewer = await streams.open(*VIEWER)
            await viewer.subscribe(f"incident:{incident_id}")
            await viewer.expect("snapshot")
            for organisation in ("1442", "1440"):
                reply = await api.submit(incident_id, filled_report(organisation, markers))
                assert reply.status == 201, reply.body
            frames = await viewer.events(2, f"incident:{incident_id}")
            assert len(frames) == 2

        # Every token the API handed out is a secret too.
        whom: list[Who] = [("1442", "reporter"), ("1440", "reporter"), VIEWER]
        for organisation, role in whom:
            secrets.append(await api.token(organisation, role))

        for form in ("json", "csv", "html", "edxl"):
            exported = await api.call(
                "GET", f"/api/v1/incidents/{incident_id}/export?format={form}", as_=VIEWER
            )
            assert exported.status == 200, (form, exported.body)

        # The reminder before the 14:00 deadline, by e-mail to a real SMTP server, and
        # the reports to the WIS-style node, both through the outbox worker.
        clock.set(at("2026-11-22T13:30"))
        await app[keys.rounds_job].run_due(clock.now())
        for _ in range(10):
            if await outbox.worker.run_once() == 0:
                break
        sink, _port = smtp
        assert [mail.recipients for mail in sink.received] == [[contact]]
        answers = store_of(node[1]).answers.values()
        assert {answer["tillstånd"] for answer in answers} >= {
            m for m in markers if m.startswith("situation")
        }

        logged_out = await browser.logout(csrf)
        assert logged_out.status == 303, logged_out.body
        await live.close()

    captured = capsys.readouterr()
    everything = captured.err + captured.out
    entries = [json.loads(line) for line in everything.splitlines() if line.startswith("{")]
    events = {entry.get("event") for entry in entries}
    # The logs were captured (so the search below means something): requests, the stream,
    # the outbox's deliveries and the libraries' own lines are all in them.
    assert "http.request" in events, sorted(map(str, events))
    assert any(str(event).startswith("outbox.") for event in events), sorted(map(str, events))
    assert "aiohttp.access" in everything
    for secret in secrets:
        assert secret not in everything, f"a secret is in the logs: {secret[:6]}…"
    for text in markers:
        assert text not in everything, f"a user's text is in the logs: {text}"
