"""`GET /national`: the national roll-up as a page, kept current from the `national` topic."""

from __future__ import annotations

import asyncio

from aiohttp import web

from schemas.common import SECTORS
from service import keys
from service.access.principal import Principal
from service.national.view import national_view, require_national
from service.repo.users import SessionRow
from service.web import maps
from service.web.i18n import lang_of
from service.web.pages import page
from service.web.render import render, strings

routes = web.RouteTableDef()

_TEXTS = ("national.", "impact.", "sector", "severity.", "urgency.", "exercise", "js.")


@routes.get("/national")
@page
async def national_page(request: web.Request, session: SessionRow) -> web.Response:
    require_national(Principal.for_session(session))
    hub = request.app[keys.hub]
    rollup = await hub.current_national()
    view = national_view(rollup, hub.national_seq, request.app[keys.clock].now())
    return render(
        request,
        "national.html",
        {
            "view": view,
            "sectors": SECTORS,
            # Sweden's counties, painted from the real part of the roll-up
            "counties_map": await asyncio.to_thread(maps.counties_map),
            "boot": {
                "lang": lang_of(request),
                "strings": strings(lang_of(request), _TEXTS),
                "sectors": SECTORS,
                "county_names": view["county_names"],
            },
        },
        session=session,
    )
