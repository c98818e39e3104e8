"""`POST`/`GET /api/v1/incidents/{id}/journal`: the incident journal (dagbok)."""

from __future__ import annotations

from aiohttp import web

from schemas.journal import JournalEntry, JournalEntryCreate, JournalList
from service import keys
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.middleware import json_response
from service.http.queries import incident_id
from service.journal import entries

routes = web.RouteTableDef()

PATH = "/api/v1/incidents/{id}/journal"


@routes.post(PATH)
@describe(
    "Add an entry to the incident's journal (what happened, a decision, a contact)",
    description="Participants, and viewers and duty officers of the owner or of the "
    "incident's county board. Entries are immutable: a correction is a new entry whose "
    "`corrects` names the earlier one. `journal.entry` in the log and on the stream; "
    "significant entries are shown on the dashboard.",
    request=JournalEntryCreate,
    responses={201: JournalEntry},
    headers={201: ("Location",)},
    errors=(403, 409),
)
async def add_entry(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, JournalEntryCreate)
    entry = await entries.add(
        request.app[keys.pool], principal, target, body, request.app[keys.clock].now()
    )
    request.app[keys.hub].notify(target, entry.seq)
    response = json_response(entry.model_dump(mode="json"), status=201)
    response.headers["Location"] = f"/api/v1/incidents/{target}/journal#{entry.number}"
    return response


@routes.get(PATH)
@describe("The incident's journal, oldest entry first", responses={200: JournalList})
async def list_entries(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    async with request.app[keys.pool].acquire() as conn:
        found = await entries.list_entries(conn, principal, target)
    return json_response(
        JournalList(incident_id=str(target), entries=found).model_dump(mode="json")
    )
