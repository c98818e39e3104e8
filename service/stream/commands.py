"""Client frames: parse with the schema, act through the hub, answer errors as frames."""

from __future__ import annotations

import json
import uuid

from pydantic import ValidationError

from schemas.stream import (
    MAX_REF,
    NATIONAL,
    Moment,
    Subscribe,
    Unsubscribe,
    client_frame,
    parse_topic,
)
from service.stream import frames
from service.stream.connection import Connection
from service.stream.hub import Hub
from service.stream.lookback import LookBack


async def handle(hub: Hub, conn: Connection, look_back: LookBack, text: str) -> None:
    try:
        command = client_frame.validate_python(json.loads(text))
    except (ValueError, RecursionError, ValidationError) as exc:
        conn.send(frames.error_frame("bad_request", _explain(exc), ref=_ref_of(text)))
        return
    if isinstance(command, Moment):
        look_back.ask(command)  # answered by its own task: reading goes on meanwhile
        return
    if command.topic == NATIONAL:
        await _national(hub, conn, command)
        return
    incident_id = parse_topic(command.topic)  # valid: the schema checked it
    if isinstance(command, Unsubscribe):
        hub.unsubscribe(conn, incident_id)
        return
    await _subscribe(hub, conn, command, incident_id)


async def _subscribe(
    hub: Hub, conn: Connection, command: Subscribe, incident_id: uuid.UUID | None
) -> None:
    most = hub.max_topics
    if len(conn.topics) >= most and incident_id not in conn.topics:
        conn.send(frames.error_frame("bad_request", f"at most {most} topics", command.topic))
        return
    if incident_id is None:
        await hub.watch_incidents(conn, conn.principal)
        return
    if not await hub.subscribe(conn, incident_id, command.since):
        conn.send(frames.error_frame("not_found", "no incident that you may see", command.topic))


async def _national(hub: Hub, conn: Connection, command: Subscribe | Unsubscribe) -> None:
    if isinstance(command, Unsubscribe):
        hub.unsubscribe(conn, NATIONAL)
        return
    most = hub.max_topics
    if len(conn.topics) >= most and NATIONAL not in conn.topics:
        conn.send(frames.error_frame("bad_request", f"at most {most} topics", command.topic))
        return
    if not await hub.watch_national(conn, command.since):
        conn.send(frames.error_frame("not_found", "no such topic that you may see", NATIONAL))


def _ref_of(text: str) -> int | None:
    """The `ref` of a refused `moment` frame, so that the client knows which it was."""
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(frame, dict) or frame.get("type") != "moment":
        return None
    ref = frame.get("ref")
    return ref if type(ref) is int and 0 <= ref <= MAX_REF else None


def _explain(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return 'frames are JSON objects such as {"type": "subscribe", "topic": "incidents"}'
