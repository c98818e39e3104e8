"""Reminders all the way out: rounds enqueue them, the worker delivers them by e-mail to a
real SMTP server and as signed JSON to an organisation's webhook."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.outbox import webhooks
from service.outbox.email_channel import EmailPayload, build, flatten
from service.outbox.repo import OutboxMessage
from tests.outbox.support import Outbox, Receiver, SmtpSink
from tests.rounds.support import add_contacts, at
from tests.support import T0, Api, report


async def test_reminder_before_a_deadline_arrives_by_email_and_webhook(
    api: Api,
    app: web.Application,
    clock: FixedClock,
    outbox: Outbox,
    smtp: tuple[SmtpSink, int],
    receivers: Callable[..., Awaitable[Receiver]],
) -> None:
    sink, _port = smtp
    receiver = await receivers()
    await add_contacts(api, {"1442": "isk@vargarda.example.se"})
    hook = await outbox.webhook("1443", receiver.url)
    incident = await api.activate(title="Storm Ylva", exercise=True)
    assert (await api.submit(incident["id"], report("1440"))).status == 201

    clock.set(at("2026-11-22T13:30"))  # 30 minutes before the 14:00 deadline
    await app[keys.rounds_job].run_due(clock.now())
    assert await outbox.worker.run_once() == 2

    [mail] = sink.received
    assert mail.recipients == ["isk@vargarda.example.se"]
    assert mail.message["Subject"].startswith("ÖVNING")
    assert isinstance(mail.message, EmailMessage)
    assert "2026-11-22 14:00" in mail.message.get_content()

    [posted] = receiver.received
    body = json.loads(posted.body)
    assert body["type"] == "reminder.before"
    assert body["organisation"] == "1443"
    assert body["incident_id"] == incident["id"]
    assert body["exercise"] is True
    assert body["due_at"] == "2026-11-22T13:00:00Z"
    signature = posted.headers[webhooks.SIGNATURE_HEADER]
    assert webhooks.verify_signature(hook.secret, signature, posted.body, clock.now(), 300)


def test_a_long_swedish_subject_arrives_whole() -> None:
    subject = (
        "ÖVNING Färgelanda (1439) har missat två rapporteringstider – ÖVNING Storm Västra Götaland"
    )
    message = OutboxMessage(
        id=1,
        message_id="reminder:x",
        destination="email",
        kind="reminder.escalation",
        incident_id=None,
        payload={},
        created_at=T0,
        attempts=1,
    )
    payload = EmailPayload(to=["tib@lst14.example.se"], subject=subject, text="Hej")
    mail = build(message, payload, sender="lagesbild@lst14.example.se", clock=FixedClock(T0))
    parsed = message_from_bytes(flatten(mail), policy=policy.default)
    assert parsed["Subject"] == subject
