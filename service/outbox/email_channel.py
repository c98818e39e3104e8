"""The `email` channel: SMTP, one message per outbox row.

Payload: `{"to": ["a@example.se", …], "subject": "…", "text": "…"}`, and optionally
`"html": "…"` (sent as multipart/alternative beside the text); `"reply_to"` (an
address), and for an answer to a received mail `"in_reply_to"` and `"references"`
(Message-IDs, so it threads) and `"auto_submitted"` (RFC 3834: `auto-replied`); and
what a reminder is about (`organisation`, `due_at`: read by the incident's deliveries
view, not sent). The outbox message id travels as `Message-ID` (`<id@domain of the
sender>`, the id percent-encoded where needed) and as `X-Lagesbild-Message-Id`.

No text makes a message undeliverable (`service/outbox/mail_text.py`): header values are
cleaned and the subject folded; a message over the SIZE the SMTP server announces is
sent without its HTML part and with its text shortened, saying so at its end.
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
from service.outbox.mail_text import clean_body, clean_header, folded_subject, shortened
from service.outbox.repo import OutboxMessage
from service.outbox.webhooks import KIND_HEADER, MESSAGE_ID_HEADER

MessageId = Annotated[str, StringConstraints(pattern=r"^<[^<>\s]+>$", max_length=998)]
Address = Annotated[str, StringConstraints(pattern=r"^[^\s@<>,]+@[^\s@<>,]+$", max_length=254)]


class EmailPayload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    to: Annotated[list[Address], Field(min_length=1, max_length=100)]
    # Any text: cleaned and folded when the message is built, never refused here.
    subject: Annotated[str, StringConstraints(max_length=2000)]
    text: str
    html: str | None = None
    reply_to: Address | None = None
    in_reply_to: MessageId | None = None
    references: Annotated[list[MessageId], Field(max_length=50)] = []
    auto_submitted: Literal["auto-generated", "auto-replied"] | None = None
    organisation: str | None = None
    due_at: str | None = None


def message_id_header(message_id: str, sender: str) -> str:
    """An RFC 5322 Message-ID carrying the outbox message id."""
    domain = sender.rpartition("@")[2] or "lagesbild"
    return f"<{quote(message_id, safe='')}@{domain}>"


def build(
    message: OutboxMessage,
    payload: EmailPayload,
    *,
    sender: str,
    clock: Clock,
    text: str | None = None,
    html: bool = True,
) -> EmailMessage:
    """The e-mail of `payload` (`text` instead of the payload's, `html=False` without the
    HTML part: how `fitted` shortens one)."""
    mail = EmailMessage()
    mail["From"] = clean_header(sender)
    mail["To"] = ", ".join(payload.to)
    mail.set_raw("Subject", folded_subject(payload.subject))
    mail["Date"] = formatdate(clock.now().timestamp(), usegmt=True)
    mail["Message-ID"] = message_id_header(message.message_id, sender)
    mail[MESSAGE_ID_HEADER] = quote(message.message_id, safe="")
    mail[KIND_HEADER] = clean_header(message.kind)
    if payload.reply_to is not None:
        mail["Reply-To"] = clean_header(payload.reply_to)
    if payload.in_reply_to is not None:
        mail["In-Reply-To"] = clean_header(payload.in_reply_to)
    if payload.references:
        mail["References"] = clean_header(" ".join(payload.references))
    if payload.auto_submitted is not None:
        mail["Auto-Submitted"] = payload.auto_submitted
    mail.set_content(clean_body(payload.text if text is None else text))
    if payload.html is not None and html:
        mail.add_alternative(clean_body(payload.html), subtype="html")
    return mail


# Bytes below the server's SIZE a fitted message keeps to.
SIZE_MARGIN = 512

# email.policy.SMTP folds every header at 78 characters, with CRLF line ends.
_POLICY = email.policy.SMTP


def flatten(mail: EmailMessage) -> bytes:
    """The message as sent on the wire."""
    return mail.as_bytes(policy=_POLICY)


def shortening_note(limit: int, *, without_html: bool) -> str:
    """What a shortened e-mail says at its end, in Swedish and English."""
    kib = max(limit // 1024, 1)
    html_sv = " Den formaterade versionen är borttagen." if without_html else ""
    html_en = " The formatted version was left out." if without_html else ""
    return (
        f"[Förkortat av Lägesbild: meddelandet var större än mottagarens e-postserver tar "
        f"emot ({kib} KiB).{html_sv} Hela innehållet finns i Lägesbild.]\n"
        f"[Shortened by Lägesbild: the message was larger than the receiving mail server "
        f"accepts ({kib} KiB).{html_en} The whole content is in Lägesbild.]"
    )


def fitted(
    message: OutboxMessage,
    payload: EmailPayload,
    *,
    sender: str,
    clock: Clock,
    max_bytes: int | None,
) -> bytes:
    """The message on the wire, at most `max_bytes` long (the server's SIZE; None: no
    limit): first without its HTML part, then with its text shortened, saying so."""

    def wire(text: str | None = None, *, html: bool = True) -> bytes:
        return flatten(build(message, payload, sender=sender, clock=clock, text=text, html=html))

    raw = wire()
    if max_bytes is None or len(raw) <= max_bytes:
        return raw
    note = shortening_note(max_bytes, without_html=payload.html is not None)
    text = f"{payload.text.rstrip()}\n\n{note}"
    raw = wire(text, html=False)
    budget = len(payload.text.encode("utf-8"))
    for _ in range(20):
        if len(raw) <= max_bytes or budget == 0:
            break
        # The body's transfer encoding and the headers take more than the text itself:
        # shrink the text in proportion to how far the message is over.
        budget = max(int(budget * max_bytes / len(raw)) - 256, 0)
        raw = wire(shortened(payload.text, max_bytes=budget, note=note), html=False)
    return raw


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
        client = aiosmtplib.SMTP(
            hostname=self._host,
            port=settings.smtp_port,
            username=settings.smtp_user,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=settings.outbox_delivery_timeout_seconds,
        )
        try:
            async with client:
                if client.is_ehlo_or_helo_needed:  # the SIZE it takes is in its EHLO answer
                    await client.ehlo()
                raw = fitted(
                    message,
                    payload,
                    sender=settings.smtp_from,
                    clock=self._clock,
                    max_bytes=size_limit(client),
                )
                await client.sendmail(settings.smtp_from, payload.to, raw)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(
                f"recipients refused: {len(exc.recipients)}", permanent=True
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            # 5xx is the server's final word on this message; 4xx means try later.
            raise DeliveryFailed(f"SMTP {exc.code}", permanent=500 <= exc.code < 600) from None
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP unreachable: {type(exc).__name__}") from None


def size_limit(client: aiosmtplib.SMTP) -> int | None:
    """The largest message the server takes, as its EHLO's SIZE says (RFC 1870); None
    when it names none (SIZE 0 means no limit)."""
    value = client.esmtp_extensions.get("size", "").strip()
    if not value.isdigit() or int(value) == 0:
        return None
    # Room for what the server counts besides our bytes (dot-stuffing, the final CRLF).
    return int(value) - SIZE_MARGIN
