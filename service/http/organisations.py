"""`GET /api/v1/organisations`."""

from __future__ import annotations

from aiohttp import web

from schemas.api import OrganisationList
from service import keys
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import OrganisationsQuery, parse_query
from service.repo import organisations

routes = web.RouteTableDef()


@routes.get("/api/v1/organisations")
@describe(
    "Organisations: municipalities, county boards, regions, agencies",
    query=OrganisationsQuery,
    responses={200: OrganisationList},
)
async def list_organisations(request: web.Request) -> web.Response:
    await authenticate(request)
    query = parse_query(request, OrganisationsQuery)
    async with request.app[keys.pool].acquire() as conn:
        found = await organisations.list_all(conn, county=query.county, kind=query.kind)
    return json_response({"organisations": [org.model_dump() for org in found]})
