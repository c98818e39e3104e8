"""`PUT`/`POST /api/v1/incidents/{id}/evaluation`: the evaluation after closing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from schemas.evaluation import Evaluation, EvaluationSubmission
from service import keys
from service.domain import evaluation
from service.http import audit
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.middleware import json_response
from service.http.queries import incident_id

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _described(summary: str) -> Callable[[Handler], Handler]:
    return describe(
        summary,
        description="Duty officers of the owner, once the incident is closed: what worked, "
        "what did not, and actions with owners. An `incident.evaluated` event in the log; "
        "a later evaluation replaces the earlier one in the picture (`evaluation`).",
        request=EvaluationSubmission,
        responses={201: Evaluation},
        errors=(403, 409),
        notes={409: "The incident is still active (`incident-open`)"},
    )


async def _evaluate(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse(request, EvaluationSubmission)
    data, seq = await evaluation.evaluate(
        request.app[keys.pool],
        principal,
        incident_id(request),
        body,
        request.app[keys.clock].now(),
        by=audit.origin(request, principal),
    )
    request.app[keys.hub].notify(incident_id(request), seq)
    return json_response(data, status=201)


@routes.put("/api/v1/incidents/{id}/evaluation")
@_described("Record the evaluation of a closed incident")
async def put_evaluation(request: web.Request) -> web.Response:
    return await _evaluate(request)


@routes.post("/api/v1/incidents/{id}/evaluation")
@_described("Record the evaluation of a closed incident (as PUT)")
async def post_evaluation(request: web.Request) -> web.Response:
    return await _evaluate(request)
