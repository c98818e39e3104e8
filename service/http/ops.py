"""Liveness, readiness and metrics, for load balancers and Prometheus."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from schemas.api import Health, Readiness
from service import keys
from service.db.migrate import MigrationError, pending
from service.errors import NotFound
from service.http.apidoc import Body, describe
from service.http.middleware import json_response
from service.http.source import client_address, in_networks
from service.metrics import exposed

routes = web.RouteTableDef()


@routes.get("/healthz")
@describe("Alive", responses={200: Health}, auth=False)
async def healthz(_request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


@routes.get("/readyz")
@describe(
    "Ready: the database reachable, migrations applied, listening for events",
    responses={200: Readiness, 503: Readiness},
    notes={503: "Not ready, and why"},
    auth=False,
)
async def readyz(request: web.Request) -> web.Response:
    try:
        async with asyncio.timeout(2.0), request.app[keys.pool].acquire() as conn:
            waiting = await pending(conn)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return json_response({"status": "unavailable", "database": str(exc) or "unreachable"}, 503)
    except MigrationError as exc:
        return json_response({"status": "unavailable", "migrations": str(exc)}, 503)
    if waiting:
        return json_response({"status": "unavailable", "pending_migrations": waiting}, 503)
    if not request.app[keys.listener].listening:
        return json_response({"status": "unavailable", "stream": "not listening for events"}, 503)
    return json_response({"status": "ready"})


@routes.get("/metrics")
@describe(
    "Prometheus metrics",
    responses={200: Body(schema={"type": "string"}, media_types=("text/plain",))},
    auth=False,
)
async def metrics(request: web.Request) -> web.Response:
    """For the configured networks only (a scraper beside the service); 404 to others."""
    settings = request.app[keys.settings]
    if not in_networks(
        client_address(request, settings.trusted_proxies), settings.metrics_networks
    ):
        raise NotFound("no such resource")
    body = generate_latest(exposed(request.app[keys.metrics].registry))
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
