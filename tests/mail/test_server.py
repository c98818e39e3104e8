"""The SMTP session's answers: 250 once a mail is dealt with, 451 when it cannot be yet
(the sending server keeps it and tries again), 552 beyond the size limit."""

from __future__ import annotations

import asyncio
import smtplib
from email import policy

import pytest

from adapters.mail.inbound import MailUnreadable, Received
from adapters.mail.server import port_of, start_server
from service.config import Settings
from tests.mail.support import mail
from tests.settings import with_changes


def _data(port: int, raw: bytes) -> int:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("vargarda.example.se")
        client.mail("isk@vargarda.example.se")
        client.rcpt("rapport@lst14.example.se")
        code, _ = client.data(raw)
        return code


async def answer_to(settings: Settings, raw: bytes, failure: Exception | None) -> int:
    """What a server whose reading raises `failure` (or reads the mail) answers DATA."""
    read: list[bytes] = []

    async def on_mail(content: bytes, _sender: str | None) -> Received:
        if failure is not None:
            raise failure
        read.append(content)
        return Received("ignored")

    server = await start_server(with_changes(settings, mail_in_port=0), on_mail)
    try:
        code = await asyncio.to_thread(_data, port_of(server), raw)
    finally:
        server.close()
        await server.wait_closed()
    assert len(read) == (1 if code == 250 else 0)
    return code


RAW = mail("Läge: Lugnt.\n").as_bytes(policy=policy.SMTP)


async def test_a_mail_read_is_accepted(settings: Settings) -> None:
    assert await answer_to(settings, RAW, None) == 250


@pytest.mark.parametrize("failure", [OSError("database away"), RuntimeError("a fault")])
async def test_a_mail_that_cannot_be_read_now_is_deferred_for_the_sender_to_retry(
    settings: Settings, failure: Exception
) -> None:
    assert await answer_to(settings, RAW, failure) == 451


async def test_a_message_that_cannot_be_taken_apart_is_refused_in_the_session(
    settings: Settings,
) -> None:
    assert await answer_to(settings, RAW, MailUnreadable("HeaderParseError")) == 554


async def test_a_mail_beyond_the_size_limit_is_refused(settings: Settings) -> None:
    small = with_changes(settings, mail_in_max_bytes=1024)
    big = mail("Läge: " + "lugnt " * 400 + "\n").as_bytes(policy=policy.SMTP)
    assert await answer_to(small, big, None) == 552
