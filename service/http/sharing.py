"""`PUT`/`DELETE /api/v1/incidents/{id}/shares/{organisation}`: share an incident with
another county's board, or stop."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol

import asyncpg
from aiohttp import web

from schemas.incident import Incident
from service import keys
from service.access.principal import Principal
from service.audit.record import Origin
from service.domain import sharing
from service.http import audit
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import incident_id


# `sharing.share` or `sharing.unshare`: (pool, caller, incident, organisation, now) →
# the incident and whether anything changed.
class Change(Protocol):
    def __call__(
        self,
        pool: asyncpg.Pool,
        principal: Principal,
        incident_id: uuid.UUID,
        organisation: str,
        now: datetime,
        *,
        by: Origin | None = None,
    ) -> Awaitable[tuple[Incident, bool]]: ...


routes = web.RouteTableDef()

ORGANISATION = {
    "organisation": {
        "type": "string",
        "maxLength": 32,
        "description": "A county board, e.g. LST-13",
    }
}


@routes.put("/api/v1/incidents/{id}/shares/{organisation}")
@describe(
    "Share the incident with another county's board (201; 200 when shared already)",
    description="Duty officers of the owner or of the incident's county board. Its users "
    "then see the incident as participants do; `incident.shared` in the log.",
    responses={201: Incident, 200: Incident},
    errors=(403, 409),
    path=ORGANISATION,
)
async def share(request: web.Request) -> web.Response:
    incident, added = await _change(request, sharing.share)
    return json_response(incident.model_dump(mode="json"), status=201 if added else 200)


@routes.delete("/api/v1/incidents/{id}/shares/{organisation}")
@describe(
    "Stop sharing the incident with that county board (204 either way)",
    responses={204: None},
    errors=(403, 409),
    path=ORGANISATION,
)
async def unshare(request: web.Request) -> web.Response:
    await _change(request, sharing.unshare)
    return web.Response(status=204)


async def _change(request: web.Request, change: Change) -> tuple[Incident, bool]:
    """Share or unshare as the path says; the stream hears of a change at once."""
    principal = await authenticate(request)
    incident, changed = await change(
        request.app[keys.pool],
        principal,
        incident_id(request),
        request.match_info["organisation"],
        request.app[keys.clock].now(),
        by=audit.origin(request, principal),
    )
    if changed:
        request.app[keys.hub].notify(incident.id, incident.seq)
    return incident, changed
