"""The incident journal's page: every entry, newest first, and the form to add one."""

from __future__ import annotations

from aiohttp import web

from schemas.journal import JOURNAL_CATEGORIES
from service import keys
from service.access.policy import can_write_journal
from service.access.principal import Principal
from service.domain import lifecycle
from service.http.queries import incident_id
from service.journal import entries
from service.repo.users import SessionRow
from service.web.pages import _boot, _page, page

routes = web.RouteTableDef()


@routes.get("/incidents/{id}/journal")
@page
async def journal_page(request: web.Request, session: SessionRow) -> web.Response:
    principal = Principal.for_session(session)
    async with request.app[keys.pool].acquire() as conn:
        row = await lifecycle.visible(conn, principal, incident_id(request))
        found = await entries.list_entries(conn, principal, row.id)
    return _page(
        request,
        "journal.html",
        session,
        {
            "incident": lifecycle.to_wire(row, request.app[keys.clock].now()),
            "exercise": row.exercise,
            "entries": list(reversed(found)),
            "categories": JOURNAL_CATEGORIES,
            "can_write": can_write_journal(principal, row.access) and row.active,
            "boot": _boot(request, session, incident={"id": str(row.id)}),
        },
    )
