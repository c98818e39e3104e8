"""`GET /api/v1/national`: the national roll-up (agencies and admins)."""

from __future__ import annotations

from aiohttp import web

from service import keys
from service.http.apidoc import Body, describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.national.view import national_view, require_national

routes = web.RouteTableDef()


@routes.get("/api/v1/national")
@describe(
    "The national roll-up: every active incident, county by county; exercises apart",
    description="Agency users and admins; anyone else 404. Live on the stream topic `national`.",
    responses={
        200: Body(
            schema={"type": "object", "required": ["seq", "real", "exercise"]},
        )
    },
    errors=(404,),
)
async def national(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    require_national(principal)
    hub = request.app[keys.hub]
    rollup = await hub.current_national()
    return json_response(national_view(rollup, hub.national_seq, request.app[keys.clock].now()))
