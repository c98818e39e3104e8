"""`/incidents/{id}/deliveries`: the duty officer's page of the incident's reminders,
deliveries and dead letters (the data of `GET /api/v1/incidents/{id}/deliveries`)."""

from __future__ import annotations

from aiohttp import web

from service import keys
from service.access.principal import Principal
from service.domain import lifecycle
from service.http.queries import incident_id
from service.outbox import deliveries
from service.repo.users import SessionRow
from service.web.pages import _page, page

routes = web.RouteTableDef()


@routes.get("/incidents/{id}/deliveries")
@page
async def deliveries_page(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        view = await deliveries.of_incident(conn, principal, row.id)
    return _page(
        request,
        "deliveries.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "view": view,
        },
    )
