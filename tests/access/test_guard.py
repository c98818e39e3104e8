"""The guard fails closed: a core route the access matrix does not list is refused."""

from __future__ import annotations

import functools
import uuid

import pytest
from aiohttp import web

from service import keys
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db import pool as pool_module
from tests.ingest.support import CountingConnection, sent
from tests.settings import with_changes
from tests.support import PARTICIPANTS, assert_problem, report, served


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


async def test_a_tokens_report_is_three_statements_the_token_with_the_incident_read_write(
    settings: Settings, dsn: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The token's statement reads the route's incident's access facts as well, so the
    access check sends none of its own, and the hub is handed the report's event: a
    report's request is the token's statement, the batch's read and its write. The
    answers are as before (404 for an incident the caller may not see or that is not
    there, 403 for a participant removed)."""
    counting = functools.partial(pool_module.create_pool, connection_class=CountingConnection)
    monkeypatch.setattr(pool_module, "create_pool", counting)
    app = create_app(with_changes(settings, db_pool_min=1, db_pool_max=1), dsn=dsn, clock=clock)
    async with served(app, dsn) as api:
        incident = await api.activate()
        path = f"/api/v1/incidents/{incident['id']}/picture"
        first = await api.submit(incident["id"], report("1442"))  # its statements prepared
        assert first.status == 201
        before = len(await sent(app[keys.pool]))
        second = await api.submit(incident["id"], report("1442"))
        statements = (await sent(app[keys.pool]))[before:]
        assert second.status == 201
        assert len(statements) == 3, statements
        token, read, write = statements
        assert token.startswith("WITH t AS")
        assert "JOIN incidents i ON i.id = $6" in token
        assert read.startswith("SELECT i.*")
        assert "AS latest" in read
        assert write.startswith("WITH advanced AS")
        # Refusals as before: another county's board, and no such incident.
        other = await api.call("GET", path, as_=("LST-01", "viewer"))
        assert_problem(other, 404, "not-found")
        nowhere = await api.call(
            "GET", f"/api/v1/incidents/{uuid.uuid4()}/picture", as_=("LST-14", "viewer")
        )
        assert_problem(nowhere, 404, "not-found")
        removed = await api.call(
            "PATCH",
            f"/api/v1/incidents/{incident['id']}",
            as_=("LST-14", "duty_officer"),
            json_body={"participants": [c for c in PARTICIPANTS if c != "1442"]},
        )
        assert removed.status == 200, removed.body
        gone = await api.submit(incident["id"], report("1442"))
        assert_problem(gone, 403, "not-participant")
