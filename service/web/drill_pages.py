"""The drill pages: the county's drills with their figures, the form that starts one,
and a drill's result (the data of `GET /api/v1/drills` and `/api/v1/drills/{id}`)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.drill import DrillStart
from service import keys
from service.access.principal import Principal
from service.domain import lifecycle
from service.drills import operations
from service.errors import Forbidden, ValidationFailed
from service.http import audit
from service.http.drills import channels
from service.http.queries import incident_id
from service.repo import organisations
from service.repo.users import SessionRow
from service.web.admin import form_checked
from service.web.pages import page
from service.web.render import render

routes = web.RouteTableDef()


class DrillForm(BaseModel):
    """The form: the participants ticked, the message, the time to respond."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    title: str = Field(default="", max_length=200)
    message: str = Field(max_length=2000)
    respond_minutes: int
    participants: list[str] = Field(default_factory=list)
    invitations: bool = False


def duration(seconds: int | None) -> str:
    """`12 min 5 s`, or `–`."""
    if seconds is None:
        return "–"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def share(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)} %"


def _county_of(session: SessionRow) -> str:
    if session.org_county is None:
        raise Forbidden("the drills are a county board's")
    return session.org_county


@routes.get("/drills")
@page
async def drills_page(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    found = await operations.of_county(
        request.app[keys.pool], principal, None, request.app[keys.clock].now()
    )
    context = {
        "exercise": True,  # every drill is an exercise: the page carries the banner
        "drills": found,
        "may_start": session.role == "duty_officer" and session.org_kind == "county_board",
        "duration": duration,
        "share": share,
    }
    return render(request, "drills.html", context, session=session)


async def _form(
    request: web.Request, session: SessionRow, *, refused: bool = False, status: int = 200
) -> web.Response:
    county = _county_of(session)
    async with request.app[keys.pool].acquire() as conn:
        found = await organisations.list_all(conn, county=county, kind="municipality")
    context: dict[str, Any] = {
        "exercise": True,
        "county": county,
        "municipalities": [(o.code, o.name) for o in found],
        "refused": refused,
    }
    return render(request, "drill_new.html", context, session=session, status=status)


@routes.get("/drills/new")
@page
async def new_drill_page(request: web.Request, session: SessionRow) -> web.Response:
    return await _form(request, session)


@routes.post("/drills")
@page
async def start_drill(request: web.Request, session: SessionRow) -> web.Response:
    await form_checked(request, session)
    principal = Principal.for_session(session)
    posted = await request.post()
    fields: dict[str, Any] = dict(posted)
    fields["participants"] = [str(v) for v in posted.getall("participants", [])]
    fields["invitations"] = "invitations" in posted
    try:
        form = DrillForm.model_validate(fields)
        body = DrillStart(
            county=_county_of(session),
            participants=form.participants or None,
            message=form.message,
            respond_minutes=form.respond_minutes,
            title=form.title or None,
            invitations=form.invitations,
        )
        drill, seq = await operations.start(
            request.app[keys.pool],
            principal,
            body,
            request.app[keys.clock].now(),
            channels=channels(request),
            by=audit.origin(request, principal),
        )
    except (ValidationError, ValidationFailed):
        return await _form(request, session, refused=True, status=422)
    request.app[keys.hub].notify(drill.incident_id, seq)
    raise web.HTTPSeeOther(f"/incidents/{drill.incident_id}/drill")


@routes.get("/incidents/{id}/drill")
@page
async def drill_page(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        drill = await operations.of_incident(conn, principal, row.id, now)
    context = {
        "incident": {"id": str(row.id), "title": row.title, "exercise": row.exercise},
        "exercise": row.exercise,
        "drill": drill,
        "duration": duration,
        "share": share,
    }
    return render(request, "drill.html", context, session=session)
