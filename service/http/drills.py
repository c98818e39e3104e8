"""Handlers for reporting drills: start one, its result (JSON or CSV), a county's list."""

from __future__ import annotations

import uuid

from aiohttp import web

from schemas.drill import DrillList, DrillResult, DrillStart
from service import keys
from service.drills import operations
from service.drills.result import to_csv
from service.errors import NotFound
from service.http import audit
from service.http.apidoc import JSON, Body, describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.invitations import base_url
from service.http.middleware import json_response
from service.http.queries import DrillQuery, DrillsQuery, parse_query

routes = web.RouteTableDef()

CSV = "text/csv"


def channels(request: web.Request) -> operations.Channels:
    """How this installation reaches participants, from its settings."""
    settings = request.app[keys.settings]
    return operations.Channels(
        base_url=base_url(request),
        reply_to=settings.mail_in_reply_to if settings.reports_by_mail else None,
        sms=settings.sms_gateway_url is not None and settings.sms_secret is not None,
        invitation_days=settings.invitation_days,
    )


def drill_id(request: web.Request) -> uuid.UUID:
    raw = request.match_info["id"]
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound(f"no drill {raw[:40]!r}") from exc


@routes.post("/api/v1/drills")
@describe(
    "Start a reporting drill",
    description="A duty officer of the county's board: an exercise incident with "
    "the participants (default: every municipality of the county) and one deadline "
    "`respond_minutes` after the start; every participant is notified at once by each "
    "channel it has (e-mail, webhooks, SMS where the gateway is configured).",
    request=DrillStart,
    responses={201: DrillResult},
    errors=(403, 422),
    headers={201: ("Location",)},
)
async def start(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse(request, DrillStart)
    drill, seq = await operations.start(
        request.app[keys.pool],
        principal,
        body,
        request.app[keys.clock].now(),
        channels=channels(request),
        by=audit.origin(request, principal),
    )
    request.app[keys.hub].notify(drill.incident_id, seq)
    response = json_response(drill.model_dump(mode="json"), status=201)
    response.headers["Location"] = f"/api/v1/drills/{drill.id}"
    return response


@routes.get("/api/v1/drills")
@describe(
    "A county's drills with their figures, newest first",
    description="Viewers and duty officers of the county's board (their own county by "
    "default); admins name the county.",
    query=DrillsQuery,
    responses={200: DrillList},
    errors=(403,),
)
async def list_drills(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, DrillsQuery)
    found = await operations.of_county(
        request.app[keys.pool], principal, query.county, request.app[keys.clock].now()
    )
    return json_response({"drills": [d.model_dump(mode="json") for d in found]})


@routes.get("/api/v1/drills/{id}")
@describe(
    "A drill's result",
    description="Per participant when it was notified and by which channels, whether "
    "each was delivered, when and by which channel its first report came, and the time "
    "to respond; the county's share in time and the median. `?format=csv`: one row per "
    "participant.",
    query=DrillQuery,
    responses={
        200: Body(
            model=DrillResult, media_types=(JSON, CSV), by_media_type={CSV: {"type": "string"}}
        )
    },
    errors=(403,),
)
async def get_drill(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, DrillQuery)
    drill = await operations.of_id(
        request.app[keys.pool], principal, drill_id(request), request.app[keys.clock].now()
    )
    if query.format == "csv":
        response = web.Response(body=to_csv(drill).encode(), content_type=CSV, charset="utf-8")
        response.headers["Content-Disposition"] = f'attachment; filename="drill-{drill.id}.csv"'
        return response
    return json_response(drill.model_dump(mode="json"))
