"""`GET /api/v1/incidents/{id}/readout`: the Rakel read-out of the picture, or of one
organisation's own latest report (`?organisation=1442`), as text or JSON."""

from __future__ import annotations

from typing import Annotated, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from schemas.readout import Readout
from service import keys
from service.domain import lifecycle, readout
from service.errors import NotFound, ValidationFailed
from service.http.apidoc import JSON, Body, describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import incident_id, parse_query
from service.repo import reports

routes = web.RouteTableDef()


class ReadoutQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    organisation: Annotated[str, Field(max_length=64)] | None = None
    format: Literal["text", "json"] = "text"


@routes.get("/api/v1/incidents/{id}/readout")
@describe(
    "The picture as a short Swedish script to read aloud on Rakel (under a minute)",
    description="Worst impacts and where, municipalities getting worse, open critical "
    "needs, who has not reported and the next deadline; with `organisation`, that "
    "organisation's own latest report. An exercise is marked as one first and last. "
    "`format=json` adds the sentences, the word count and how many were left out.",
    query=ReadoutQuery,
    responses={
        200: Body(
            model=Readout,
            media_types=(JSON, "text/plain"),
            by_media_type={"text/plain": {"type": "string"}},
        )
    },
    errors=(422,),
)
async def read_out(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, ReadoutQuery)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        picture = await request.app[keys.hub].current_picture(row.id)
        if picture is None:
            raise NotFound(f"no incident {row.id}")
        if query.organisation is None:
            script = readout.county(picture, now)
        elif query.organisation not in picture.get("organisations", {}):
            raise ValidationFailed(
                errors=[(("query", "organisation"), "is not a participant of the incident")]
            )
        else:
            latest = await reports.latest(conn, row.id, query.organisation)
            script = readout.organisation(picture, query.organisation, latest, now)
    if query.format == "text":
        return web.Response(text=script.text + "\n", content_type="text/plain", charset="utf-8")
    return json_response(
        Readout(
            incident_id=row.id,
            seq=int(picture["seq"]),
            organisation=query.organisation,
            exercise=bool(picture.get("incident", {}).get("exercise")),
            text=script.text,
            sentences=list(script.sentences),
            words=script.words,
            left_out=script.left_out,
        ).model_dump(mode="json")
    )
