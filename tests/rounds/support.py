"""Helpers for round tests: times, the outbox, contacts and the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import asyncpg

from tests.support import Api, Who

VIEWER: Who = ("LST-14", "viewer")
ADMIN: Who = ("LST-14", "admin")


def at(text: str) -> datetime:
    """A local time in Stockholm (`2026-11-22T14:00`, winter time) as an aware datetime."""
    if "+" not in text[10:] and not text.endswith("Z"):
        text += "+01:00"
    return datetime.fromisoformat(text)


def z(text: str) -> str:
    """The same moment as the service writes it (UTC with Z)."""
    return at(text).astimezone(UTC).isoformat().replace("+00:00", "Z")


async def outbox(dsn: str, kind: str | None = None) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            """
            SELECT destination, message_id, kind, payload::text AS payload, created_at,
                   incident_id
            FROM outbox WHERE $1::text IS NULL OR kind = $1 ORDER BY id
            """,
            kind,
        )
    finally:
        await conn.close()
    return [{**dict(row), "payload": json.loads(row["payload"])} for row in rows]


async def add_contacts(api: Api, contacts: dict[str, str]) -> None:
    for organisation, email in contacts.items():
        reply = await api.call(
            "POST",
            f"/api/v1/organisations/{organisation}/contacts",
            as_=ADMIN,
            json_body={"email": email},
        )
        assert reply.status == 201, reply.body


async def log_of(api: Api, incident_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/log", as_=VIEWER)
    assert reply.status == 200, reply.body
    events: list[dict[str, Any]] = reply.body["events"]
    return [event for event in events if kind is None or event["kind"] == kind]


async def rounds_of(api: Api, incident_id: str) -> list[dict[str, Any]]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/rounds", as_=VIEWER)
    assert reply.status == 200, reply.body
    rounds: list[dict[str, Any]] = reply.body["rounds"]
    return rounds


async def picture_of(api: Api, incident_id: str) -> dict[str, Any]:
    reply = await api.call("GET", f"/api/v1/incidents/{incident_id}/picture", as_=VIEWER)
    assert reply.status == 200, reply.body
    picture: dict[str, Any] = reply.body
    return picture


async def change_incident(api: Api, incident_id: str, **fields: Any) -> dict[str, Any]:
    """The duty officer changes the incident (a schedule, participants); its new state."""
    change = await api.call(
        "PATCH",
        f"/api/v1/incidents/{incident_id}",
        as_=("LST-14", "duty_officer"),
        json_body=fields,
    )
    assert change.status == 200, change.body
    body: dict[str, Any] = change.body
    return body
