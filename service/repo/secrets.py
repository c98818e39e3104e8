"""Secrets of the installation, shared by every instance: made once, then read."""

from __future__ import annotations

import secrets

from service.repo import Conn


async def installation_secret(conn: Conn, name: str) -> bytes:
    """The secret called `name`; made (256 random bits) by whichever instance asks first."""
    await conn.execute(
        "INSERT INTO installation_secrets (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        name,
        secrets.token_bytes(32),
    )
    secret: bytes = await conn.fetchval(
        "SELECT secret FROM installation_secrets WHERE name = $1", name
    )
    return secret
