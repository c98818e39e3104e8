"""API tokens: made at random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from schemas.common import Role
from service.access.principal import Principal, Scope
from service.access.rate import RateLimit, take
from service.repo import Conn, tokens
from service.repo import rate as rate_repo

TOKEN_PREFIX = "lgb_"  # noqa: S105  # a public prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """What is stored of an API token or a session cookie: their SHA-256.

    Both carry 256 random bits, so a fast hash is enough; no salt or stretching needed."""
    return hashlib.sha256(token.encode()).digest()


async def create_token(
    conn: Conn, *, organisation: str, role: Role, name: str, scope: Scope | None = None
) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen).

    `scope` is for adapter tokens only (whom they speak for); without one an adapter
    speaks for its own organisation alone."""
    scope = scope or Scope()
    if scope.everyone:
        raise ValueError("a token never speaks for everyone; scope it to organisations or a county")
    if not scope.empty and role != "adapter":
        raise ValueError("only an adapter token has a scope")
    token = new_token()
    await tokens.insert(
        conn,
        name=name,
        organisation=organisation,
        role=role,
        token_hash=token_hash(token),
        scope_organisations=sorted(scope.organisations) or None,
        scope_county=scope.county,
    )
    return token


async def principal_for_token(conn: Conn, token: str) -> Principal | None:
    row = await tokens.live(conn, token_hash(token))
    return None if row is None else Principal.from_token_row(row)


async def admit(conn: Conn, token: str, limit: RateLimit, now: datetime) -> float | None:
    """Take one request from the token's bucket (shared by every instance); None when
    it may go, or the seconds until it may."""
    key = token_hash(token)
    if await rate_repo.take(conn, key, limit, now) is not None:
        return None
    _, wait = take(limit, await rate_repo.peek(conn, key), now)
    return wait if wait is not None else 1 / limit.rate  # refilled meanwhile: try again
