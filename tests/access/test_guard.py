"""The guard fails closed: a core route the access matrix does not list is refused."""

from __future__ import annotations

from aiohttp import web

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from tests.support import assert_problem, served


async def test_a_core_route_missing_from_the_matrix_is_refused_even_for_an_admin(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    async def unlisted(request: web.Request) -> web.Response:
        return web.json_response({"reached": True})

    unlisted.__module__ = "service.http.unlisted"  # as if the core had added it
    app = create_app(settings, dsn=dsn, clock=clock)
    app.router.add_get("/api/v1/unlisted", unlisted)
    async with served(app, dsn) as api:
        reply = await api.call("GET", "/api/v1/unlisted", as_=("LST-14", "admin"))
        assert_problem(reply, 403, "forbidden")
        assert "access matrix" in reply.body["detail"]
        listed = await api.call("GET", "/api/v1/organisations", as_=("LST-14", "admin"))
        assert listed.status == 200
