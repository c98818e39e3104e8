"""Starting a drill through the API and reading its result."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from service import keys
from tests.support import Api

DUTY_OFFICER: Any = ("LST-14", "duty_officer")
VIEWER: Any = ("LST-14", "viewer")
THREE = ["1440", "1442", "1443"]


async def start_drill(api: Api, **overrides: Any) -> dict[str, Any]:
    body = {
        "county": "14",
        "participants": THREE,
        "message": "Kvartalsövning: lämna en lägesrapport.",
        "respond_minutes": 30,
        **overrides,
    }
    reply = await api.call("POST", "/api/v1/drills", as_=DUTY_OFFICER, json_body=body)
    assert reply.status == 201, reply.body
    drill: dict[str, Any] = reply.body
    return drill


async def result_of(api: Api, drill_id: str, who: Any = VIEWER) -> dict[str, Any]:
    reply = await api.call("GET", f"/api/v1/drills/{drill_id}", as_=who)
    assert reply.status == 200, reply.body
    result: dict[str, Any] = reply.body
    return result


def by_code(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["organisation"]["code"]: p for p in result["participants"]}


async def deliver(app: web.Application) -> int:
    """One pass of the outbox worker at the clock's time: what is due goes out."""
    sent: int = await app[keys.outbox_worker].run_once()
    return sent
