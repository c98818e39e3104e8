"""The WIS node in the app: subscription kept in step with settings, the outbox channel
`wis`, and the poller.

`create_app` adds `wis_ctx` before the outbox's contexts, so at shutdown the outbox
worker stops (its deliveries under way end) before this context closes the HTTP
session the channel delivers through.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import structlog
from aiohttp import web

from adapters import repo
from adapters.wis import channel, inbound
from adapters.wis.client import NodeClient
from service import keys

log = structlog.get_logger(__name__)


async def wis_ctx(app: web.Application) -> AsyncIterator[None]:
    """With LAGESBILD_WIS_URL and LAGESBILD_WIS_TOKEN set: events are copied to the outbox for
    `wis`, the channel delivering them is registered (in order), and the node's answers
    are read every LAGESBILD_WIS_POLL_SECONDS. Without: none of these."""
    settings = app[keys.settings]
    pool = app[keys.pool]
    url, token = settings.wis_url, settings.wis_token
    async with pool.acquire() as conn, conn.transaction():
        if url is not None and token is not None:
            added = await repo.subscribe(
                conn, channel.DESTINATION, channel.KINDS, at=app[keys.clock].now()
            )
            if added:
                log.info("wis.subscribed", backfilled=added)
        else:
            await repo.unsubscribe(conn, channel.DESTINATION)
    if url is None or token is None:
        yield
        return
    session = aiohttp.ClientSession(headers={"User-Agent": "Lagesbild-WIS"})
    client = NodeClient(
        session,
        url,
        token,
        timeout=settings.wis_timeout_seconds,
        max_body_bytes=settings.wis_max_body_bytes,
    )
    channels = app[keys.outbox_channels]
    channels.register(channel.wis_channel(settings, session, pool))
    task = asyncio.create_task(_poll_forever(app, client), name="wis-poller")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        channels.unregister(channel.DESTINATION)
        await session.close()


async def _poll_forever(app: web.Application, client: NodeClient) -> None:
    every = app[keys.settings].wis_poll_seconds
    while True:
        await asyncio.sleep(every)
        try:
            polled = await inbound.poll_once(app[keys.pool], client, app[keys.clock].now())
        except Exception as exc:  # a bad poll must not end the poller
            log.warning("wis.poll_failed", error=type(exc).__name__)
            continue
        for incident_id, seq in polled.stored:
            app[keys.hub].notify(incident_id, seq)
        imports = app[keys.metrics].exchange_imports
        imports.labels("wis", "stored").inc(len(polled.stored))
        imports.labels("wis", "repeat").inc(polled.repeats)
        imports.labels("wis", "skipped").inc(polled.skipped)
