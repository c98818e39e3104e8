"""Admin views of the outbox: depth, failures and dead letters, and retrying them."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from schemas.outbox import (
    DestinationCounts,
    OpenBreaker,
    OutboxMessageView,
    OutboxOverview,
    OutboxStatus,
)
from service import keys
from service.access.principal import Principal
from service.audit.record import record
from service.clock import iso
from service.errors import Conflict, Forbidden, NotFound
from service.http import audit
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.middleware import json_response
from service.http.queries import parse_query, path_number
from service.outbox import repo
from service.outbox.backoff import BreakerState
from service.outbox.repo import OutboxRow

routes = web.RouteTableDef()


class OutboxQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: OutboxStatus | None = None
    destination: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


async def _admin(request: web.Request) -> Principal:
    principal = await authenticate(request)
    if principal.role != "admin":
        raise Forbidden("only admins see and retry the outbox")
    return principal


def view(row: OutboxRow) -> OutboxMessageView:
    return OutboxMessageView(
        id=row.id,
        message_id=row.message_id,
        destination=row.destination,
        kind=row.kind,
        incident_id=row.incident_id,
        status=row.status,
        attempts=row.attempts,
        created_at=iso(row.created_at),
        next_attempt_at=iso(row.next_attempt_at) if row.status == "pending" else None,
        last_error=row.last_error,
        delivered_at=iso(row.delivered_at) if row.delivered_at is not None else None,
    )


@routes.get("/api/v1/outbox")
@describe(
    "The outbox: counts, open breakers and messages (admins)",
    query=OutboxQuery,
    responses={200: OutboxOverview},
    errors=(403,),
)
async def overview(request: web.Request) -> web.Response:
    await _admin(request)
    query = parse_query(request, OutboxQuery)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        counts = await repo.counts(conn)
        oldest = await repo.oldest_pending(conn)
        rows = await repo.list_messages(
            conn, status=query.status, destination=query.destination, limit=query.limit
        )
    per_destination: dict[str, dict[str, int]] = {}
    totals = {"pending": 0, "delivered": 0, "dead": 0}
    for count in counts:
        per_destination.setdefault(count.destination, {})[count.status] = count.count
        totals[count.status] += count.count
    breakers = request.app[keys.outbox_worker].breakers
    body = OutboxOverview(
        destinations=[
            DestinationCounts(destination=destination, **by_status)
            for destination, by_status in sorted(per_destination.items())
        ],
        totals=DestinationCounts(destination="*", **totals),
        oldest_pending_at=iso(oldest) if oldest is not None else None,
        oldest_pending_age_seconds=max(0.0, (now - oldest).total_seconds())
        if oldest is not None
        else None,
        open_breakers=[
            OpenBreaker(
                destination=destination,
                state="open"
                if breakers.state(destination, now) is BreakerState.OPEN
                else "half_open",
                opened_at=iso(opened_at),
            )
            for destination, opened_at in breakers.opened().items()
        ],
        messages=[view(row) for row in rows],
    )
    return json_response(body.model_dump(mode="json"))


@routes.post("/api/v1/outbox/{id}/retry")
@describe(
    "Retry a dead or pending message now (admins)",
    responses={200: OutboxMessageView},
    path={"id": {"type": "integer", "minimum": 1, "description": "The message's id"}},
    errors=(409,),
    notes={409: "The message was delivered already (`conflict`)"},
)
async def retry(request: web.Request) -> web.Response:
    principal = await _admin(request)
    raw = request.match_info["id"]
    number = path_number(raw, max_digits=18)
    if number is None:
        raise NotFound(f"no outbox message {raw[:40]!r}")
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn, conn.transaction():
        row = await repo.retry(conn, number, now=now)
        if row is not None and row.status != "delivered":
            await record(
                conn,
                "outbox.retried",
                audit.origin(request, principal),
                at=now,
                message=row.id,
                destination=row.destination,
                message_kind=row.kind,
            )
    if row is None:
        raise NotFound(f"no outbox message {raw}")
    if row.status == "delivered":
        raise Conflict(f"outbox message {raw} was delivered already")
    request.app[keys.outbox_worker].wake()
    return json_response(view(row).model_dump(mode="json"))
