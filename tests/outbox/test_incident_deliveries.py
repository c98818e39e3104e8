"""`GET /api/v1/incidents/{id}/deliveries`: the duty officer sees who was reminded of
what and when, through which channel, delivered or not, and every dead letter."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.outbox import repo
from tests.outbox.support import Outbox, Receiver, SmtpSink
from tests.rounds.support import add_contacts, at
from tests.support import Api, Who, assert_problem, report

VIEWER: Who = ("LST-14", "viewer")
DUTY: Who = ("LST-14", "duty_officer")


async def test_reminders_deliveries_and_dead_letters_of_the_incident(
    api: Api,
    app: web.Application,
    clock: FixedClock,
    outbox: Outbox,
    smtp: tuple[SmtpSink, int],
    receivers: Callable[..., Awaitable[Receiver]],
) -> None:
    receiver = await receivers()
    await add_contacts(api, {"1442": "isk@vargarda.example.se"})
    hook = await outbox.webhook("1443", receiver.url)
    incident = await api.activate(title="Storm\u2028Ylva")
    other = await api.activate(title="Annan händelse")
    assert (await api.submit(incident["id"], report("1440"))).status == 201
    clock.set(at("2026-11-22T13:30"))
    await app[keys.rounds_job].run_due(clock.now())
    async with app[keys.pool].acquire() as conn, conn.transaction():
        # A message no channel can deliver: a dead letter at its first attempt.
        await repo.enqueue(
            conn,
            destination="email",
            kind="reminder.due",
            message_id="broken",
            payload={"to": ["inte en adress"], "subject": "x", "text": "y"},
            at=clock.now(),
            incident_id=uuid.UUID(incident["id"]),
        )
    await outbox.worker.run_once()

    reply = await api.call("GET", f"/api/v1/incidents/{incident['id']}/deliveries", as_=VIEWER)
    assert reply.status == 200, reply.body
    view = reply.body
    by_recipient = {d["recipient"]: d for d in view["deliveries"]}
    mail = by_recipient["isk@vargarda.example.se"]
    assert mail["kind"] == "reminder.before"
    assert mail["channel"] == "email"
    assert mail["organisation"] == "1442"
    assert mail["due_at"] == "2026-11-22T13:00:00Z"
    assert mail["status"] == "delivered"
    assert mail["delivered_at"] is not None
    assert re.search(
        r"Storm Ylva \[[0-9A-Z]{3}-[0-9A-Z]{3}\]$", mail["what"]
    )  # the subject, on one line
    webhook = by_recipient[f"webhook {hook.id} (1443)"]
    assert webhook["channel"] == "webhook"
    assert webhook["status"] == "delivered"
    assert webhook["organisation"] == "1443"
    [dead] = view["dead"]
    assert dead["status"] == "dead"
    assert dead["last_error"]
    assert dead["recipient"] == "inte en adress"
    assert mail["organisation_name"] == "Vårgårda"
    assert view["counts"]["dead"] == 1
    assert view["counts"]["delivered"] >= 2
    # Another incident's messages are not in it.
    empty = await api.call("GET", f"/api/v1/incidents/{other['id']}/deliveries", as_=DUTY)
    assert {d["id"] for d in empty.body["deliveries"]}.isdisjoint(
        {d["id"] for d in view["deliveries"]}
    )
    assert all("Annan händelse" in d["what"] for d in empty.body["deliveries"])
    assert empty.body["dead"] == []


async def test_deliveries_are_not_for_reporters_or_other_counties(api: Api) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}/deliveries"
    assert_problem(await api.call("GET", path, as_=("1442", "reporter")), 403, "forbidden")
    assert_problem(await api.call("GET", path, as_=("LST-13", "duty_officer")), 404)
    assert (await api.call("GET", path, as_=DUTY)).status == 200
    assert (await api.call("GET", path, as_=("LST-14", "admin"))).status == 200
