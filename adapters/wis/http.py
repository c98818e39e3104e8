"""`POST /api/v1/exchange/wis/answers`: a node pushes an answer entered on it (adapter token).

The push twin of the poller, for nodes that can call out: the body is the answer as
the node's change log carries it, and it takes the same path (`inbound.import_answer`).
"""

from __future__ import annotations

from aiohttp import web

from adapters.wis import inbound
from schemas.report import StoredReport
from service import keys
from service.errors import Forbidden, ValidationFailed
from service.http.apidoc import Body, describe
from service.http.auth import authenticate
from service.http.bodies import read_json
from service.http.middleware import json_response

routes = web.RouteTableDef()


@routes.post("/api/v1/exchange/wis/answers")
@describe(
    "Push an answer entered on a WIS-style node (adapter tokens)",
    request=Body(
        schema={"type": "object", "description": "The answer as the node's change log has it"}
    ),
    responses={201: StoredReport, 200: StoredReport},
    errors=(403, 404, 409),
    notes={200: "The answer was imported before: nothing new"},
)
async def push_answer(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    if principal.role != "adapter":
        raise Forbidden("only an adapter token delivers answers from a WIS node")
    answer = await read_json(request)
    if not isinstance(answer, dict):
        raise ValidationFailed(errors=[(("answer",), "must be the node's answer object")])
    if not inbound.entered_by_actor(answer):
        raise ValidationFailed(
            errors=[(("answer", "inlagd_av"), "only answers the actor entered itself are taken")]
        )
    submitted = await inbound.import_answer(
        request.app[keys.pool], answer, request.app[keys.clock].now(), caller=principal
    )
    imports = request.app[keys.metrics].exchange_imports
    if submitted.seq is not None:
        request.app[keys.hub].notify(submitted.report.incident_id, submitted.seq)
        imports.labels("wis", "stored").inc()
    else:
        imports.labels("wis", "repeat").inc()
    return json_response(
        submitted.report.model_dump(mode="json"), status=201 if submitted.created else 200
    )
