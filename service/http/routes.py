"""Every route of the core, in one place (adapters add theirs in `Adapter.setup`)."""

from __future__ import annotations

from aiohttp import web

from service import keys
from service.http import (
    deliveries,
    drills,
    evaluation,
    incidents,
    injects,
    invitations,
    journal,
    national,
    openapi,
    ops,
    organisations,
    readout,
    schemas,
    sharing,
    summaries,
    timeline,
)
from service.http import rounds as rounds_routes
from service.outbox import http as outbox_http
from service.stream.endpoint import stream
from service.web.routes import setup_web


def setup_routes(app: web.Application) -> None:
    app.add_routes(ops.routes)
    app.add_routes(organisations.routes)
    app.add_routes(incidents.routes)
    app.add_routes(summaries.routes)
    app.add_routes(schemas.routes)
    app.add_routes(timeline.routes)
    app.add_routes(readout.routes)
    app.add_routes(deliveries.routes)
    app.add_routes(outbox_http.routes)
    app.router.add_get("/api/v1/stream", stream, name="stream")
    app.add_routes(rounds_routes.routes)
    app.add_routes(sharing.routes)
    app.add_routes(evaluation.routes)
    app.add_routes(invitations.routes)
    app.add_routes(journal.routes)
    app.add_routes(injects.routes)
    app.add_routes(national.routes)
    app.add_routes(drills.routes)
    app.add_routes(openapi.routes)
    app[keys.api_document] = openapi.ApiDocument()
    setup_web(app)
