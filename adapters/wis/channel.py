"""The WIS channel: outbox messages (copies of events) become calls on a WIS-style node.

| event | node calls |
| --- | --- |
| `incident.activated` | area (yta), then the request (begäran) for the first deadline |
| `incident.updated` | area change, then the request for the current deadline |
| `report.submitted` | the request for the report's deadline (if new), then the answer (svar) |
| `round.closed` | a summary post (anteckning) of the picture at that seq, then the next request |
| `incident.closed` | area ended |
| `summary.published` | the county board's numbered summary as the area's summary post |

Every call carries a `Message-Id` derived from what it is (the area, the request's
deadline, the report id, …), so a retried or repeated delivery changes nothing on
the node. Registered with the outbox worker under the destination name `wis`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import aiohttp
import asyncpg

from adapters.wis import mapping
from adapters.wis.client import NodeClient
from service.config import Settings
from service.domain.schedule import next_deadline
from service.outbox.channel import Channel, DeliveryFailed
from service.outbox.repo import OutboxMessage
from service.picture.fold import rebuild
from service.repo import events, incidents

DESTINATION = "wis"
REMEMBERED_REQUESTS = 10_000
# The event kinds the channel turns into node calls (the subscription of `wis`).
KINDS = (
    "incident.activated",
    "incident.updated",
    "report.submitted",
    "round.closed",
    "incident.closed",
    "summary.published",
)


class WisChannel:
    # Strict order per destination: an answer never reaches the node before its area and
    # request, and an area is not ended before the last answers and summary arrive.
    ordered = True

    def __init__(self, client: NodeClient, pool: asyncpg.Pool) -> None:
        self._client = client
        self._pool = pool
        # Requests this instance has already seen the node take: every report names its
        # deadline's request, which the node would only drop as a repeat. Forgotten at
        # restart (the node still drops the repeat), and bounded.
        self._requested: dict[str, None] = {}

    @property
    def destination(self) -> str:
        return DESTINATION

    async def deliver(self, message: OutboxMessage) -> None:
        payload = message.payload
        try:
            kind = payload["kind"]
            incident = str(payload["incident_id"])
            exercise = bool(payload.get("exercise", False))
            data: dict[str, Any] = payload["data"]
        except (KeyError, TypeError) as exc:
            raise DeliveryFailed("not an event copy the WIS channel reads", permanent=True) from exc
        try:
            await self._deliver(kind, incident, exercise, data, payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise DeliveryFailed(
                f"the {kind} event cannot be mapped: {type(exc).__name__}", permanent=True
            ) from exc

    async def _deliver(
        self, kind: str, incident: str, exercise: bool, data: dict[str, Any], payload: Any
    ) -> None:
        post = self._client.post
        if kind == "incident.activated":
            await post("/api/areas", mapping.area(payload), message_id=f"lagesbild:area:{incident}")
            await self._request(incident, data.get("due_at"), exercise)
        elif kind == "incident.updated":
            await post(
                f"/api/areas/{incident}/change",
                mapping.area_change(payload),
                message_id=f"lagesbild:change:{incident}:{payload['seq']}",
            )
            await self._request(incident, data.get("due_at"), exercise)
        elif kind == "report.submitted":
            report = data["report"]
            await self._request(incident, report.get("due_at"), exercise)
            await post(
                f"/api/areas/{incident}/answers",
                mapping.answer(payload),
                message_id=f"lagesbild:answer:{report['report_id']}",
            )
        elif kind == "round.closed":
            await self._summary(incident, int(payload["seq"]), exercise, data)
        elif kind == "incident.closed":
            await post(
                f"/api/areas/{incident}/end",
                mapping.area_end(payload),
                message_id=f"lagesbild:end:{incident}",
            )
        elif kind == "summary.published":
            await post(
                f"/api/areas/{incident}/posts",
                mapping.published_summary_post(data["summary"], exercise=exercise),
                message_id=f"lagesbild:published-summary:{incident}:{data['number']}",
            )
        # Other kinds are not WIS's business: delivered as nothing to do.

    async def _request(self, incident: str, due_at: str | None, exercise: bool) -> None:
        if not due_at:
            return
        deadline = datetime.fromisoformat(due_at)
        body = mapping.request(incident, deadline, exercise=exercise)
        message_id = f"lagesbild:request:{body['id']}"
        if message_id in self._requested:
            return
        await self._client.post(f"/api/areas/{incident}/requests", body, message_id=message_id)
        self._requested[message_id] = None
        if len(self._requested) > REMEMBERED_REQUESTS:
            del self._requested[next(iter(self._requested))]

    async def _summary(self, incident: str, seq: int, exercise: bool, data: dict[str, Any]) -> None:
        """The picture as it stood when the round closed (the log up to its seq), then the
        request for the next deadline."""
        incident_id = uuid.UUID(incident)
        async with self._pool.acquire() as conn:
            log = await events.since(conn, incident_id, 0, until=seq)
            row = await incidents.get(conn, incident_id)
            segments = await events.schedule_history(conn, incident_id)
        picture = rebuild(log)
        closed_due = data.get("due_at")
        await self._client.post(
            f"/api/areas/{incident}/posts",
            mapping.summary_post(
                incident,
                seq,
                picture,
                exercise=exercise,
                due_at=closed_due,
                overdue=[str(code) for code in data.get("overdue") or []],
                reported=_reported(data),
            ),
            message_id=f"lagesbild:summary:{incident}:{seq}",
        )
        if row is None or not row.active:
            return
        after = datetime.fromisoformat(closed_due) if closed_due else log[-1]["at"]
        if isinstance(after, str):
            after = datetime.fromisoformat(after)
        # The next round of the schedule history, as the rounds job counts it (a change
        # made after this round closed is in the history too).
        following = next_deadline(segments, after)
        if following is not None:
            await self._request(incident, following.isoformat(), exercise)


def _reported(data: dict[str, Any]) -> tuple[int, int] | None:
    """(received, expected) of the closed round, from a `round.closed` written by the
    rounds job (`expected`, `on_time`, `late`); None for an event without them."""
    expected, on_time, late = data.get("expected"), data.get("on_time"), data.get("late")
    if not isinstance(expected, list) or not isinstance(on_time, list):
        return None
    return len(on_time) + len(late if isinstance(late, list) else []), len(expected)


def wis_channel(settings: Settings, session: aiohttp.ClientSession, pool: asyncpg.Pool) -> Channel:
    """The channel for destination `wis`, or a refusal when no node is configured."""
    if settings.wis_url is None or settings.wis_token is None:
        raise ValueError("LAGESBILD_WIS_URL and LAGESBILD_WIS_TOKEN must both be set")
    client = NodeClient(
        session,
        settings.wis_url,
        settings.wis_token,
        timeout=settings.wis_timeout_seconds,
        max_body_bytes=settings.wis_max_body_bytes,
    )
    return WisChannel(client, pool)
