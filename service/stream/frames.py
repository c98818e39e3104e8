"""Serialising frames: each frame is made into text once, then shared by every socket."""

from __future__ import annotations

import json
from typing import Any

from schemas.stream import ErrorCode


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def event_frame(topic: str, event: dict[str, Any], patch: dict[str, Any]) -> str:
    body = {key: event[key] for key in ("kind", "at", "actor", "data")}
    return dumps(
        {"type": "event", "topic": topic, "seq": event["seq"], "event": body, "patch": patch}
    )


def snapshot_frame(topic: str, seq: int, picture: dict[str, Any]) -> str:
    return dumps({"type": "snapshot", "topic": topic, "seq": seq, "picture": picture})


def error_frame(code: ErrorCode, message: str, topic: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if topic is not None:
        frame["topic"] = topic
    return dumps(frame)
