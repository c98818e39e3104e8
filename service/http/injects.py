"""The script of an exercise (`/api/v1/incidents/{id}/injects`) and templates of scripts
(`/api/v1/inject-templates`)."""

from __future__ import annotations

import uuid

from aiohttp import web

from schemas.inject import (
    FromTemplate,
    Inject,
    InjectBody,
    InjectList,
    InjectTemplate,
    TemplateCreate,
    TemplateList,
)
from service import keys
from service.domain import lifecycle
from service.errors import NotFound
from service.export import formats
from service.http.apidoc import JSON, Body, describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.middleware import json_response
from service.http.queries import InjectsQuery, incident_id, parse_query
from service.injects import script

routes = web.RouteTableDef()

PATH = "/api/v1/incidents/{id}/injects"
INJECT = {"inject": {"type": "string", "format": "uuid", "description": "The inject's id"}}
WRITERS = (
    "Duty officers of the owner or of the incident's county board, on an active exercise "
    "(409 `not-exercise` for a real incident, `incident-closed` once closed)."
)


def inject_id(request: web.Request) -> uuid.UUID:
    raw = request.match_info["inject"]
    try:
        return uuid.UUID(raw)
    except ValueError as exc:
        raise NotFound(f"no inject {raw[:40]!r}") from exc


def poke_timer(request: web.Request) -> None:
    """An inject added or moved may fall due before this instance's timer would next
    wake: wake it (other instances find it at their next run)."""
    poke = request.app.get(keys.rounds_poke)
    if poke is not None:
        poke()


def _one(inject: Inject, status: int = 200) -> web.Response:
    response = json_response(inject.model_dump(mode="json"), status=status)
    if status == 201:
        response.headers["Location"] = f"/api/v1/incidents/{inject.incident_id}/injects/{inject.id}"
    return response


@routes.get(PATH)
@describe(
    "The exercise's injects: the whole script, or those delivered to the caller",
    description="Those who manage the incident see the whole script (scheduled, delivered "
    "and withdrawn injects); viewers and duty officers of the owner or county board every "
    "delivered inject; a participant only the delivered injects meant for it. "
    "`format=csv`: the same injects, one row each (the inject timeline for the "
    "evaluation), as a download.",
    query=InjectsQuery,
    responses={
        200: Body(
            model=InjectList,
            media_types=(JSON, "text/csv"),
            by_media_type={"text/csv": {"type": "string"}},
        )
    },
    errors=(422,),
)
async def list_injects(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    query = parse_query(request, InjectsQuery)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, target)
        found = await script.list_injects(conn, principal, target)
    if query.format == "csv":
        incident = lifecycle.to_wire(row, request.app[keys.clock].now())
        name = f"lagesbild-{'ovning-' if row.exercise else ''}{target}-inspel.csv"
        return web.Response(
            body=formats.injects_csv(incident, found).encode(),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return json_response(InjectList(incident_id=str(target), injects=found).model_dump(mode="json"))


@routes.post(PATH)
@describe(
    "Add an inject to the exercise's script",
    description=WRITERS + " The time is `offset_minutes` after the start (the activation) "
    "or an absolute `at`; the audience is every participant (null) or those named. The "
    "scheduler delivers it at its time: `inject.delivered` in the log, and an e-mail to "
    "each contact of the audience.",
    request=InjectBody,
    responses={201: Inject},
    headers={201: ("Location",)},
    errors=(403, 409),
)
async def add(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, InjectBody)
    added = await script.add(
        request.app[keys.pool], principal, target, body, request.app[keys.clock].now()
    )
    poke_timer(request)
    return _one(added, 201)


@routes.put(PATH + "/{inject}")
@describe(
    "Change an inject not yet delivered",
    description=WRITERS + " 409 `inject-delivered` or `inject-withdrawn` for one that is.",
    request=InjectBody,
    responses={200: Inject},
    path=INJECT,
    errors=(403, 404, 409),
)
async def change(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    which = inject_id(request)
    body = await parse(request, InjectBody)
    changed = await script.change(
        request.app[keys.pool], principal, target, which, body, request.app[keys.clock].now()
    )
    poke_timer(request)
    return _one(changed)


@routes.post(PATH + "/{inject}/withdraw")
@describe(
    "Withdraw an inject not yet delivered (it is kept, marked withdrawn, and never delivered)",
    description=WRITERS + " 409 `inject-delivered` or `inject-withdrawn` for one that is.",
    responses={200: Inject},
    path=INJECT,
    errors=(403, 404, 409),
)
async def withdraw(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    which = inject_id(request)
    withdrawn = await script.withdraw(
        request.app[keys.pool], principal, target, which, request.app[keys.clock].now()
    )
    return _one(withdrawn)


@routes.post(PATH + "/from-template")
@describe(
    "Copy a template's injects into the exercise's script, at new times",
    description=WRITERS + " Each inject at its offset after `start` (the activation when "
    "left out). Only templates of the caller's organisation (404 otherwise).",
    request=FromTemplate,
    responses={201: InjectList},
    errors=(403, 404, 409),
)
async def from_template(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    target = incident_id(request)
    body = await parse(request, FromTemplate)
    added = await script.from_template(
        request.app[keys.pool], principal, target, body, request.app[keys.clock].now()
    )
    poke_timer(request)
    listed = InjectList(incident_id=str(target), injects=added)
    return json_response(listed.model_dump(mode="json"), status=201)


@routes.get("/api/v1/inject-templates")
@describe(
    "The inject templates of the caller's organisation, newest first",
    description="Duty officers (403 for other roles).",
    responses={200: TemplateList},
    errors=(403,),
)
async def list_templates(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    async with request.app[keys.pool].acquire() as conn:
        found = await script.list_templates(conn, principal)
    return json_response(TemplateList(templates=found).model_dump(mode="json"))


@routes.post("/api/v1/inject-templates")
@describe(
    "Save an exercise's script as a template of the caller's organisation",
    description="Duty officers who manage the incident. Its injects not withdrawn, each "
    "with its time as minutes after the incident's start. 409 `script-empty` when there "
    "are none.",
    request=TemplateCreate,
    responses={201: InjectTemplate},
    errors=(403, 404, 409),
)
async def save_template(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse(request, TemplateCreate)
    saved = await script.save_template(
        request.app[keys.pool], principal, body, request.app[keys.clock].now()
    )
    return json_response(saved.model_dump(mode="json"), status=201)
