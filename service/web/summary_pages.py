"""The summary pages: the shared draft (autosaved, merged on conflict, checked before
publishing), a published summary with its distribution, and the list."""

from __future__ import annotations

from aiohttp import web

from schemas.common import IMPACTS, SECTORS, TRENDS
from service import keys
from service.access.policy import can_draft_summary, can_publish_summary
from service.access.principal import Principal
from service.domain import lifecycle
from service.domain import summaries as domain
from service.errors import Forbidden, NotFound
from service.http.queries import incident_id
from service.repo import summaries as repo
from service.repo.users import SessionRow
from service.web.i18n import lang_of
from service.web.pages import _boot, _page, page
from service.web.render import strings

routes = web.RouteTableDef()


@routes.get("/incidents/{id}/summaries")
@page
async def summary_list(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        found = await domain.list_published(conn, principal, row.id)
    return _page(
        request,
        "summaries.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "summaries": list(reversed(found)),
            "can_draft": can_draft_summary(principal, row.access) and row.active,
        },
    )


@routes.get("/incidents/{id}/summaries/draft")
@page
async def draft_page(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
    if not can_draft_summary(principal, row.access) or not row.active:
        raise Forbidden("only viewers and duty officers of the county board draft summaries")
    boot = _boot(
        request,
        session,
        incident={"id": str(row.id), "title": row.title},
        sectors=SECTORS,
        sections=domain.SECTIONS,
        can_publish=can_publish_summary(principal, row.access),
    )
    boot["strings"].update(strings(lang_of(request), ("summaries.",)))
    return _page(
        request,
        "summary_draft.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "sectors": SECTORS,
            "impacts": IMPACTS,
            "trends": TRENDS,
            "can_publish": can_publish_summary(principal, row.access),
            "boot": boot,
        },
    )


@routes.get("/incidents/{id}/summaries/{n}")
@page
async def summary_page(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    raw = request.match_info["n"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise NotFound(f"no summary {raw!r}")
    number = int(raw)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        summary = await domain.get_published(conn, principal, row.id, number)
        deliveries = [d for d in await repo.deliveries(conn, row.id) if d.number == number]
        last = await repo.last_number(conn, row.id)
    formats: list[str] = sorted(request.app[keys.summary_formats].keys())
    return _page(
        request,
        "summary.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "s": summary,
            "deliveries": deliveries,
            "last_number": last,
            "can_draft": can_draft_summary(principal, row.access) and row.active,
            "formats": formats,
        },
    )
