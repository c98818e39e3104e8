"""The pages of an incident: list, dashboard, report form, console, history."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from schemas.common import SECTORS
from service import keys
from service.access.policy import (
    can_activate_in,
    can_evaluate,
    can_manage,
    can_see_deliveries,
    can_share,
    may_share_with,
)
from service.access.principal import Principal
from service.clock import iso
from service.domain import lifecycle
from service.domain.plaintext import incident_code
from service.drills import repo as drill_repo
from service.errors import Forbidden, NotFound
from service.http import audit, guard
from service.http.queries import incident_id, path_number
from service.injects import script
from service.repo import evaluations, incidents, organisations, reports
from service.repo.incidents import IncidentRow
from service.repo.users import SessionRow
from service.rounds import repo as rounds_repo
from service.rounds.plan import classify
from service.web import maps
from service.web.auth_pages import require_session
from service.web.i18n import lang_of
from service.web.render import render, strings

routes = web.RouteTableDef()

# The texts each page's script needs.
_DOMAIN = (
    "sector",
    "impact.",
    "status.",
    "trend.",
    "management.",
    "urgency.",
    "need.",
    "field.",
    "version",
    "console.",
    "rounds.",
    "no_changes",
)


def _page(
    request: web.Request,
    template: str,
    session: SessionRow,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    return render(request, template, context, session=session, status=status)


PageHandler = Callable[[web.Request, SessionRow], Awaitable[web.Response]]


def page(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A page for a logged-in person (others go to the log-in page). A handler raises
    NotFound or Forbidden like the API does; here they become pages in the person's
    language, not problem+json."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.Response:
        session = await require_session(request)
        try:
            await guard.check(request, Principal.for_session(session))
            return await handler(request, session)
        except NotFound:
            return _page(request, "error.html", session, {"message_key": "not_found"}, status=404)
        except Forbidden as exc:  # a refusal, recorded as the API's are
            await audit.record_alone(
                request,
                "permission.denied",
                audit.origin(request, Principal.for_session(session)),
                must=False,
                method=request.method,
                path=request.path,
                reason=exc.detail,
            )
            return _page(request, "error.html", session, {"message_key": "forbidden"}, status=403)

    return wrapped


async def _incident(request: web.Request, session: SessionRow) -> IncidentRow:
    async with request.app[keys.pool].acquire() as conn:
        return await lifecycle.visible(conn, Principal.for_session(session), incident_id(request))


async def _managed(request: web.Request, session: SessionRow) -> IncidentRow:
    """An active incident the person may change and close."""
    row = await _incident(request, session)
    if not can_manage(Principal.for_session(session), row.access) or row.status != "active":
        raise Forbidden("only a duty officer of the incident changes or closes it")
    return row


def _boot(request: web.Request, session: SessionRow, **data: Any) -> dict[str, Any]:
    """What a page's script starts from, embedded in the page as JSON."""
    return {
        "lang": lang_of(request),
        "csrf": session.csrf_token,
        "organisation": session.organisation,
        "role": session.role,
        "strings": strings(lang_of(request), (*_DOMAIN, "js.")),
        **data,
    }


@routes.get("/incidents")
@page
async def incident_list(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        rows = await incidents.list_visible(conn, principal, status=None)
    wire = [lifecycle.to_wire(row, now) for row in rows]
    return _page(
        request,
        "incidents.html",
        session,
        {
            "active": [i for i in wire if i.status == "active"],
            "closed": [i for i in wire if i.status == "closed"],
            # As `can_activate_in`: a county board's duty officer, or an agency's.
            "can_activate": principal.role == "duty_officer"
            and principal.org_kind in {"county_board", "agency"},
            "participant": principal.organisation,
        },
    )


@routes.get("/incidents/new")
@page
async def new_incident(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    if principal.role != "duty_officer":
        raise Forbidden("only a duty officer activates incidents")
    return await _console(request, session, None)


@routes.get("/incidents/{id}/edit")
@page
async def edit_incident(request: web.Request, session: SessionRow) -> web.Response:
    row = await _managed(request, session)
    return await _console(request, session, row)


async def _console(
    request: web.Request, session: SessionRow, row: IncidentRow | None
) -> web.Response:
    principal = Principal.for_session(session)
    async with request.app[keys.pool].acquire() as conn:
        orgs = await organisations.list_all(conn, county=None, kind=None)
    counties = sorted(
        {(o.county, o.name) for o in orgs if o.kind == "county_board" and o.county},
    )
    allowed = [c for c in counties if can_activate_in(principal, c[0])]
    now = request.app[keys.clock].now()
    incident = lifecycle.to_wire(row, now).model_dump(mode="json") if row else None
    return _page(
        request,
        "console.html",
        session,
        {
            "incident": incident,
            "exercise": bool(row and row.exercise),
            "boot": _boot(
                request,
                session,
                incident=incident,
                counties=[{"code": code, "name": name} for code, name in allowed],
                organisations=[o.model_dump() for o in orgs if o.kind == "municipality"],
            ),
            "counties": allowed,
        },
    )


@routes.get("/incidents/{id}/close")
@page
async def close_page(request: web.Request, session: SessionRow) -> web.Response:
    row = await _managed(request, session)
    incident = lifecycle.to_wire(row, request.app[keys.clock].now())
    return _page(
        request,
        "close.html",
        session,
        {
            "incident": incident,
            "exercise": row.exercise,
            "boot": _boot(request, session, incident={"id": str(row.id)}),
        },
    )


@routes.get("/incidents/{id}")
@page
async def dashboard(request: web.Request, session: SessionRow) -> web.Response:
    row = await _incident(request, session)
    principal = Principal.for_session(session)
    incident = lifecycle.to_wire(row, request.app[keys.clock].now())
    async with request.app[keys.pool].acquire() as conn:
        every = await organisations.list_all(conn)
        evaluation = None if row.active else await evaluations.latest(conn, row.id)
        # an exercise that is a reporting drill links to the drill's result
        drill = await drill_repo.of_incident(conn, row.id) if row.exercise else None
        injects = await script.delivered_for(conn, principal, row) if row.exercise else []
    names = {org.code: org.name for org in every}
    boards = [org for org in every if org.kind == "county_board"]
    return _page(
        request,
        "dashboard.html",
        session,
        {
            "incident": incident,
            # The short code reports by e-mail (and reminders) name the incident by.
            "code": incident_code(row.id),
            # The evaluation panel of a closed incident (evaluation_panel.html).
            "evaluation": evaluation,
            "can_evaluate": not row.active and can_evaluate(principal, row.access),
            # The sharing panel: who it is shared with; the boards it may be shared with.
            "can_share": can_share(principal, row.access),
            "shared": [b for b in boards if b.code in row.shared_with],
            "share_targets": [
                b
                for b in boards
                if b.code not in row.shared_with
                and may_share_with(b.kind, b.county, row.access) is None
            ],
            "exercise": row.exercise,
            # The injects delivered to the caller (an exercise's; injects_panel.html).
            "injects": injects,
            "sectors": SECTORS,
            # drawn off the event loop: the first map of a county takes a moment, then is kept
            "map": await asyncio.to_thread(maps.county_map, row.county, row.participants),
            # the matrix's rows before the snapshot fills them: its height is kept
            "placeholders": sorted(
                ((code, names.get(code, code)) for code in row.participants),
                key=lambda item: item[1].casefold(),
            ),
            "can_manage": can_manage(principal, row.access) and row.status == "active",
            "can_see_deliveries": can_see_deliveries(principal, row.access),
            "is_drill": drill is not None,
            "can_report": principal.role == "reporter"
            and principal.organisation in row.participants
            and row.status == "active",
            "boot": _boot(
                request,
                session,
                incident={
                    "id": str(row.id),
                    "title": row.title,
                    "activated_at": iso(row.activated_at),
                    "closed_at": None if row.closed_at is None else iso(row.closed_at),
                },
                sectors=SECTORS,
            ),
        },
    )


@routes.get("/incidents/{id}/report")
@page
async def report_page(request: web.Request, session: SessionRow) -> web.Response:
    row = await _incident(request, session)
    principal = Principal.for_session(session)
    if principal.role != "reporter" or principal.organisation not in row.participants:
        raise Forbidden("only a reporter of a participating organisation reports")
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        previous = await reports.latest(conn, row.id, principal.organisation)
        injects = await script.delivered_for(conn, principal, row) if row.exercise else []
    incident = lifecycle.to_wire(row, now)
    picture = await request.app[keys.hub].current_picture(row.id) or {}
    entry = picture.get("organisations", {}).get(principal.organisation, {})
    return _page(
        request,
        "report.html",
        session,
        {
            "incident": incident,
            "exercise": row.exercise,
            "sectors": SECTORS,
            "previous": previous,
            "overdue": bool(entry.get("overdue")),
            "org_name": session.org_name,
            "injects": injects,
            "can_manage": False,
            "boot": _boot(
                request,
                session,
                incident={
                    "id": str(row.id),
                    "status": row.status,
                    "due_at": incident.model_dump(mode="json")["due_at"],
                },
                previous=previous.model_dump(mode="json") if previous else None,
                sectors=SECTORS,
                now=now.isoformat(),
            ),
        },
    )


@routes.get("/incidents/{id}/organisations/{code}")
@page
async def history_page(request: web.Request, session: SessionRow) -> web.Response:
    row = await _incident(request, session)
    code = request.match_info["code"]
    if code not in row.participants:
        raise NotFound(f"{code} does not take part in {row.id}")
    async with request.app[keys.pool].acquire() as conn:
        found = await reports.history(conn, row.id, organisation=code, limit=None)
        org = await organisations.get(conn, code)
    ordered = sorted(found, key=lambda report: report.version)
    return _page(
        request,
        "history.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "organisation": org,
            "reports": ordered,
            "sectors": SECTORS,
            # What changed is drawn in the browser, by the module the report form uses.
            "boot": _boot(
                request,
                session,
                sectors=SECTORS,
                reports=[
                    {"version": report.version, **report.content().model_dump(mode="json")}
                    for report in ordered
                ],
            ),
        },
    )


@routes.get("/incidents/{id}/rounds/{n}")
@page
async def round_page(request: web.Request, session: SessionRow) -> web.Response:
    """The picture at one past deadline, as stored when its round closed, beside who
    reported on time, late (counted as of now) or not at all."""
    row = await _incident(request, session)
    raw = request.match_info["n"]
    n = path_number(raw, max_digits=9) or 0
    async with request.app[keys.pool].acquire() as conn:
        closed = await rounds_repo.list_rounds(conn, row.id)
        picture = await rounds_repo.round_picture(conn, row.id, n) if n >= 1 else None
        times = await rounds_repo.report_times(conn, row.id)
    if picture is None:
        raise NotFound(f"no closed round {raw!r} in incident {row.id}")
    previous = next((r.due_at for r in closed if r.n == n - 1), None)
    this = next(r for r in closed if r.n == n)
    outcome = classify(this.expected, times, previous=previous, due_at=this.due_at)
    names = {code: entry.get("name") or code for code, entry in picture["organisations"].items()}
    return _page(
        request,
        "round.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "round": this,
            "rounds": closed,
            "entries": sorted(
                picture["organisations"].items(),
                key=lambda item: str(item[1].get("name") or item[0]).casefold(),
            ),
            "sectors": SECTORS,
            "outcome": {
                kind: [names.get(code, code) for code in getattr(outcome, kind)]
                for kind in ("on_time", "late", "overdue")
            },
        },
    )
