"""API tokens: made at random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

from aiohttp import web

from schemas.common import Role
from service import keys
from service.access import sessions
from service.access.principal import Principal
from service.errors import Unauthenticated
from service.repo import Conn, tokens
from service.repo.users import SessionRow

TOKEN_PREFIX = "lgb_"  # noqa: S105  # a public prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    # Tokens carry 256 random bits, so a fast hash is enough; no salt or stretching needed.
    return hashlib.sha256(token.encode()).digest()


async def create_token(conn: Conn, *, organisation: str, role: Role, name: str) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen)."""
    token = new_token()
    await tokens.insert(
        conn, name=name, organisation=organisation, role=role, token_hash=token_hash(token)
    )
    return token


async def principal_for_token(conn: Conn, token: str) -> Principal | None:
    row = await tokens.live(conn, token_hash(token))
    return None if row is None else Principal.from_token_row(row)


def bearer_token(request: web.BaseRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip()
    if scheme.lower() != "bearer" or not token or not token.isascii():
        return None  # our tokens are ASCII; anything else cannot be one
    return token


async def authenticate(request: web.Request) -> Principal:
    """The caller: an API token (`Authorization: Bearer …`) or a web session cookie.

    A session must also pass the CSRF check on every state-changing request. 401
    without either.
    """
    token = bearer_token(request)
    if token is None:
        session = await current_session(request)
        if session is None:
            raise Unauthenticated("log in, or send an API token as 'Authorization: Bearer <token>'")
        if request.method not in sessions.SAFE_METHODS:
            sessions.check_csrf(
                request,
                session.csrf_token,
                request.headers.get(sessions.CSRF_HEADER),
                request.app[keys.settings].trusted_origins,
            )
        return Principal.for_session(session)
    async with request.app[keys.pool].acquire() as conn:
        principal = await principal_for_token(conn, token)
    if principal is None:
        raise Unauthenticated("the token is unknown or revoked")
    return principal


# The request's session, looked up once (None: no live session).
_SESSION: web.RequestKey[SessionRow | None] = web.RequestKey("session")


async def current_session(request: web.Request) -> SessionRow | None:
    """The live session named by the request's cookie, if any (cached on the request)."""
    if _SESSION in request:
        return request[_SESSION]
    token = request.cookies.get(sessions.COOKIE)
    session = None
    if token and token.isascii():
        async with request.app[keys.pool].acquire() as conn:
            session = await sessions.lookup(conn, token, now=request.app[keys.clock].now())
    request[_SESSION] = session
    return session
