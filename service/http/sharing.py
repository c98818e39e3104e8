"""`PUT`/`DELETE /api/v1/incidents/{id}/shares/{organisation}`: share an incident with
another county's board, or stop."""

from __future__ import annotations

from aiohttp import web

from schemas.incident import Incident
from service import keys
from service.domain import sharing
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import incident_id

routes = web.RouteTableDef()


@routes.put("/api/v1/incidents/{id}/shares/{organisation}")
@describe(
    "Share the incident with another county's board (201; 200 when shared already)",
    description="Duty officers of the owner or of the incident's county board. Its users "
    "then see the incident as participants do; `incident.shared` in the log.",
    responses={201: Incident, 200: Incident},
    errors=(403, 409),
    path={
        "organisation": {
            "type": "string",
            "maxLength": 32,
            "description": "A county board, e.g. LST-13",
        }
    },
)
async def share(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    incident, added = await sharing.share(
        request.app[keys.pool],
        principal,
        target,
        request.match_info["organisation"],
        request.app[keys.clock].now(),
    )
    if added:
        request.app[keys.hub].notify(incident.id, incident.seq)
    return json_response(incident.model_dump(mode="json"), status=201 if added else 200)


@routes.delete("/api/v1/incidents/{id}/shares/{organisation}")
@describe(
    "Stop sharing the incident with that county board (204 either way)",
    responses={204: None},
    errors=(403, 409),
    path={
        "organisation": {
            "type": "string",
            "maxLength": 32,
            "description": "A county board, e.g. LST-13",
        }
    },
)
async def unshare(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    incident, removed = await sharing.unshare(
        request.app[keys.pool],
        principal,
        target,
        request.match_info["organisation"],
        request.app[keys.clock].now(),
    )
    if removed:
        request.app[keys.hub].notify(incident.id, incident.seq)
    return web.Response(status=204)
