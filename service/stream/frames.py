"""Serialising frames: each frame is encoded once, WebSocket header included, and the
same bytes are written to every socket.

Server frames are never masked (RFC 6455 §5.1) and the stream's sockets never
negotiate compression, so one text frame is the same bytes on every socket: `Frame`
holds them, made once when the frame is made.
"""

from __future__ import annotations

import struct
from typing import Any

from schemas.stream import ErrorCode
from service import jsontext

_FIN_TEXT = 0x81  # FIN, no RSV bits, opcode 1 (text)
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


class Frame:
    """One server text frame as it goes on the wire: header and UTF-8 payload."""

    __slots__ = ("_start", "wire")

    def __init__(self, text: str) -> None:
        payload = text.encode()
        header = header_of(len(payload))
        self.wire: bytes = header + payload
        self._start = len(header)

    @property
    def text(self) -> str:
        """The JSON text the frame carries."""
        return self.wire[self._start :].decode()

    def __repr__(self) -> str:
        return f"Frame({self.text[:60]!r}…, {len(self.wire)} bytes)"


def header_of(length: int) -> bytes:
    """The header of an unmasked final text frame with a payload of `length` bytes."""
    if length < 126:
        return _SHORT.pack(_FIN_TEXT, length)
    if length < 2**16:
        return _MEDIUM.pack(_FIN_TEXT, 126, length)
    return _LONG.pack(_FIN_TEXT, 127, length)


def dumps(frame: dict[str, Any]) -> Frame:
    return Frame(jsontext.dumps(frame))


def event_frame(topic: str, event: dict[str, Any], patch: dict[str, Any]) -> Frame:
    body = {key: event[key] for key in ("kind", "at", "actor", "data")}
    return dumps(
        {"type": "event", "topic": topic, "seq": event["seq"], "event": body, "patch": patch}
    )


def snapshot_frame(topic: str, seq: int, picture: dict[str, Any]) -> Frame:
    return dumps({"type": "snapshot", "topic": topic, "seq": seq, "picture": picture})


def moment_frame(topic: str, ref: int, at: str, picture: dict[str, Any]) -> Frame:
    return dumps(
        {
            "type": "moment",
            "topic": topic,
            "ref": ref,
            "at": at,
            "seq": picture["seq"],
            "picture": picture,
        }
    )


def error_frame(
    code: ErrorCode, message: str, topic: str | None = None, *, ref: int | None = None
) -> Frame:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if topic is not None:
        frame["topic"] = topic
    if ref is not None:
        frame["ref"] = ref
    return dumps(frame)
