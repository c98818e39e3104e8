"""API tokens: made at random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from aiohttp import web

from schemas.common import Role
from service import keys
from service.errors import Unauthenticated
from service.repo import Conn

TOKEN_PREFIX = "lgb_"  # noqa: S105  # a public prefix, not a secret


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an organisation acting in a role."""

    name: str
    organisation: str
    org_kind: str
    org_county: str | None
    role: Role


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(token.encode()).digest()


async def create_token(conn: Conn, *, organisation: str, role: Role, name: str) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen)."""
    token = new_token()
    await conn.execute(
        "INSERT INTO api_tokens (name, organisation, role, token_hash) VALUES ($1, $2, $3, $4)",
        name,
        organisation,
        role,
        token_hash(token),
    )
    return token


async def principal_for_token(conn: Conn, token: str) -> Principal | None:
    row = await conn.fetchrow(
        """
        SELECT t.name, t.organisation, t.role, o.kind, o.county
        FROM api_tokens t JOIN organisations o ON o.code = t.organisation
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL
        """,
        token_hash(token),
    )
    if row is None:
        return None
    return Principal(
        name=row["name"],
        organisation=row["organisation"],
        org_kind=row["kind"],
        org_county=row["county"],
        role=row["role"],
    )


def bearer_token(request: web.BaseRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip()
    if scheme.lower() != "bearer" or not token or not token.isascii():
        return None  # our tokens are ASCII; anything else cannot be one
    return token


async def authenticate(request: web.Request) -> Principal:
    """The caller, from `Authorization: Bearer …`; 401 without a valid token."""
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("send an API token as 'Authorization: Bearer <token>'")
    async with request.app[keys.pool].acquire() as conn:
        principal = await principal_for_token(conn, token)
    if principal is None:
        raise Unauthenticated("the token is unknown or revoked")
    return principal
