"""Calling the SMS webhook as a gateway does: the JSON shape, signed with the secret."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import asyncpg

from service.outbox import webhooks
from service.rounds import repo as contacts
from tests.support import T0, Api, Reply

SECRET = "gateway-secret-for-the-tests"
GATEWAY_NUMBER = "+46700000000"
PHONE_1442 = "+46701234567"


def sms(text: str, *, message_id: str = "m-1", sender: str = PHONE_1442) -> dict[str, Any]:
    return {
        "message_id": message_id,
        "from": sender,
        "to": GATEWAY_NUMBER,
        "text": text,
        "received_at": T0.isoformat(),
    }


async def deliver(
    api: Api,
    body: dict[str, Any],
    *,
    at: datetime,
    secret: str = SECRET,
    signature: str | None = None,
) -> Reply:
    raw = json.dumps(body, ensure_ascii=False).encode()
    signed = signature or webhooks.sign(secret, raw, timestamp=int(at.timestamp()))
    return await api.call(
        "POST",
        "/api/v1/exchange/sms",
        data=raw,
        headers={"Content-Type": "application/json", webhooks.SIGNATURE_HEADER: signed},
    )


async def register_phone(dsn: str, organisation: str, phone: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await contacts.add_phone(conn, organisation, phone, T0)
    finally:
        await conn.close()


async def count(dsn: str, sql: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        found: int = await conn.fetchval(sql)
        return found
    finally:
        await conn.close()
