"""Who sends a request: an API token or a session cookie (with its CSRF check), and the
session cookie itself. The HTTP side of `service/access/` (tokens, sessions)."""

from __future__ import annotations

import hmac
import uuid
from typing import Literal
from urllib.parse import urlsplit

from aiohttp import web

from service import keys
from service.access import sessions
from service.access.policy import IncidentAccess
from service.access.principal import Principal
from service.access.rate import RateLimit, retry_after
from service.access.tokens import admitted
from service.errors import Forbidden, TooManyRequests, Unauthenticated
from service.http import audit
from service.repo.users import SessionRow


def bearer_token(request: web.BaseRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    token = value.strip()
    if scheme.lower() != "bearer" or not token or not token.isascii():
        return None  # our tokens are ASCII; anything else cannot be one
    return token


async def authenticate(request: web.Request, *, incident: uuid.UUID | None = None) -> Principal:
    """The caller: an API token (`Authorization: Bearer …`) or a web session cookie.

    A session must also pass the CSRF check on every state-changing request. 401
    without either. Asked once per request: the access guard asks first, handlers again.
    The guard names the route's `incident`: a token's statement then reads its access
    facts too (`prefetched_access`), so the access check needs no round trip of its own.
    """
    if _PRINCIPAL in request:
        return request[_PRINCIPAL]
    principal = await _caller(request, incident)
    request[_PRINCIPAL] = principal
    return principal


def prefetched_access(
    request: web.Request, incident: uuid.UUID
) -> IncidentAccess | Literal[False] | None:
    """The access facts of `incident` as the caller's authentication read them (None:
    there is no such incident), or False when they were not read with it."""
    if _INCIDENT not in request:
        return False
    read, access = request[_INCIDENT]
    return access if read == incident else False


async def _caller(request: web.Request, incident: uuid.UUID | None = None) -> Principal:
    token = bearer_token(request)
    if token is None:
        session = await current_session(request)
        if session is None:
            raise Unauthenticated("log in, or send an API token as 'Authorization: Bearer <token>'")
        if request.method not in sessions.SAFE_METHODS:
            check_csrf(
                request,
                session.csrf_token,
                request.headers.get(sessions.CSRF_HEADER),
                request.app[keys.settings].trusted_origins,
            )
        person = Principal.for_session(session)
        request[audit.PRINCIPAL] = person
        return person
    settings = request.app[keys.settings]
    now = request.app[keys.clock].now()
    limit = RateLimit.from_settings(settings)
    async with request.app[keys.pool].acquire() as conn:
        found = await admitted(
            conn, token, limit, now=now, by=lambda: audit.origin(request), incident_id=incident
        )
    if found is None:
        raise Unauthenticated("the token is unknown, expired or revoked")
    principal, wait = found.principal, found.wait
    if incident is not None and wait is None:
        request[_INCIDENT] = (incident, found.incident)
    request[audit.PRINCIPAL] = principal
    if wait is not None:
        seconds = retry_after(wait)
        raise TooManyRequests(
            f"too many requests with this token: try again in {seconds} s", retry_after=seconds
        )
    if principal.role == "adapter":
        await audit.record_alone(
            request,
            "adapter.credential_used",
            audit.origin(request, principal),
            must=True,
            token_id=principal.token_id,
            method=request.method,
            path=request.path,
        )
    return principal


# The request's caller, once authenticated.
_PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")
# The route's incident and its access facts, read with the caller's token (`authenticate`).
_INCIDENT: web.RequestKey[tuple[uuid.UUID, IncidentAccess | None]] = web.RequestKey("incident")
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


# --- cookies and CSRF ---------------------------------------------------------------------


def is_https(request: web.BaseRequest) -> bool:
    # Behind a TLS-terminating proxy the scheme is http; the proxy says so in the header.
    # Trusting it can only make the cookie stricter.
    return request.scheme == "https" or request.headers.get("X-Forwarded-Proto") == "https"


def set_cookie(
    response: web.StreamResponse,
    request: web.BaseRequest,
    name: str,
    value: str,
    *,
    max_age: int | None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        secure=is_https(request),
        samesite="Lax",
    )


def same_origin(request: web.BaseRequest, trusted: frozenset[str]) -> bool:
    """Whether the request comes from a page of this site (or a trusted origin).

    Browsers send `Origin` on every state-changing request and on WebSocket upgrades;
    `Referer` stands in where a privacy setting drops it. Neither present is refused.
    """
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        referer = request.headers.get("Referer")
        if referer is None:
            return False
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin in trusted:
        return True
    parts = urlsplit(origin)
    # The page's scheme must be this site's too: a page injected into plain http must not
    # pass for the https site.
    scheme = "https" if is_https(request) else "http"
    return parts.scheme == scheme and parts.netloc == request.host


def check_csrf(
    request: web.BaseRequest, expected: str, supplied: str | None, trusted: frozenset[str]
) -> None:
    """403 unless the request is same-origin and carries the session's CSRF token."""
    if not same_origin(request, trusted):
        raise Forbidden("the request does not come from a Lägesbild page", slug="csrf")
    if supplied is None or not hmac.compare_digest(supplied.encode(), expected.encode()):
        raise Forbidden(
            "the form's security token is missing or wrong: reload the page", slug="csrf"
        )
