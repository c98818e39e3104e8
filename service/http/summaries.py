"""Handlers for the county board's summaries: the shared draft (ETag / If-Match),
publishing, and the published ones (JSON, the printable page, adapters' formats)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from schemas.summary import Draft, PublishBody, PublishedSummary, SummaryContent
from service import keys
from service.clock import iso
from service.domain import summaries as domain
from service.errors import NotFound, ValidationFailed
from service.export.summary import for_recipients
from service.http import audit
from service.http.apidoc import Body, describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.headers import document_csp, secure_headers
from service.http.middleware import json_response
from service.http.queries import SummaryQuery, incident_id, parse_query
from service.repo import Conn
from service.repo import summaries as repo
from service.repo.incidents import IncidentRow

routes = web.RouteTableDef()

BASE = "/api/v1/incidents/{id}/summaries"
# Numbers are PostgreSQL integers: a larger one names no summary.
MAX_NUMBER = 2**31 - 1


def picture_source(request: web.Request) -> domain.PictureAt:
    """The picture at the incident's last seq: the hub's live one when it has caught up
    to it, otherwise a fold of the log up to it."""
    hub = request.app[keys.hub]

    async def at(conn: Conn, row: IncidentRow) -> domain.Picture:
        current = await hub.current_picture(row.id)
        if current is not None and current.get("seq") == row.last_seq:
            return current
        return await domain.folded_picture(conn, row)

    return at


def _number(request: web.Request) -> int:
    raw = request.match_info["n"]
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or int(raw) > MAX_NUMBER:
        raise NotFound(f"no summary {raw!r}")
    return int(raw)


def _draft_response(draft: Draft) -> web.Response:
    response = json_response(draft.model_dump(mode="json"))
    response.headers["ETag"] = domain.etag(draft.version)
    return response


@routes.get(BASE + "/draft")
@describe(
    "The county board's shared summary draft (ETag: its version)",
    description="Viewers and duty officers of the owner or of the incident's county board.",
    responses={200: Draft},
    headers={200: ("ETag",)},
    errors=(403,),
)
async def get_draft(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    async with request.app[keys.pool].acquire() as conn:
        draft = await domain.get_draft(
            conn, principal, incident_id(request), picture_source(request)
        )
    return _draft_response(draft)


@routes.put(BASE + "/draft")
@describe(
    "Save the shared summary draft (If-Match: the ETag it was edited from)",
    description="412 `stale-draft` when another editor saved in between; 428 without "
    "If-Match. Nothing is stored on an error.",
    request=SummaryContent,
    responses={200: Draft},
    headers={200: ("ETag",)},
    errors=(403, 409, 412, 428),
)
async def put_draft(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, SummaryContent)
    draft = await domain.save_draft(
        request.app[keys.pool],
        principal,
        target,
        body,
        request.headers.get("If-Match"),
        request.app[keys.clock].now(),
        picture_source(request),
    )
    return _draft_response(draft)


@routes.post(BASE)
@describe(
    "Publish the draft as the next numbered summary",
    description="Duty officers of the owner or of the incident's county board. Numbers run "
    "1, 2, … per incident without gaps; a published summary is immutable (a correction is "
    "a new number that names the one it corrects).",
    request=PublishBody,
    responses={201: PublishedSummary},
    headers={201: ("Location",)},
    errors=(403, 409, 412),
)
async def publish(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, PublishBody) if request.body_exists else PublishBody()
    summary, seq = await domain.publish(
        request.app[keys.pool],
        principal,
        target,
        body,
        request.headers.get("If-Match"),
        request.app[keys.clock].now(),
        picture_source(request),
        for_recipients,
        by=audit.origin(request, principal),
    )
    request.app[keys.hub].notify(target, seq)
    response = json_response(summary.model_dump(mode="json"), status=201)
    response.headers["Location"] = f"/api/v1/incidents/{target}/summaries/{summary.number}"
    return response


@routes.get(BASE)
@describe(
    "The incident's published summaries, by number",
    responses={
        200: Body(
            schema={
                "type": "object",
                "required": ["incident_id", "summaries"],
                "properties": {
                    "incident_id": {"type": "string", "format": "uuid"},
                    "summaries": {"type": "array", "items": {"type": "object"}},
                },
            }
        )
    },
)
async def list_summaries(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    async with request.app[keys.pool].acquire() as conn:
        found = await domain.list_published(conn, principal, target)
    return json_response(
        {
            "incident_id": str(target),
            "summaries": [
                {
                    "number": s.number,
                    "published_at": iso(s.published_at),
                    "published_by": s.published_by,
                    "picture_seq": s.picture_seq,
                    "corrects": s.corrects,
                }
                for s in found
            ],
        }
    )


@routes.get(BASE + "/{n}")
@describe(
    "One published summary: JSON, a printable page (`format=html`) or an adapter's format",
    responses={
        200: Body(
            model=PublishedSummary,
            media_types=("application/json", "text/html", "application/xml"),
        )
    },
    query=SummaryQuery,
    path={"n": {"type": "integer", "minimum": 1, "description": "The summary's number"}},
)
async def get_summary(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, SummaryQuery)
    known = request.app[keys.summary_formats]
    if query.format not in known:
        raise ValidationFailed(
            errors=[(("query", "format"), f"must be one of: {', '.join(known)}")]
        )
    summary_format = known[query.format]
    async with request.app[keys.pool].acquire() as conn:
        summary = await domain.get_published(
            conn, principal, incident_id(request), _number(request)
        )
    body = await asyncio.to_thread(summary_format.render, summary)
    response = web.Response(
        body=body, content_type=summary_format.media_type, charset=summary_format.charset
    )
    if summary_format.media_type == "text/html":  # a saved page keeps the pages' policy
        secure_headers(response, csp=document_csp(body))
    return response


@routes.get(BASE + "/{n}/deliveries")
@describe(
    "Who received summary n, delivered or failed",
    responses={200: Body(schema={"type": "object", "required": ["number", "deliveries"]})},
    path={"n": {"type": "integer", "minimum": 1, "description": "The summary's number"}},
)
async def deliveries(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    number = _number(request)
    async with request.app[keys.pool].acquire() as conn:
        summary = await domain.get_published(conn, principal, incident_id(request), number)
        found = await repo.deliveries(conn, summary.incident.id)
    return json_response(
        {
            "number": number,
            "deliveries": [
                {
                    "recipient": d.recipient,
                    "destination": d.destination,
                    "status": d.status,
                    "attempts": d.attempts,
                    "delivered_at": iso(d.delivered_at) if d.delivered_at else None,
                    "last_error": d.last_error,
                }
                for d in found
                if d.number == number
            ],
        }
    )


# A published summary is immutable: PUT, PATCH and DELETE of /summaries/{n} have no route,
# so every caller gets 405 with `Allow` (from the route table, saying nothing of whether
# the summary or its incident exists). A correction is a new number.
