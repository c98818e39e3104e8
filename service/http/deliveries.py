"""`GET /api/v1/incidents/{id}/deliveries`: who was reminded of what, delivered or not,
and every dead letter of the incident."""

from __future__ import annotations

from aiohttp import web

from schemas.readout import DeliveryList
from service import keys
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import incident_id
from service.outbox import deliveries as domain

routes = web.RouteTableDef()


@routes.get("/api/v1/incidents/{id}/deliveries")
@describe(
    "The incident's reminders and other messages to people, delivered or not, and its dead letters",
    description="For viewers and duty officers of the owner or of the incident's county "
    "board, and admins. Newest first; no message bodies.",
    responses={200: DeliveryList},
    errors=(403,),
)
async def incident_deliveries(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    async with request.app[keys.pool].acquire() as conn:
        view = await domain.of_incident(conn, principal, incident_id(request))
    return json_response(view.model_dump(mode="json"))
