"""The outbox in the app: the channel registry, the built-in channels, and the worker's
lifetime (`create_app` adds the contexts, in order)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from service import keys
from service.db.pool import create_pool
from service.outbox.email_channel import EmailChannel
from service.outbox.webhook_channel import WebhookChannel
from service.outbox.worker import Worker


async def channels_ctx(app: web.Application) -> AsyncIterator[None]:
    """The built-in channels: `webhook` (with its HTTP client) and, when SMTP is set, `email`."""
    settings = app[keys.settings]
    channels = app[keys.outbox_channels]
    session = aiohttp.ClientSession(headers={"User-Agent": "Lagesbild-Outbox"})
    channels.register(
        WebhookChannel(
            session,
            app[keys.pool],
            app[keys.clock],
            timeout=settings.outbox_delivery_timeout_seconds,
        )
    )
    if settings.smtp_host is not None:
        channels.register(EmailChannel(settings, app[keys.clock]))
    try:
        yield
    finally:
        channels.unregister("email")
        channels.unregister("webhook")
        await session.close()


async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
    """This instance's worker, on a small pool of its own (deliveries never wait for, or
    hold, the connections requests use)."""
    settings = app[keys.settings]
    pool = await create_pool(
        app[keys.service_dsn], min_size=1, max_size=settings.outbox_db_pool_max
    )
    worker = Worker(
        pool,
        app[keys.outbox_channels],
        settings,
        app[keys.clock],
        app[keys.metrics],
        dsn=app[keys.service_dsn],
    )
    app[keys.outbox_worker] = worker
    if settings.outbox_worker:
        await worker.start()
    try:
        yield
    finally:
        await worker.stop()
        await pool.close()
