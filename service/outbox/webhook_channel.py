"""The `webhook` channel: HTTP POST of the payload as JSON to `webhook:<id>`'s URL, signed.

Headers: `Content-Type: application/json`, `X-Lagesbild-Message-Id` (the outbox message
id: receivers drop repeats by it), `X-Lagesbild-Kind`, `X-Lagesbild-Attempt`, and
`X-Lagesbild-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.
2xx is delivered; 4xx other than 408 and 429 is a permanent failure; anything else,
and any network error or timeout, is retried.
"""

from __future__ import annotations

import aiohttp
import asyncpg

from service import jsontext
from service.clock import Clock
from service.outbox import repo, webhooks
from service.outbox.channel import DeliveryFailed
from service.outbox.repo import OutboxMessage


def body_bytes(payload: object) -> bytes:
    return jsontext.dumps_bytes(payload)


def classify(status: int) -> DeliveryFailed | None:
    """What an HTTP status means for a delivery: None when delivered."""
    if 200 <= status < 300:
        return None
    permanent = 400 <= status < 500 and status not in (408, 429)
    return DeliveryFailed(f"HTTP {status}", permanent=permanent)


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str],
    client_timeout: aiohttp.ClientTimeout,
) -> None:
    """POST one message; DeliveryFailed unless the receiver answered 2xx (`classify`)."""
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=client_timeout, allow_redirects=False
        ) as response:
            await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryFailed(f"HTTP unreachable: {type(exc).__name__}") from None
    failure = classify(status)
    if failure is not None:
        raise failure


class WebhookChannel:
    def __init__(
        self, session: aiohttp.ClientSession, pool: asyncpg.Pool, clock: Clock, *, timeout: float
    ) -> None:
        self._session = session
        self._pool = pool
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def destination(self) -> str:
        return "webhook"

    async def deliver(self, message: OutboxMessage) -> None:
        _, _, sub = message.destination.partition(":")
        if not (sub.isascii() and sub.isdigit()) or len(sub) > 18:
            raise DeliveryFailed(f"no webhook id in {message.destination!r}", permanent=True)
        async with self._pool.acquire() as conn:
            hook = await repo.get_webhook(conn, int(sub))
        if hook is None:
            raise DeliveryFailed("no such webhook", permanent=True)
        if hook.disabled_at is not None:
            raise DeliveryFailed("webhook disabled", permanent=True)
        body = body_bytes(message.payload)
        timestamp = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            webhooks.MESSAGE_ID_HEADER: webhooks.header_message_id(message.message_id),
            webhooks.KIND_HEADER: message.kind,
            webhooks.ATTEMPT_HEADER: str(message.attempts),
            webhooks.SIGNATURE_HEADER: webhooks.sign(hook.secret, body, timestamp=timestamp),
        }
        await post(self._session, hook.url, body, headers, self._timeout)
