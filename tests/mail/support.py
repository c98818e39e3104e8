"""Sending mail to Lägesbild's inbound server in a real SMTP session, and reading what
it answered (the outbox holds the answers until the worker sends them)."""

from __future__ import annotations

import asyncio
import smtplib
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from aiohttp import web

from service import keys
from tests.rounds.support import outbox

CONTACT = "isk@vargarda.example.se"  # a registered contact of 1442 Vårgårda
STRANGER = "someone@elsewhere.example.org"


def mail(
    text: str,
    *,
    sender: str = CONTACT,
    subject: str = "Lägesrapport",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"ISK Vårgårda <{sender}>"
    message["To"] = "rapport@lst14.example.se"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="vargarda.example.se")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    return message


def _send(port: int, message: EmailMessage, envelope_sender: str) -> tuple[int, bytes]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("vargarda.example.se")
        code, _ = client.mail(envelope_sender)
        assert code == 250
        code, _ = client.rcpt("rapport@lst14.example.se")
        assert code == 250
        return client.data(message.as_bytes(policy=policy.SMTP))  # CRLF line ends


async def send(
    to: web.Application | int, message: EmailMessage, *, envelope_sender: str | None = None
) -> int:
    """Deliver `message` over SMTP to the app's inbound server (or the one on a port);
    the server's reply code to DATA (the mail is dealt with when it answers)."""
    sender = envelope_sender if envelope_sender is not None else str(message["From"])
    port = to if isinstance(to, int) else to[keys.mail_in_port]
    code, said = await asyncio.to_thread(_send, port, message, sender)
    assert code in (250, 451), said  # 5xx: the server refused the session itself
    return code


async def answers(dsn: str) -> list[dict[str, Any]]:
    """The answers queued for senders, oldest first (their `email` payloads)."""
    return [row["payload"] for row in await outbox(dsn, "mail.reply")]


def new_id() -> str:
    return f"<{uuid.uuid4().hex}@vargarda.example.se>"
