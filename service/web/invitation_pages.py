"""The invitation-link pages: the console's list of links (make, revoke), and the report
form a link opens without an account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.common import SECTORS
from schemas.round import Email
from service import keys
from service.access.principal import Principal
from service.domain import lifecycle
from service.errors import NotFound, ValidationFailed
from service.http import audit
from service.http.headers import secure_headers
from service.http.invitations import base_url, invitation_number, wire
from service.http.queries import incident_id
from service.injects import script
from service.invitations import operations
from service.invitations.operations import Made
from service.repo import organisations, reports
from service.repo.users import SessionRow
from service.web.admin import form_checked
from service.web.i18n import lang_of
from service.web.pages import page
from service.web.render import render, strings

routes = web.RouteTableDef()

_REPORT_STRINGS = (
    "sector",
    "impact.",
    "status.",
    "trend.",
    "management.",
    "urgency.",
    "need.",
    "field.",
    "version",
    "no_changes",
    "js.",
)


class InvitationForm(BaseModel):
    """The console's form: a participant, an optional address, how many days."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    organisation: str = Field(max_length=32)
    email: Email | None = None
    days: int = Field(default=7, ge=1, le=30)

    @field_validator("email", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


async def _console(
    request: web.Request,
    session: SessionRow,
    *,
    made: Made | None = None,
    refused: bool = False,
    status: int = 200,
) -> web.Response:
    principal = Principal.for_session(session)
    target = incident_id(request)
    pool = request.app[keys.pool]
    found = await operations.listed(pool, principal, target)
    async with pool.acquire() as conn:
        row = await lifecycle.visible(conn, principal, target)
        names = {
            o.code: o.name for o in (await organisations.get_many(conn, row.participants)).values()
        }
    now = request.app[keys.clock].now()
    context: dict[str, Any] = {
        "incident": {"id": str(row.id), "title": row.title, "exercise": row.exercise},
        "exercise": row.exercise,
        "invitations": [wire(i, now) for i in found],
        "participants": sorted(
            ((code, names.get(code, code)) for code in row.participants),
            key=lambda item: item[1].casefold(),
        ),
        "names": names,
        "made": made,
        "refused": refused,
        "done": request.query.get("done"),
        "default_days": round(request.app[keys.settings].invitation_days),
    }
    return render(request, "invitations.html", context, session=session, status=status)


@routes.get("/incidents/{id}/invitations")
@page
async def invitations_page(request: web.Request, session: SessionRow) -> web.Response:
    return await _console(request, session)


@routes.post("/incidents/{id}/invitations")
@page
async def make_invitation(request: web.Request, session: SessionRow) -> web.Response:
    await form_checked(request, session)
    principal = Principal.for_session(session)
    now = request.app[keys.clock].now()
    try:
        form = InvitationForm.model_validate(dict(await request.post()))
        made = await operations.create(
            request.app[keys.pool],
            principal,
            incident_id(request),
            organisation=form.organisation,
            email=form.email,
            expires_at=now + timedelta(days=form.days),
            now=now,
            base_url=base_url(request),
            default_days=request.app[keys.settings].invitation_days,
            by=audit.origin(request, principal),
        )
    except (ValidationError, ValidationFailed):
        return await _console(request, session, refused=True, status=422)
    return await _console(request, session, made=made, status=201)


@routes.post("/incidents/{id}/invitations/{invitation}/revoke")
@page
async def revoke_invitation(request: web.Request, session: SessionRow) -> web.Response:
    await form_checked(request, session)
    principal = Principal.for_session(session)
    target = incident_id(request)
    await operations.revoke(
        request.app[keys.pool],
        principal,
        target,
        invitation_number(request),
        now=request.app[keys.clock].now(),
        by=audit.origin(request, principal),
    )
    raise web.HTTPSeeOther(f"/incidents/{target}/invitations?done=revoked")


@routes.get("/invite/{secret}")
async def invited_report_page(request: web.Request) -> web.Response:
    """The ordinary report form, for whoever holds a live link (no account, no cookie)."""
    now = request.app[keys.clock].now()
    secret = request.match_info["secret"]
    try:
        held = await operations.open_link(request.app[keys.pool], secret, now)
    except NotFound:
        response = render(
            request, "error.html", {"message_key": "invite.dead"}, session=None, status=404
        )
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
    row = held.incident
    organisation = held.organisation.code
    async with request.app[keys.pool].acquire() as conn:
        previous = await reports.latest(conn, row.id, organisation)
        injects = await script.delivered_to(conn, row, organisation) if row.exercise else []
    incident = lifecycle.to_wire(row, now)
    picture = await request.app[keys.hub].current_picture(row.id) or {}
    entry = picture.get("organisations", {}).get(organisation, {})
    lang = lang_of(request)
    boot = {
        "lang": lang,
        "csrf": "",
        "organisation": organisation,
        "role": "reporter",
        "strings": strings(lang, _REPORT_STRINGS),
        "incident": {
            "id": str(row.id),
            "status": row.status,
            "due_at": incident.model_dump(mode="json")["due_at"],
        },
        "previous": previous.model_dump(mode="json") if previous else None,
        "sectors": SECTORS,
        "now": now.isoformat(),
        "report_url": f"/invite/{secret}/reports",
    }
    response = render(
        request,
        "report.html",
        {
            "incident": incident,
            "exercise": row.exercise,
            "sectors": SECTORS,
            "previous": previous,
            "overdue": bool(entry.get("overdue")),
            "org_name": held.organisation.name,
            "invited": True,
            "injects": injects,
            "can_manage": False,
            "boot": boot,
        },
        session=None,
    )
    secure_headers(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
