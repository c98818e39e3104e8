"""The inbound SMTP server (aiosmtpd) that takes reports by e-mail.

It runs in the service's event loop when `LAGESBILD_MAIL_IN_PORT` is set (`mail_in_ctx`),
or alone as `lagesbild mail-in`. Each message is read by `inbound.receive`; the SMTP
answer is 250 once the mail is dealt with (stored, or answered with why not), and 451
(try again later) when the database cannot be reached, so the sending server keeps the
mail and delivers it again.

aiosmtpd's logger `mail.log` writes every command (addresses included) at INFO and
message lines at DEBUG: `quiet_smtp_log` keeps only its warnings, without their values.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import structlog
from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.mail.inbound import MailUnreadable, Received, receive
from service import keys
from service.access.report_caps import ReportCaps
from service.clock import Clock
from service.config import Settings
from service.errors import TooManyRequests

log = structlog.get_logger(__name__)

OnMail = Callable[[bytes, str | None], Awaitable[Received]]

HOSTNAME = "lagesbild"


class _QuietSmtpLog(logging.Filter):
    """aiosmtpd's records below WARNING dropped, the rest without their arguments (the
    peer, the command line as received)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


_QUIET = _QuietSmtpLog()


def quiet_smtp_log() -> None:
    """Keep addresses and message lines out of aiosmtpd's log (idempotent)."""
    logger = logging.getLogger("mail.log")
    if _QUIET not in logger.filters:
        logger.addFilter(_QUIET)


class Handler:
    """aiosmtpd's handler: every message to `on_mail`."""

    def __init__(self, on_mail: OnMail) -> None:
        self._on_mail = on_mail

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802  # aiosmtpd's hook name
        content = envelope.original_content or envelope.content
        if not isinstance(content, bytes):
            return "554 5.6.0 Message cannot be read"
        try:
            await self._on_mail(content, envelope.mail_from)
        except MailUnreadable:
            log.warning("mail_in.unreadable_message")
            return "554 5.6.0 The message cannot be read"
        except TooManyRequests:  # the organisation's report caps: its server sends it later
            log.warning("mail_in.deferred_by_caps")
            return "451 4.7.1 Too many reports from this organisation; try again later"
        except Exception as exc:  # the database is away, say: the sender tries again later
            log.warning("mail_in.failed", error=type(exc).__name__)
            return "451 4.3.0 Lägesbild cannot take the mail now; try again later"
        return "250 2.0.0 OK"


def on_mail_for(
    pool_of: Callable[[], asyncpg.Pool],
    settings: Settings,
    clock: Clock,
    caps: ReportCaps,
    after: Callable[[Received], None] | None = None,
) -> OnMail:
    """The `on_mail` of a server: read the mail with the pool `pool_of()` gives, within
    the organisations' report caps `caps`."""

    async def on_mail(content: bytes, envelope_sender: str | None) -> Received:
        received = await receive(
            pool_of(),
            settings,
            content,
            envelope_sender=envelope_sender,
            now=clock.now(),
            caps=caps,
        )
        if after is not None:
            after(received)
        return received

    return on_mail


async def start_server(settings: Settings, on_mail: OnMail) -> asyncio.Server:
    """Listen on LAGESBILD_MAIL_IN_HOST:LAGESBILD_MAIL_IN_PORT (port 0: a free one)."""
    quiet_smtp_log()
    handler = Handler(on_mail)
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            hostname=HOSTNAME,
            data_size_limit=settings.mail_in_max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
        ),
        settings.mail_in_host,
        settings.mail_in_port or 0,
    )


def port_of(server: asyncio.Server) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


async def mail_in_ctx(app: web.Application) -> AsyncIterator[None]:
    """With LAGESBILD_MAIL_IN_PORT set, the server runs as long as the app; a stored report
    is announced to the stream hub at once (other instances hear it through LISTEN)."""
    settings = app[keys.settings]
    if settings.mail_in_port is None:
        yield
        return

    def after(received: Received) -> None:
        app[keys.metrics].exchange_imports.labels("email", received.outcome).inc()
        if received.incident_id is not None and received.seq is not None:
            app[keys.hub].notify(received.incident_id, received.seq)

    server = await start_server(
        settings,
        on_mail_for(
            lambda: app[keys.pool], settings, app[keys.clock], app[keys.report_caps], after
        ),
    )
    app[keys.mail_in_port] = port_of(server)
    log.info("mail_in.listening", host=settings.mail_in_host, port=port_of(server))
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()
