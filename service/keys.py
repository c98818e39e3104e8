"""Typed keys for everything stored on the application."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from service.clock import Clock
from service.config import Settings
from service.metrics import Metrics
from service.outbox.registry import Channels
from service.outbox.worker import Worker
from service.rounds.job import RoundsJob
from service.stream.hub import Hub
from service.stream.listener import Listener

settings = web.AppKey("settings", Settings)
dsn = web.AppKey("dsn", str)
clock = web.AppKey("clock", Clock)
pool = web.AppKey("pool", asyncpg.Pool)
metrics = web.AppKey("metrics", Metrics)
hub = web.AppKey("hub", Hub)
listener = web.AppKey("listener", Listener)
rounds_job = web.AppKey("rounds_job", RoundsJob)

# The outbox: channels by name (register yours at startup) and this instance's worker.
outbox_channels = web.AppKey("outbox_channels", Channels)
outbox_worker = web.AppKey("outbox_worker", Worker)
