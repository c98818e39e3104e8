"""The outbox's test doubles: a real SMTP sink, a real webhook receiver, and the outbox of
the test's database with the app's worker."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import asyncpg
from aiohttp import web
from aiosmtpd.smtp import SMTP, Envelope, Session

from service import keys
from service.clock import FixedClock
from service.outbox import repo, webhooks
from service.outbox.worker import Worker

# The outbox's limits in tests: small, and the worker's loop off (tests run passes).
OUTBOX_LIMITS: dict[str, Any] = {
    "outbox_worker": False,
    "outbox_poll_seconds": 0.2,
    "outbox_batch_size": 5,
    "outbox_delivery_timeout_seconds": 5,
    "outbox_max_attempts": 6,
    "outbox_backoff_base_seconds": 1,
    "outbox_backoff_cap_seconds": 60,
    "outbox_breaker_threshold": 5,
    "outbox_breaker_cooldown_seconds": 30,
}


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message


class SmtpSink:
    """A real SMTP server (aiosmtpd) in the test's loop, keeping what it receives."""

    def __init__(self) -> None:
        self.received: list[Mail] = []
        self.arrived = asyncio.Event()

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802  # aiosmtpd's hook name
        content = envelope.content
        assert isinstance(content, bytes)
        self.received.append(
            Mail(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                message_from_bytes(content, policy=policy.default),
            )
        )
        self.arrived.set()
        return "250 OK"


@dataclass
class Received:
    message_id: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server that webhooks POST to; `statuses` answers the next requests
    (then 200), so a test can make it fail for a while."""

    url: str
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # message ids always answered with 500
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def delivered_ids(self) -> list[str]:
        return [r.message_id for r in self.received]


def receiver_app(receiver: Receiver) -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        if receiver.statuses:
            return web.Response(status=receiver.statuses.pop(0))
        if request.headers[webhooks.MESSAGE_ID_HEADER] in receiver.failing:
            return web.Response(status=500)
        receiver.received.append(
            Received(request.headers[webhooks.MESSAGE_ID_HEADER], dict(request.headers), body)
        )
        receiver.arrived.set()
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    return app


class Outbox:
    """Direct access to the outbox of the test's database, and the app's worker."""

    def __init__(self, dsn: str, app: web.Application, clock: FixedClock) -> None:
        self.dsn = dsn
        self.app = app
        self.clock = clock

    @property
    def worker(self) -> Worker:
        return self.app[keys.outbox_worker]

    async def enqueue(
        self, destination: str, message_id: str, payload: dict[str, Any], kind: str = "test"
    ) -> bool:
        async with self.app[keys.pool].acquire() as conn, conn.transaction():
            return await repo.enqueue(
                conn,
                destination=destination,
                kind=kind,
                message_id=message_id,
                payload=payload,
                at=self.clock.now(),
            )

    async def webhook(self, organisation: str, url: str) -> webhooks.Webhook:
        conn = await asyncpg.connect(self.dsn)
        try:
            return await repo.insert_webhook(
                conn,
                organisation=organisation,
                url=url,
                secret=webhooks.new_secret(),
                at=self.clock.now(),
            )
        finally:
            await conn.close()

    async def rows(self) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.dsn)
        try:
            return await conn.fetch(
                "SELECT id, message_id, destination, status, attempts, next_attempt_at,"
                " last_error, delivered_at FROM outbox ORDER BY id"
            )
        finally:
            await conn.close()

    async def statuses(self) -> dict[str, str]:
        return {row["message_id"]: row["status"] for row in await self.rows()}

    def advance(self, seconds: float) -> None:
        self.clock.set(self.clock.now() + timedelta(seconds=seconds))

    async def passes_until_quiet(self, limit: int = 50, step: float = 61.0) -> int:
        """Move the clock past every back-off and cool-down and run passes until one
        attempts nothing; how many passes attempted something."""
        for busy in range(limit):
            self.advance(step)
            if await self.worker.run_once() == 0:
                return busy
        raise AssertionError("the outbox never went quiet")


def payload_json(body: bytes) -> Any:
    return json.loads(body)


@contextlib.asynccontextmanager
async def smtp_server(**options: Any) -> AsyncIterator[tuple[SmtpSink, int]]:
    """A real SMTP server on a free loopback port, keeping what it is sent: the sink and
    the port (`options` go to aiosmtpd's `SMTP`, e.g. `data_size_limit`)."""
    sink = SmtpSink()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="sink.test", **options), "127.0.0.1", 0
    )
    try:
        yield sink, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
