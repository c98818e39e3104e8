"""`GET /api/v1/schemas/{name}`: the JSON Schema of what goes over the wire."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel

from schemas.api import JsonSchema, SchemaList
from schemas.drill import DrillResult, DrillStart
from schemas.incident import Incident, IncidentClose, IncidentCreate, IncidentPatch
from schemas.organisation import Organisation
from schemas.outbox import OutboxMessageView, OutboxOverview
from schemas.problem import Problem
from schemas.report import ReportSubmission, StoredReport
from schemas.round import ContactCreate, ContactList, RoundList
from schemas.stream import ErrorFrame, EventFrame, MomentFrame, SnapshotFrame, client_frame
from schemas.summary import Draft, PublishBody, PublishedSummary, SummaryContent
from service.errors import NotFound
from service.http.apidoc import describe
from service.http.middleware import json_response

routes = web.RouteTableDef()

MODELS: dict[str, type[BaseModel]] = {
    "report-submission": ReportSubmission,
    "report": StoredReport,
    "incident-create": IncidentCreate,
    "incident-patch": IncidentPatch,
    "incident-close": IncidentClose,
    "incident": Incident,
    "organisation": Organisation,
    "problem": Problem,
    "stream-snapshot": SnapshotFrame,
    "stream-event": EventFrame,
    "stream-error": ErrorFrame,
    "stream-moment": MomentFrame,
    "round-list": RoundList,
    "contact-create": ContactCreate,
    "contact-list": ContactList,
    "outbox": OutboxOverview,
    "summary-content": SummaryContent,
    "summary-draft": Draft,
    "summary-publish": PublishBody,
    "summary": PublishedSummary,
    "outbox-message": OutboxMessageView,
    "drill-start": DrillStart,
    "drill": DrillResult,
}


def json_schema(name: str) -> dict[str, Any]:
    if name == "stream-client-frame":
        return client_frame.json_schema()
    model = MODELS.get(name)
    if model is None:
        raise NotFound(f"no schema {name!r}; known: {', '.join(sorted(all_names()))}")
    return model.model_json_schema()


def all_names() -> list[str]:
    return [*MODELS, "stream-client-frame"]


@routes.get("/api/v1/schemas")
@describe("The names of the wire models", responses={200: SchemaList}, auth=False)
async def list_schemas(_request: web.Request) -> web.Response:
    return json_response({"schemas": sorted(all_names())})


@routes.get("/api/v1/schemas/{name}")
@describe(
    "The JSON Schema of one wire model",
    responses={200: JsonSchema},
    path={"name": {"type": "string", "description": "A name from `GET /api/v1/schemas`"}},
    auth=False,
)
async def get_schema(request: web.Request) -> web.Response:
    return json_response(json_schema(request.match_info["name"]))
