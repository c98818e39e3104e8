"""Nothing Lägesbild produces makes an e-mail undeliverable: titles with line breaks or
U+2028 reach a real SMTP server, subjects arrive whole, and a message over the server's
SIZE is shortened, saying so, instead of becoming a dead letter."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiohttp import web

from service import keys
from service.clock import FixedClock
from service.outbox.email_channel import EmailPayload, build, fitted, flatten
from service.outbox.mail_text import clean_header
from service.outbox.repo import OutboxMessage
from tests.outbox.support import Outbox, SmtpSink, smtp_server
from tests.rounds.support import add_contacts, at
from tests.support import T0, Api, report

# The server's SIZE (RFC 1870): what the sink announces and refuses above.
SIZE = 48 * 1024


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[SmtpSink, int]]:
    async with smtp_server(data_size_limit=SIZE) as running:
        yield running


@pytest.mark.parametrize(
    "title",
    [
        "Storm\nVästra Götaland",
        "Storm\r\nBcc: angripare@example.se",
        "Storm\u2028Västra Götaland\u2029igen",
        "Storm\x85\x0bmed\x00kontrolltecken",
    ],
    ids=["line-feed", "crlf-injection", "u2028-u2029", "control-characters"],
)
async def test_reminders_for_a_title_with_line_breaks_are_delivered_on_one_line(
    api: Api,
    app: web.Application,
    clock: FixedClock,
    outbox: Outbox,
    smtp: tuple[SmtpSink, int],
    title: str,
) -> None:
    sink, _port = smtp
    await add_contacts(api, {"1442": "isk@vargarda.example.se"})
    reply = await api.call(
        "POST",
        "/api/v1/incidents",
        as_=("LST-14", "duty_officer"),
        json_body={
            "title": title.replace("\x00", ""),
            "description": "",
            "county": "14",
            "severity": "high",
            "exercise": False,
            "participants": ["1440", "1442"],
            "schedule": {"times": ["14:00"], "timezone": "Europe/Stockholm"},
        },
    )
    assert reply.status == 201, reply.body
    assert (await api.submit(reply.body["id"], report("1440"))).status == 201
    clock.set(at("2026-11-22T13:30"))
    await app[keys.rounds_job].run_due(clock.now())
    assert await outbox.worker.run_once() == 1

    assert set((await outbox.statuses()).values()) == {"delivered"}
    [mail] = sink.received
    assert mail.recipients == ["isk@vargarda.example.se"]
    subject = str(mail.message["Subject"])
    # the title on one line, then the incident's short code
    assert re.search(
        re.escape(clean_header(title.replace("\x00", ""))) + r" \[[0-9A-Z]{3}-[0-9A-Z]{3}\]$",
        subject,
    )
    assert not any(ch in subject for ch in "\r\n\u2028\u2029\x85\x0b")
    assert mail.message["Bcc"] is None


def _message(kind: str = "reminder.due") -> OutboxMessage:
    return OutboxMessage(
        id=1,
        message_id="reminder:x",
        destination="email",
        kind=kind,
        incident_id=None,
        payload={},
        created_at=T0,
        attempts=1,
    )


def test_any_subject_is_folded_at_78_characters_and_read_back_whole() -> None:
    words = [
        "ÖVNING",
        "Påminnelse:",
        "lägesrapport",
        "senast",
        "2026-11-22",
        "14:00",
        "–",
        "Storm",
        "i",
        "Västra",
        "Götaland",
        "(1442)",
        "Öckerö",
        "Åmål",
        "översvämning",
        "nr",
        "3",
        "Länsstyrelsen",
        "=?x?=",
        "a,b",
        '"q"',
        "😀",
    ]
    picks = random.Random(7)
    for _ in range(300):
        subject = " ".join(picks.choice(words) for _ in range(picks.randint(1, 60)))
        payload = EmailPayload(to=["tib@lst14.example.se"], subject=subject, text="Hej")
        raw = flatten(build(_message(), payload, sender="a@lst14.example.se", clock=FixedClock(T0)))
        assert max(len(line) for line in raw.split(b"\r\n")) <= 78
        parsed = message_from_bytes(raw, policy=policy.default)
        assert parsed["Subject"] == subject


def test_control_characters_and_bare_carriage_returns_in_a_body_are_cleaned() -> None:
    payload = EmailPayload(
        to=["tib@lst14.example.se"], subject="Läge\x1b", text="Rad ett\x0b\r\nRad två \x1b\r"
    )
    raw = flatten(build(_message(), payload, sender="a@lst14.example.se", clock=FixedClock(T0)))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == "Läge"
    assert parsed.get_content().replace("\r\n", "\n") == "Rad ett\nRad två \n"


def test_a_message_under_the_servers_size_is_sent_as_it_is() -> None:
    payload = EmailPayload(to=["a@b.se"], subject="Kort", text="Hej", html="<p>Hej</p>")
    whole = flatten(build(_message(), payload, sender="a@lst14.example.se", clock=FixedClock(T0)))
    sent = fitted(
        _message(), payload, sender="a@lst14.example.se", clock=FixedClock(T0), max_bytes=SIZE
    )
    assert len(sent) == len(whole)  # the same message (its MIME boundary is random)
    parsed = message_from_bytes(sent, policy=policy.default)
    assert parsed.is_multipart()


async def test_a_message_over_the_servers_size_arrives_shortened_and_says_so(
    outbox: Outbox, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _port = smtp
    text = "\n".join(
        f"Rad {n}: Vårgårda rapporterar allvarlig påverkan på el och värme." for n in range(3000)
    )
    payload = {
        "to": ["tib@lst14.example.se"],
        "subject": "ÖVNING: Samlad lägesbild nr 1 – Storm",
        "text": text,
        "html": "<p>" + "Stor tabell " * 20_000 + "</p>",
    }
    assert len(text.encode()) > SIZE
    await outbox.enqueue("email", "summary:1", payload, kind="summary.published")
    assert await outbox.worker.run_once() == 1

    assert await outbox.statuses() == {"summary:1": "delivered"}
    [mail] = sink.received
    assert isinstance(mail.message, EmailMessage)
    assert not mail.message.is_multipart()  # the HTML part is left out first
    body = mail.message.get_content()
    assert body.startswith("Rad 0: Vårgårda")
    assert "Förkortat av Lägesbild" in body
    assert "Den formaterade versionen är borttagen." in body
    assert "Shortened by Lägesbild" in body
    assert len(mail.message.as_bytes()) <= SIZE
    assert len(body) > SIZE // 2  # shortened, not emptied


async def test_a_message_that_fits_once_its_html_is_left_out_keeps_its_whole_text(
    outbox: Outbox, smtp: tuple[SmtpSink, int]
) -> None:
    sink, _port = smtp
    payload = {
        "to": ["tib@lst14.example.se"],
        "subject": "Samlad lägesbild nr 2",
        "text": "Hela texten.",
        "html": "<p>" + "Stor tabell " * 20_000 + "</p>",
    }
    await outbox.enqueue("email", "summary:2", payload, kind="summary.published")
    assert await outbox.worker.run_once() == 1
    [mail] = sink.received
    assert isinstance(mail.message, EmailMessage)
    body = mail.message.get_content()
    assert body.startswith("Hela texten.")
    assert "Den formaterade versionen är borttagen." in body
