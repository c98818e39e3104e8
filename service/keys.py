"""Typed keys for everything stored on the application.

The classes are named for the type checker only: reading a setting must not import
the hub, the outbox worker or the scheduler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Callable

    import asyncpg

    from service.access.report_caps import ReportCaps
    from service.clock import Clock
    from service.config import Settings
    from service.domain.past import MomentIndex
    from service.export.registry import ExportFormats
    from service.export.summary import SummaryFormat
    from service.http.openapi import ApiDocument
    from service.lanes import Lane
    from service.metrics import Metrics
    from service.offload import Offload
    from service.outbox.registry import Channels
    from service.outbox.worker import Worker
    from service.plugins import Adapter
    from service.rounds.job import RoundsJob
    from service.stream.hub import Hub
    from service.stream.listener import Listener
    from service.stream.sockets import SocketLeases
    from service.web.assets import Assets

settings: web.AppKey[Settings] = web.AppKey("settings")
dsn: web.AppKey[str] = web.AppKey("dsn")  # the owner's: migrations (service/db/roles.py)
service_dsn: web.AppKey[str] = web.AppKey("service_dsn")  # what the service connects as
clock: web.AppKey[Clock] = web.AppKey("clock")
pool: web.AppKey[asyncpg.Pool] = web.AppKey("pool")
metrics: web.AppKey[Metrics] = web.AppKey("metrics")
offload: web.AppKey[Offload] = web.AppKey("offload")  # CPU-bound work off the loop
report_caps: web.AppKey[ReportCaps] = web.AppKey("report_caps")  # per-organisation caps
hub: web.AppKey[Hub] = web.AppKey("hub")
# Which seq a moment is, per incident looked back at (`?at=`), kept in memory.
moments: web.AppKey[MomentIndex] = web.AppKey("moments")
# Look backs take turns (`LAGESBILD_LOOKBACKS_AT_ONCE`): the pool stays for everyone else.
lookbacks: web.AppKey[Lane] = web.AppKey("lookbacks")
listener: web.AppKey[Listener] = web.AppKey("listener")
stream_sockets: web.AppKey[SocketLeases] = web.AppKey("stream_sockets")
rounds_job: web.AppKey[RoundsJob] = web.AppKey("rounds_job")
# Wakes this instance's rounds timer: an inject added or moved may fall due sooner.
rounds_poke: web.AppKey[Callable[[], None]] = web.AppKey("rounds_poke")

# Exchange adapters loaded at start (service/plugins.py) and the export formats they and
# the core offer.
adapters: web.AppKey[tuple[Adapter, ...]] = web.AppKey("adapters")
export_formats: web.AppKey[ExportFormats] = web.AppKey("export_formats")
# Formats of a published summary (`?format=` on /summaries/{n}), the core's and adapters'.
summary_formats: web.AppKey[dict[str, SummaryFormat]] = web.AppKey("summary_formats")

# The outbox: channels by name (register yours at startup) and this instance's worker.
outbox_channels: web.AppKey[Channels] = web.AppKey("outbox_channels")
outbox_worker: web.AppKey[Worker] = web.AppKey("outbox_worker")

# Reports by e-mail: the port the inbound SMTP server listens on, once it does.
mail_in_port: web.AppKey[int] = web.AppKey("mail_in_port")

# The web app: static files with content hashes.
assets: web.AppKey[Assets] = web.AppKey("assets")

# The OpenAPI document, made from the route table on first use.
api_document: web.AppKey[ApiDocument] = web.AppKey("api_document")
