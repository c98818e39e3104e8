"""Rounds of an incident and their snapshots; reminder contacts of organisations."""

from __future__ import annotations

from aiohttp import web

from schemas.api import Picture
from schemas.round import ContactCreate, ContactList, RoundList, RoundSummary
from service import keys
from service.domain import lifecycle
from service.errors import NotFound
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.middleware import json_response
from service.http.queries import incident_id, path_number
from service.rounds import contacts, repo
from service.rounds.plan import classify

routes = web.RouteTableDef()


@routes.get("/api/v1/incidents/{id}/rounds")
@describe("The closed rounds of an incident, oldest first", responses={200: RoundList})
async def list_rounds(request: web.Request) -> web.Response:
    """Closed rounds, oldest first. Counts are as of now: a late report that arrived after
    its round closed moves its sender from overdue to late."""
    principal = await authenticate(request)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        found = await repo.list_rounds(conn, row.id)
        reports = await repo.report_times(conn, row.id)
    summaries = []
    previous = None
    for closed in found:
        now = classify(closed.expected, reports, previous=previous, due_at=closed.due_at)
        summaries.append(
            RoundSummary(
                n=closed.n,
                due_at=closed.due_at,
                closed_at=closed.closed_at,
                seq=closed.seq,
                expected=len(now.expected),
                on_time=len(now.on_time),
                late=len(now.late),
                overdue=len(now.overdue),
            )
        )
        previous = closed.due_at
    body = RoundList(incident_id=row.id, rounds=summaries)
    return json_response(body.model_dump(mode="json"))


@routes.get("/api/v1/incidents/{id}/rounds/{n}/picture")
@describe(
    "The picture at round n's deadline, as stored when the round closed",
    responses={200: Picture},
    path={"n": {"type": "integer", "minimum": 1, "description": "The round's number"}},
)
async def round_picture(request: web.Request) -> web.Response:
    """The picture as of round n's deadline, as stored when the round closed."""
    principal = await authenticate(request)
    raw = request.match_info["n"]
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        n = path_number(raw, max_digits=9)
        picture = await repo.round_picture(conn, row.id, n) if n else None
    if picture is None:
        raise NotFound(f"no closed round {raw!r} in incident {row.id}")
    return json_response(picture)


@routes.get("/api/v1/organisations/{code}/contacts")
@describe(
    "An organisation's reminder contacts (admins)",
    responses={200: ContactList},
    errors=(403,),
)
async def list_contacts(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    code = request.match_info["code"]
    async with request.app[keys.pool].acquire() as conn:
        emails = await contacts.list_of(conn, principal, code)
    return json_response(ContactList(organisation=code, emails=emails).model_dump(mode="json"))


@routes.post("/api/v1/organisations/{code}/contacts")
@describe(
    "Add a reminder contact (admins)",
    request=ContactCreate,
    responses={201: ContactList, 200: ContactList},
    notes={200: "The address was a contact already"},
)
async def add_contact(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    code = request.match_info["code"]
    body = await parse(request, ContactCreate)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        added = await contacts.add(conn, principal, code, body.email, now)
        emails = await contacts.list_of(conn, principal, code)
    reply = ContactList(organisation=code, emails=emails).model_dump(mode="json")
    return json_response(reply, status=201 if added else 200)


@routes.delete("/api/v1/organisations/{code}/contacts/{email}")
@describe(
    "Remove a reminder contact (admins)",
    responses={204: None},
    path={"email": {"type": "string", "description": "The contact's e-mail address"}},
)
async def remove_contact(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    code = request.match_info["code"]
    async with request.app[keys.pool].acquire() as conn:
        await contacts.remove(conn, principal, code, request.match_info["email"])
    return web.Response(status=204)
