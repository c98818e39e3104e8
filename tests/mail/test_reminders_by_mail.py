"""E-mail reminders carry the incident's short code and, when answers are read as
reports, the organisation's filled template: answering one reports."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.config import Settings
from service.domain.plaintext import incident_code
from service.metrics import Metrics
from service.rounds.job import RoundsJob
from tests.mail.support import CONTACT, answers, send
from tests.outbox.support import SmtpSink
from tests.rounds.support import at, log_of, outbox
from tests.settings import with_changes
from tests.stream.wsclient import Streams
from tests.support import Api, report

FILLED = {
    "situation": "Träd över vägarna.",
    "sectors": [{"sector": "energy", "status": "serious", "text": "300 hushåll"}],
    "contact": {"name": "ISK Vårgårda", "phone": "+46 322 600 000"},
}


async def remind(app: web.Application, clock: FixedClock, when: str) -> None:
    clock.set(at(when))
    await app[keys.rounds_job].run_due(clock.now())


async def reminder_to(dsn: str, address: str) -> dict[str, object]:
    [message] = [m for m in await outbox(dsn, "reminder.before") if m["payload"]["to"] == [address]]
    payload: dict[str, object] = message["payload"]
    return payload


def answer_to(reminder: dict[str, object], on_top: str, *, quoted: bool = True) -> EmailMessage:
    """The reply a mail program makes: the sender's lines, then the reminder quoted."""
    text = str(reminder["text"])
    body = on_top
    if quoted:
        body += "\n\nDen 22 nov. 2026 13:30 skrev Lägesbild <rapport@lst14.example.se>:\n"
        body += "".join(f"> {line}\n" if line else ">\n" for line in text.split("\n"))
    else:
        body += text
    message = EmailMessage()
    message["From"] = CONTACT
    message["To"] = str(reminder.get("reply_to"))
    message["Subject"] = f"Re: {reminder['subject']}"
    message["Message-ID"] = make_msgid(domain="vargarda.example.se")
    message.set_content(body)
    return message


async def test_an_email_reminder_carries_the_code_the_filled_template_and_asks_for_an_answer(
    api: Api, app: web.Application, clock: FixedClock, dsn: str, contact: str
) -> None:
    incident = await api.activate(title="Storm Ylva")
    code = incident_code(uuid.UUID(incident["id"]))
    clock.set(at("2026-11-22T13:10"))
    assert (await api.submit(incident["id"], report("1442", **FILLED))).status == 201

    await remind(app, clock, "2026-11-22T19:30")  # 1442 has not reported for 20:00

    reminder = await reminder_to(dsn, contact)
    assert str(reminder["subject"]).endswith(f"[{code}]")
    assert reminder["reply_to"] == "rapport@lst14.example.se"
    text = str(reminder["text"])
    assert f"# Händelsens kod: {code}" in text
    assert "Svara på det här mejlet för att rapportera" in text
    assert f"Händelse: {code} – Storm Ylva" in text
    assert "Läge: Träd över vägarna." in text
    assert "El och värme: allvarlig – 300 hushåll" in text


async def test_answering_a_reminder_above_the_quote_stores_the_report_and_reaches_the_stream(
    api: Api, app: web.Application, clock: FixedClock, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    await remind(app, clock, "2026-11-22T13:30")
    reminder = await reminder_to(dsn, contact)
    clock.set(at("2026-11-22T13:40"))
    topic = f"incident:{incident['id']}"
    async with Streams(api) as streams:
        viewer = await streams.open("LST-14", "viewer")
        await viewer.subscribe(topic)
        await viewer.expect("snapshot", topic)

        assert await send(app, answer_to(reminder, "Läge: Vägarna röjda.")) == 250

        [live] = await viewer.events(1, topic)
    assert live["event"]["kind"] == "report.submitted"
    assert live["event"]["data"]["report"]["situation"] == "Vägarna röjda."
    [event] = await log_of(api, incident["id"], "report.submitted")
    assert event["data"]["report"]["late"] is False


async def test_a_reminder_sent_back_as_it_is_reports_the_template_unchanged(
    api: Api, app: web.Application, clock: FixedClock, dsn: str, contact: str
) -> None:
    incident = await api.activate()
    clock.set(at("2026-11-22T13:10"))
    assert (await api.submit(incident["id"], report("1442", **FILLED))).status == 201
    await remind(app, clock, "2026-11-22T19:30")
    reminder = await reminder_to(dsn, contact)

    for quoted in (False, True):
        await send(app, answer_to(reminder, "", quoted=quoted))

    first, *again = await log_of(api, incident["id"], "report.submitted")
    second = again[-1]["data"]["report"]
    assert second["version"] == 2
    assert second["situation"] == first["data"]["report"]["situation"]
    assert second["sectors"] == first["data"]["report"]["sectors"]
    assert len(again) == 1  # the quoted copy is the same content: one report
    stored, repeat = await answers(dsn)
    assert stored["text"].startswith("Tack!")
    assert repeat["text"].startswith("Lägesrapporten finns redan")


async def test_without_mail_in_reminders_carry_the_code_but_no_template(
    api: Api, app: web.Application, settings: Settings, dsn: str, contact: str
) -> None:
    plain = with_changes(settings, mail_in_port=None, mail_in_address=None)
    job = RoundsJob(app[keys.pool], plain, Metrics())
    incident = await api.activate()
    await job.run_due(at("2026-11-22T13:30"))

    sent = await outbox(dsn, "reminder.before")
    assert sent
    code = incident_code(uuid.UUID(incident["id"]))
    for message in sent:
        assert message["payload"]["subject"].endswith(f"[{code}]")
        assert f"Händelsens kod: {code}" in message["payload"]["text"]
        assert "Svara på det här mejlet" not in message["payload"]["text"]
        assert "reply_to" not in message["payload"]


async def test_the_answer_reaches_the_sender_threaded_under_the_mail(
    api: Api,
    app: web.Application,
    clock: FixedClock,
    dsn: str,
    contact: str,
    smtp: tuple[SmtpSink, int],
) -> None:
    incident = await api.activate()
    await remind(app, clock, "2026-11-22T13:30")
    reminder = await reminder_to(dsn, contact)
    message = answer_to(reminder, "Läge: Lugnt.")
    await send(app, message)

    await app[keys.outbox_worker].run_once()

    sink, _ = smtp
    [reminder_mail, answer] = sink.received
    assert reminder_mail.message["Reply-To"] == "rapport@lst14.example.se"
    assert answer.recipients == [contact]
    assert answer.message["In-Reply-To"] == message["Message-ID"]
    assert answer.message["References"] == message["Message-ID"]
    assert answer.message["Auto-Submitted"] == "auto-replied"
    assert answer.message["Subject"] == message["Subject"]
    assert isinstance(answer.message, EmailMessage)
    assert "Tack! Lägesrapporten är mottagen" in answer.message.get_content()
    assert (await log_of(api, incident["id"], "report.submitted"))[0]["actor"] == "1442"
