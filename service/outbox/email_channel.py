"""The `email` channel: SMTP, one message per outbox row.

Payload: `{"to": ["a@example.se", …], "subject": "…", "text": "…"}`, and optionally
`"html": "…"` (sent as multipart/alternative beside the text); `"reply_to"` (an
address), and for an answer to a received mail `"in_reply_to"` and `"references"`
(Message-IDs, so it threads) and `"auto_submitted"` (RFC 3834: `auto-replied`). The outbox
message id travels as `Message-ID` (`<id@domain of the sender>`, the id percent-encoded
where needed) and as `X-Lagesbild-Message-Id`.
"""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from email.utils import formatdate
from typing import Annotated, Literal
from urllib.parse import quote

import aiosmtplib
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from service.clock import Clock
from service.config import Settings
from service.outbox.channel import DeliveryFailed
from service.outbox.repo import OutboxMessage
from service.outbox.webhooks import KIND_HEADER, MESSAGE_ID_HEADER

MessageId = Annotated[str, StringConstraints(pattern=r"^<[^<>\s]+>$", max_length=998)]
Address = Annotated[str, StringConstraints(pattern=r"^[^\s@<>,]+@[^\s@<>,]+$", max_length=254)]


class EmailPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    to: Annotated[list[Address], Field(min_length=1, max_length=100)]
    subject: Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\r\n]*$")]
    text: str
    html: str | None = None
    reply_to: Address | None = None
    in_reply_to: MessageId | None = None
    references: Annotated[list[MessageId], Field(max_length=50)] = []
    auto_submitted: Literal["auto-generated", "auto-replied"] | None = None


def message_id_header(message_id: str, sender: str) -> str:
    """An RFC 5322 Message-ID carrying the outbox message id."""
    domain = sender.rpartition("@")[2] or "lagesbild"
    return f"<{quote(message_id, safe='')}@{domain}>"


def build(
    message: OutboxMessage, payload: EmailPayload, *, sender: str, clock: Clock
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(payload.to)
    mail["Subject"] = payload.subject
    mail["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    mail["Message-ID"] = message_id_header(message.message_id, sender)
    mail[MESSAGE_ID_HEADER] = quote(message.message_id, safe="")
    mail[KIND_HEADER] = message.kind
    if payload.reply_to is not None:
        mail["Reply-To"] = payload.reply_to
    if payload.in_reply_to is not None:
        mail["In-Reply-To"] = payload.in_reply_to
    if payload.references:
        mail["References"] = " ".join(payload.references)
    if payload.auto_submitted is not None:
        mail["Auto-Submitted"] = payload.auto_submitted
    mail.set_content(payload.text)
    if payload.html is not None:
        mail.add_alternative(payload.html, subtype="html")
    return mail


# Python 3.11's header folding drops the space between two encoded words when a long
# non-ASCII subject is folded ("Västra Götaland" arrives as "VästraGötaland"). Lines of
# up to 998 characters (RFC 5322's limit) keep our subjects on one line, whole.
_POLICY = email.policy.SMTP.clone(max_line_length=998)


def flatten(mail: EmailMessage) -> bytes:
    """The message as sent on the wire."""
    return mail.as_bytes(policy=_POLICY)


class EmailChannel:
    """Sends through the SMTP server in the settings (`LAGESBILD_SMTP_*`)."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        if settings.smtp_host is None:
            raise ValueError("the email channel needs LAGESBILD_SMTP_HOST")
        self._settings = settings
        self._host = settings.smtp_host
        self._clock = clock

    @property
    def destination(self) -> str:
        return "email"

    async def deliver(self, message: OutboxMessage) -> None:
        try:
            payload = EmailPayload.model_validate(message.payload)
        except ValidationError as exc:
            raise DeliveryFailed(
                f"payload is not an e-mail: {exc.errors()[0]['msg']}", permanent=True
            ) from None
        settings = self._settings
        mail = build(message, payload, sender=settings.smtp_from, clock=self._clock)
        try:
            await aiosmtplib.send(
                flatten(mail),
                sender=settings.smtp_from,
                recipients=payload.to,
                hostname=self._host,
                port=settings.smtp_port,
                username=settings.smtp_user,
                password=settings.smtp_password,
                start_tls=settings.smtp_starttls,
                timeout=settings.outbox_delivery_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(
                f"recipients refused: {len(exc.recipients)}", permanent=True
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the server's final word on this message; 4xx means try later.
            raise DeliveryFailed(f"SMTP {exc.code}", permanent=500 <= exc.code < 600) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP unreachable: {type(exc).__name__}") from None
