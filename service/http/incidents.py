"""Handlers for incidents, reports, picture and log: parse, call the domain, render."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from aiohttp import web

from schemas.api import EventLog, IncidentList, Picture, ReportList
from schemas.incident import Incident, IncidentClose, IncidentCreate, IncidentPatch
from schemas.report import ReportSubmission, StoredReport
from service import keys
from service.access import report_caps
from service.access.policy import can_see_drills
from service.access.principal import Principal
from service.domain import lifecycle, past, reporting
from service.errors import NotFound, ValidationFailed
from service.export.registry import ExportFormat, UnknownFormat, gather, streamed
from service.http import audit
from service.http.apidoc import JSON, MERGE_PATCH, Body, describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.headers import NO_STORE, document_csp, secure_headers
from service.http.middleware import json_response
from service.http.queries import (
    ExportQuery,
    IncidentsQuery,
    LogQuery,
    PictureQuery,
    ReportsQuery,
    incident_id,
    parse_query,
)
from service.repo import incidents, log_pages, reports

routes = web.RouteTableDef()


def export_body(app: web.Application) -> Body:
    """The export's answer in the media type of each format the app has."""
    known = app[keys.export_formats]
    media = tuple(dict.fromkeys(known.get(name).media_type for name in known.names()))
    return Body(
        schema={"type": "string"},
        media_types=media,
        by_media_type={JSON: {"type": "object"}} if JSON in media else {},
    )


def _nudge(request: web.Request, incident: Incident) -> None:
    """Tell this instance's hub at once; NOTIFY tells every instance (this one again)."""
    request.app[keys.hub].notify(incident.id, incident.seq)


@routes.post("/api/v1/incidents")
@describe(
    "Activate an incident",
    description="A duty officer of a county board in its own county, or of an agency in "
    "any county; the activating organisation becomes the owner.",
    request=IncidentCreate,
    responses={201: Incident},
    errors=(403, 422),
    headers={201: ("Location",)},
)
async def activate(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse(request, IncidentCreate)
    incident = await lifecycle.activate(
        request.app[keys.pool],
        principal,
        body,
        request.app[keys.clock].now(),
        by=audit.origin(request, principal),
    )
    _nudge(request, incident)
    response = json_response(incident.model_dump(mode="json"), status=201)
    response.headers["Location"] = f"/api/v1/incidents/{incident.id}"
    return response


@routes.get("/api/v1/incidents")
@describe(
    "The incidents the caller may see",
    query=IncidentsQuery,
    responses={200: IncidentList},
)
async def list_incidents(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, IncidentsQuery)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        rows = await incidents.list_visible(conn, principal, status=query.status)
    return json_response(
        {"incidents": [lifecycle.to_wire(row, now).model_dump(mode="json") for row in rows]}
    )


@routes.get("/api/v1/incidents/{id}")
@describe("One incident", responses={200: Incident})
async def get_incident(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
    return json_response(
        lifecycle.to_wire(row, request.app[keys.clock].now()).model_dump(mode="json")
    )


@routes.patch("/api/v1/incidents/{id}")
@describe(
    "Change an incident",
    description="Duty officers of the owner or of the incident's county board: any of "
    "`title`, `description`, `severity`, `participants`, `schedule`.",
    request=Body(model=IncidentPatch, media_types=(JSON, MERGE_PATCH)),
    responses={200: Incident},
    errors=(409,),
    notes={409: "The incident is closed (`incident-closed`)"},
)
async def change_incident(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, IncidentPatch)
    incident = await lifecycle.change(
        request.app[keys.pool],
        principal,
        target,
        body,
        request.app[keys.clock].now(),
        by=audit.origin(request, principal),
    )
    _nudge(request, incident)
    return json_response(incident.model_dump(mode="json"))


@routes.post("/api/v1/incidents/{id}/close")
@describe(
    "Close an incident with a summary",
    request=IncidentClose,
    responses={200: Incident},
    errors=(409,),
    notes={409: "The incident is closed already (`incident-closed`)"},
)
async def close_incident(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, IncidentClose)
    incident = await lifecycle.close(
        request.app[keys.pool],
        principal,
        target,
        body,
        request.app[keys.clock].now(),
        by=audit.origin(request, principal),
    )
    _nudge(request, incident)
    return json_response(incident.model_dump(mode="json"))


@routes.post("/api/v1/incidents/{id}/reports")
@describe(
    "Submit a situation report",
    description="A reporter of a participating organisation, for its own organisation. "
    "`report_id` is the idempotency key: the same content again is 200 with the stored "
    "report.",
    request=ReportSubmission,
    responses={201: StoredReport, 200: StoredReport},
    errors=(409, 413, 429),
    headers={201: ("Location",), 200: ("Location",)},
    notes={
        200: "A repeat of a stored report: nothing new is stored",
        409: "`incident-closed`, `report-conflict`, `stale-supersedes` or `no-earlier-report`",
        413: "`report-too-large`: larger than `report_max_bytes`",
        429: "The organisation has sent too many reports lately (`Retry-After`)",
    },
)
async def submit_report(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    await report_caps.admit_json_report(request, principal)  # before the body is parsed
    body = await parse(request, ReportSubmission)
    result = await reporting.submit(
        request.app[keys.pool],
        principal,
        target,
        body,
        request.app[keys.clock].now(),
        follower=request.app[keys.hub],
    )
    if result.seq is not None:
        request.app[keys.metrics].reports_submitted.labels(
            "unchanged" if body.unchanged else "full"
        ).inc()
    response = json_response(result.as_json(), status=201 if result.created else 200)
    response.headers["Location"] = f"/api/v1/incidents/{target}/reports/{result.report.report_id}"
    return response


@routes.get("/api/v1/incidents/{id}/reports")
@describe(
    "The reports of an incident, newest first",
    query=ReportsQuery,
    responses={200: ReportList},
)
async def report_history(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, ReportsQuery)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        found = await reports.history(
            conn, row.id, organisation=query.organisation, limit=query.limit
        )
    return json_response({"reports": [report.model_dump(mode="json") for report in found]})


@routes.get("/api/v1/incidents/{id}/picture")
@describe(
    "The consolidated picture, now or at an earlier seq",
    query=PictureQuery,
    responses={200: Picture},
)
async def picture(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, PictureQuery)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        seq = query.seq
        if query.at is not None:
            seq = await past.seq_at(conn, row, query.at, request.app[keys.moments])
        elif seq is not None and seq > row.last_seq:
            raise ValidationFailed(
                errors=[(("query", "seq"), f"the log ends at seq {row.last_seq}")]
            )
    if seq is None or seq == row.last_seq:
        current = await request.app[keys.hub].current_picture(row.id)
        if current is None:
            raise NotFound(f"no incident {row.id}")
        if seq is None or current["seq"] == seq:
            return json_response(current)
    every = request.app[keys.settings].checkpoint_every
    async with request.app[keys.lookbacks].turn(), request.app[keys.pool].acquire() as conn:
        return json_response(await past.picture_at_seq(conn, row.id, seq, every))


@routes.get("/api/v1/incidents/{id}/log")
@describe(
    "The incident's log, a page of events after `since`",
    query=LogQuery,
    responses={200: EventLog},
)
async def event_log(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, LogQuery)
    limit = query.limit or request.app[keys.settings].log_page_limit
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        # Each event's data as stored text: no decode and encode on the loop.
        page, last = await log_pages.page(conn, row.id, query.since, limit=limit)
    more = "true" if (last or query.since) < row.last_seq else "false"
    body = (
        f'{{"incident_id":"{row.id}","events":[{",".join(page)}],'
        f'"last_seq":{row.last_seq},"more":{more}}}'
    )
    return web.Response(text=body, content_type="application/json")


@routes.get("/api/v1/incidents/{id}/export")
@describe(
    "The whole incident in one document, for evaluation",
    description="A download named `lagesbild-[ovning-]<id>.<ext>` (HTML is shown "
    "inline); `format` is one of the export formats the service has.",
    query=ExportQuery,
    responses={200: export_body},
    headers={200: ("Content-Disposition",)},
)
async def export_incident(request: web.Request) -> web.StreamResponse:
    principal = await authenticate(request)
    query = parse_query(request, ExportQuery)
    known = request.app[keys.export_formats]
    try:
        export_format = known.get(query.format)
    except UnknownFormat:
        raise ValidationFailed(
            errors=[(("query", "format"), f"must be one of: {', '.join(known.names())}")]
        ) from None
    now = request.app[keys.clock].now()
    pool = request.app[keys.pool]
    if export_format.stream is not None:
        async with pool.acquire() as conn:
            row = await lifecycle.visible(conn, principal, incident_id(request))
        await _record_export(request, principal, row.id, export_format.name)
        return await _stream_export(
            request, export_format, row.id, now, drill_results=can_see_drills(principal, row.county)
        )
    async with pool.acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        export = await gather(conn, row, now, drill_results=can_see_drills(principal, row.county))
    body = await asyncio.to_thread(export_format.render, export)
    await _record_export(request, principal, row.id, export_format.name)
    response = web.Response(
        body=body, content_type=export_format.media_type, charset=export_format.charset
    )
    if export_format.media_type == "text/html":
        secure_headers(response, csp=document_csp(body))
    filename = export_format.filename(export)
    if filename is not None:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


async def _record_export(
    request: web.Request, principal: Principal, incident: uuid.UUID, format_name: str
) -> None:
    await audit.record_alone(
        request,
        "export.made",
        audit.origin(request, principal),
        must=True,  # no export leaves unaccounted for
        incident_id=incident,
        format=format_name,
    )


async def _stream_export(
    request: web.Request,
    export_format: ExportFormat,
    incident: uuid.UUID,
    now: datetime,
    *,
    drill_results: bool,
) -> web.StreamResponse:
    """Write a streamed format a chunk at a time, as the database gives them."""
    response = web.StreamResponse()
    response.content_type = export_format.media_type
    response.charset = export_format.charset
    # what the middleware adds after a handler, here before the headers leave
    response.headers["Cache-Control"] = NO_STORE
    response.headers["X-Request-ID"] = request[audit.REQUEST_ID]
    assert export_format.stream is not None
    async with streamed(
        request.app[keys.pool], incident, now, drill_results=drill_results
    ) as source:
        filename = export_format.filename(source)
        if filename is not None:
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        if export_format.media_type == "text/html":
            # a document shown inline: its policy names its own stylesheet's hash, so
            # it is made whole first (its size follows rounds and needs, not reports)
            body = b"".join([chunk async for chunk in export_format.stream(source)])
            secure_headers(response, csp=document_csp(body))
            await response.prepare(request)
            await response.write(body)
        else:
            await response.prepare(request)
            async for chunk in export_format.stream(source):
                await response.write(chunk)
    await response.write_eof()
    return response
