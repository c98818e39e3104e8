"""The application factory. Nothing here runs at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

from aiohttp import web

from service import keys
from service.access.report_caps import ReportCaps
from service.clock import Clock, SystemClock
from service.config import Settings
from service.db.pool import database_ctx
from service.domain.past import MomentIndex
from service.http.guard import guard
from service.http.middleware import problems, request_context
from service.http.routes import setup_routes
from service.lanes import Lane
from service.metrics import Metrics
from service.offload import offload_ctx
from service.outbox.registry import Channels
from service.outbox.setup import channels_ctx, worker_ctx
from service.plugins import Adapter, export_formats_of, installed_adapters, summary_formats_of
from service.rounds.scheduler import rounds_ctx
from service.stream.hub import Hub
from service.stream.listener import Listener
from service.stream.sockets import SocketLeases

# How long a refused look back's client is asked to wait before asking again.
LOOKBACK_RETRY_AFTER_SECONDS = 1


def create_app(
    settings: Settings,
    *,
    dsn: str,
    clock: Clock | None = None,
    adapters: Sequence[Adapter] | None = None,
) -> web.Application:
    """Assemble the service. `dsn` is the database to use (embedded or DATABASE_URL);
    `adapters` defaults to every installed one (service/plugins.py)."""
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[request_context, problems, guard],
    )
    plugged = tuple(installed_adapters() if adapters is None else adapters)
    app[keys.settings] = settings
    app[keys.dsn] = dsn
    app[keys.clock] = clock or SystemClock()
    app[keys.metrics] = Metrics()
    app[keys.moments] = MomentIndex()
    app[keys.lookbacks] = Lane(
        settings.lookbacks_at_once,
        settings.lookback_wait_seconds,
        app[keys.metrics].lookbacks_waiting,
        busy=f"other looks at the past are being answered: ask again in "
        f"{LOOKBACK_RETRY_AFTER_SECONDS} s",
        retry_after=LOOKBACK_RETRY_AFTER_SECONDS,
    )
    app[keys.report_caps] = ReportCaps.from_settings(settings)
    app[keys.adapters] = plugged
    app[keys.export_formats] = export_formats_of(plugged)
    app[keys.summary_formats] = summary_formats_of(plugged)
    app[keys.outbox_channels] = Channels()  # any context below may register a channel
    setup_routes(app)
    # Start order, and reverse shutdown order, of every resource:
    app.cleanup_ctx.append(database_ctx)  # the request pool
    app.cleanup_ctx.append(_hub_ctx)  # LISTEN connection, then the stream hub
    app.cleanup_ctx.append(rounds_ctx)  # the rounds scheduler
    app.cleanup_ctx.append(offload_ctx)  # worker processes for XML, started on first use
    for adapter in plugged:  # routes, their own contexts and channels
        adapter.setup(app)
    # The outbox last: its worker stops first, before any channel's client closes.
    app.cleanup_ctx.append(channels_ctx)  # webhook and e-mail channels
    app.cleanup_ctx.append(worker_ctx)  # the delivery worker, on a pool of its own
    # Before in-flight requests (open streams among them) are awaited: close streams (1001).
    app.on_shutdown.append(_close_sockets)
    return app


async def _hub_ctx(app: web.Application) -> AsyncIterator[None]:
    """The stream hub and the LISTEN connection that feeds it."""
    hub = Hub(app[keys.pool], app[keys.settings], app[keys.metrics], app[keys.clock])
    settings = app[keys.settings]
    listener = Listener(
        app[keys.service_dsn], hub, app[keys.metrics], check_every=settings.listener_check_seconds
    )
    leases = SocketLeases(
        app[keys.pool],
        app[keys.clock],
        most=settings.stream_max_sockets_per_user,
        renew_every=settings.listener_check_seconds,
    )
    await listener.start()  # listen before loading, so nothing falls between
    await hub.start()
    hub.start_sweeping()
    leases.start()
    app[keys.hub] = hub
    app[keys.listener] = listener
    app[keys.stream_sockets] = leases
    try:
        yield
    finally:
        await leases.stop()
        await listener.stop()
        await hub.stop()


async def _close_sockets(app: web.Application) -> None:
    if keys.hub in app:
        await app[keys.hub].close_sockets()
