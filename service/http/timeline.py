"""`GET /api/v1/incidents/{id}/timeline`: impact over time, folded from the log."""

from __future__ import annotations

from aiohttp import web

from schemas.api import Timeline
from service import keys
from service.domain import lifecycle
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import incident_id
from service.picture.timeline import timeline
from service.repo import events

routes = web.RouteTableDef()


@routes.get("/api/v1/incidents/{id}/timeline")
@describe("Impact over time: sector counts after every change", responses={200: Timeline})
async def impact_over_time(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        log = await events.since(conn, row.id, 0, until=row.last_seq)
    return json_response({"incident_id": str(row.id), "seq": row.last_seq, "points": timeline(log)})
