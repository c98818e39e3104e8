"""The application factory. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from adapters.wis.setup import wis_ctx
from service import keys
from service.clock import Clock, SystemClock
from service.config import Settings
from service.db.pool import database_ctx
from service.http.middleware import problems, request_context
from service.http.routes import setup_routes
from service.metrics import Metrics
from service.outbox.setup import setup_outbox
from service.rounds.scheduler import rounds_ctx
from service.stream.hub import Hub
from service.stream.listener import Listener


def create_app(settings: Settings, *, dsn: str, clock: Clock | None = None) -> web.Application:
    """Assemble the service. `dsn` is the database to use (embedded or DATABASE_URL)."""
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_context, problems],
    )
    app[keys.settings] = settings
    app[keys.dsn] = dsn
    app[keys.clock] = clock or SystemClock()
    app[keys.metrics] = Metrics()
    setup_routes(app)
    # Start order, and reverse shutdown order, of every resource:
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(_hub_ctx)
    app.cleanup_ctx.append(rounds_ctx)
    # Exchange with a WIS-style node (docs/exchange.md): subscription, outbox channel `wis`
    # and answer poller. Before the outbox, so the worker stops before its session closes.
    app.cleanup_ctx.append(wis_ctx)
    setup_outbox(app)  # channel registry, channels, delivery worker
    app.on_shutdown.append(_close_sockets)
    return app


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    """The stream hub and the LISTEN connection that feeds it."""
    hub = Hub(app[keys.pool], app[keys.settings], app[keys.metrics], app[keys.clock])
    settings = app[keys.settings]
    listener = Listener(
        app[keys.dsn], hub, app[keys.metrics], check_every=settings.listener_check_seconds
    )
    await listener.start()  # listen before loading, so nothing falls between
    await hub.start()
    hub.start_sweeping()
    app[keys.hub] = hub
    app[keys.listener] = listener
    try:
        yield
    finally:
        await listener.stop()
        await hub.stop()


async def _close_sockets(app: web.Application) -> None:
    """On shutdown, before in-flight requests are awaited: close streams with 1001."""
    if keys.hub in app:
        await app[keys.hub].stop()
