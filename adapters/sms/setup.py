"""The SMS gateway in the app: the `sms` outbox channel, when replies have somewhere to go.

Added before the outbox's contexts (see service/plugins.py), so the worker has stopped
before this closes the HTTP session the channel sends through.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from adapters.sms.channel import DESTINATION, SmsChannel
from service import keys


async def sms_ctx(app: web.Application) -> AsyncIterator[None]:
    """With LAGESBILD_SMS_GATEWAY_URL and LAGESBILD_SMS_SECRET set, the channel `sms`."""
    settings = app[keys.settings]
    url, secret = settings.sms_gateway_url, settings.sms_secret
    if url is None or secret is None:
        yield
        return
    session = aiohttp.ClientSession(headers={"User-Agent": "Lagesbild-SMS"})
    channels = app[keys.outbox_channels]
    channels.register(
        SmsChannel(session, url, secret, app[keys.clock], timeout=settings.sms_timeout_seconds)
    )
    try:
        yield
    finally:
        channels.unregister(DESTINATION)
        await session.close()
