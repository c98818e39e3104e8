"""Webhooks: an organisation's HTTP endpoints, addressed as destination `webhook:<id>`.

What a webhook is, and the signature scheme that receivers check with
`verify_signature`. The `webhooks` table's SQL is in `service.outbox.repo`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

import asyncpg

from service.repo import record_to

SIGNATURE_HEADER = "X-Lagesbild-Signature"
MESSAGE_ID_HEADER = "X-Lagesbild-Message-Id"
KIND_HEADER = "X-Lagesbild-Kind"
ATTEMPT_HEADER = "X-Lagesbild-Attempt"


def header_message_id(message_id: str) -> str:
    """The message id as a header value: as is when plain ASCII, else percent-encoded."""
    return quote(message_id, safe=":/@-_.~+=")


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    organisation: str
    url: str
    secret: str
    created_at: datetime
    disabled_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Webhook:
        return record_to(cls, row)

    @property
    def destination(self) -> str:
        """The outbox destination that delivers to this webhook."""
        return destination(self.id)


def destination(webhook_id: int) -> str:
    return f"webhook:{webhook_id}"


def new_secret() -> str:
    """A webhook's signing secret: 256 random bits."""
    return secrets.token_urlsafe(32)


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int) -> str:
    """The `X-Lagesbild-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256>`.

    The MAC is over the ASCII timestamp, a dot, and the exact body bytes.
    """
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_signature(
    secret: str, header: str, body: bytes, now: datetime, tolerance: float = 300.0
) -> bool:
    """Whether `header` signs `body` with `secret` at a time within `tolerance` s of `now`.

    Receivers call this with the raw body bytes as received, before parsing them. Several
    `v1=` values are accepted (any one matching), so a secret can be rotated.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs(now.timestamp() - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
