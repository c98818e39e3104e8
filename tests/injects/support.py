"""Helpers for inject tests: an exercise with a script, and who reads it."""

from __future__ import annotations

from typing import Any

import asyncpg

from service.access.principal import Principal
from service.repo import organisations
from tests.support import Api, Who

OFFICER: Who = ("LST-14", "duty_officer")


async def exercise(api: Api, **overrides: Any) -> dict[str, Any]:
    """An exercise in county 14 activated by the county board at 13:00."""
    return await api.activate(exercise=True, title="Stormövning", **overrides)


async def add_inject(api: Api, incident_id: str, **body: Any) -> dict[str, Any]:
    reply = await api.call(
        "POST", f"/api/v1/incidents/{incident_id}/injects", as_=OFFICER, json_body=body
    )
    assert reply.status == 201, reply.body
    inject: dict[str, Any] = reply.body
    return inject


async def injects_seen(api: Api, incident_id: str, who: Who) -> list[dict[str, Any]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/injects", as_=who)
    assert reply.status == 200, reply.body
    injects: list[dict[str, Any]] = reply.body["injects"]
    return injects


async def board(pool: asyncpg.Pool) -> Principal:
    """The county board's duty officer, as the demo acts."""
    async with pool.acquire() as conn:
        org = await organisations.get(conn, "LST-14")
    assert org is not None
    return Principal.acting_for(org, "duty_officer", name="TiB (demo)")
