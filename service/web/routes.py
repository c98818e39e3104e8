"""The web app's routes: pages, static files and the service worker."""

from __future__ import annotations

from aiohttp import web

from service import keys
from service.web import (
    admin,
    api_docs,
    auth_pages,
    delivery_pages,
    drill_pages,
    inject_pages,
    invitation_pages,
    journal_page,
    national_page,
    pages,
    summary_pages,
)
from service.web.render import setup

static_routes = web.RouteTableDef()


@static_routes.get("/static/{name}")
async def static_file(request: web.Request) -> web.Response:
    return request.app[keys.assets].response(request, request.match_info["name"])


@static_routes.get("/sw.js")
async def service_worker(request: web.Request) -> web.Response:
    # Served from the root so that it may look after every page of the site.
    response = request.app[keys.assets].response(request, "sw.js")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def setup_web(app: web.Application) -> None:
    setup(app)
    app.add_routes(static_routes)
    app.add_routes(auth_pages.routes)
    app.add_routes(pages.routes)
    app.add_routes(summary_pages.routes)
    app.add_routes(delivery_pages.routes)
    app.add_routes(journal_page.routes)
    app.add_routes(admin.routes)
    app.add_routes(invitation_pages.routes)
    app.add_routes(inject_pages.routes)
    app.add_routes(national_page.routes)
    app.add_routes(drill_pages.routes)
    app.add_routes(api_docs.routes)
