"""The HTTP side of the audit log: who a request comes from, from which address, in
which request; and recording an event that changes nothing (service/audit/record.py
says why such a row has a transaction of its own)."""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web

from service import keys
from service.access.principal import Principal
from service.audit.kinds import Kind
from service.audit.record import Origin, record
from service.http.source import client_address

log = structlog.get_logger(__name__)

# The request's id (from `X-Request-ID`, or made by the middleware): in every log line
# and audit row.
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id")
# The caller, once `authenticate` has found one: the refusal row names them.
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal")


def source_address(request: web.Request) -> str | None:
    """The client's address as the audit log records it: the proxy's `X-Forwarded-For`
    only from trusted proxies (`LAGESBILD_TRUSTED_PROXIES`)."""
    return client_address(request, request.app[keys.settings].trusted_proxies)


def origin(
    request: web.Request,
    principal: Principal | None = None,
    *,
    actor: str | None = None,
    organisation: str | None = None,
) -> Origin:
    """The request's origin: the principal's (or the given actor's), its address and id."""
    if principal is None:
        principal = request.get(PRINCIPAL)
    return Origin(
        actor=actor or (principal.actor if principal is not None else "anonymous"),
        organisation=organisation or (principal.organisation or None if principal else None),
        source=source_address(request),
        request_id=request.get(REQUEST_ID),
    )


async def record_alone(
    request: web.Request, kind: Kind, made: Origin, *, must: bool, **details: Any
) -> None:
    """Record an event that changes nothing, in a transaction of its own. When it cannot
    be written: with `must`, the error goes on (the action is not done unaccounted for);
    otherwise the whole event goes to the error log and the answer goes on."""
    try:
        async with request.app[keys.pool].acquire() as conn:
            await record(conn, kind, made, at=request.app[keys.clock].now(), **details)
    except Exception:
        log.exception(
            "audit.not_recorded",
            kind=kind,
            actor=made.actor,
            organisation=made.organisation,
            source=made.source,
            details=details,
        )
        if must:
            raise
