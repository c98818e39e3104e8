"""Published summaries to the national level: a Lägesbild installation's EDXL import
(`LAGESBILD_NATIONAL_URL`, with `LAGESBILD_NATIONAL_TOKEN`).

When both are set, the destination `national` subscribes to `summary.published` (the
trigger copies each such event into the outbox) and the channel of that name POSTs the
summary as an EDXL-DE 2.0 envelope (`exchange.summary_document`), sent by the county
board. 2xx is delivered; 4xx other than 408 and 429 is a permanent failure; anything
else, and any network error or timeout, is retried.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import structlog
from aiohttp import web
from pydantic import ValidationError

from adapters import repo
from adapters.edxl import exchange
from schemas.summary import PublishedSummary
from service import keys
from service.outbox.channel import DeliveryFailed
from service.outbox.repo import OutboxMessage
from service.outbox.webhook_channel import post
from service.outbox.webhooks import KIND_HEADER, MESSAGE_ID_HEADER, header_message_id

log = structlog.get_logger(__name__)

DESTINATION = "national"
KINDS = ("summary.published",)


class NationalChannel:
    def __init__(
        self, session: aiohttp.ClientSession, url: str, token: str, *, timeout: float
    ) -> None:
        self._session = session
        self._url = url
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def destination(self) -> str:
        return DESTINATION

    async def deliver(self, message: OutboxMessage) -> None:
        try:
            summary = PublishedSummary.model_validate(message.payload["data"]["summary"])
        except (KeyError, TypeError, ValidationError) as exc:
            raise DeliveryFailed("not a published summary", permanent=True) from exc
        body = exchange.summary_document(summary)
        headers = {
            "Content-Type": "application/xml",
            "Authorization": f"Bearer {self._token}",
            MESSAGE_ID_HEADER: header_message_id(message.message_id),
            KIND_HEADER: message.kind,
        }
        await post(self._session, self._url, body, headers, self._timeout)


async def national_ctx(app: web.Application) -> AsyncIterator[None]:
    """The subscription kept in step with the settings, and the channel when configured."""
    settings = app[keys.settings]
    url, token = settings.national_url, settings.national_token
    async with app[keys.pool].acquire() as conn, conn.transaction():
        if url is not None and token is not None:
            added = await repo.subscribe(conn, DESTINATION, KINDS, at=app[keys.clock].now())
            if added:
                log.info("national.subscribed", backfilled=added)
        else:
            await repo.unsubscribe(conn, DESTINATION)
    if url is None or token is None:
        yield
        return
    session = aiohttp.ClientSession(headers={"User-Agent": "Lagesbild-National"})
    channels = app[keys.outbox_channels]
    channels.register(
        NationalChannel(session, url, token, timeout=settings.outbox_delivery_timeout_seconds)
    )
    try:
        yield
    finally:
        channels.unregister(DESTINATION)
        await session.close()
