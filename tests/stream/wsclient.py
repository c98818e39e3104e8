"""A small client for the live stream: JSON frames in, JSON frames out, never a hang.

Every receive has a timeout, so a test whose frame never comes fails in seconds
instead of waiting for the per-test timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from types import TracebackType
from typing import Any

import aiohttp
from yarl import URL

from schemas.common import Role
from tests.support import Api

FRAME_TIMEOUT = 5.0
STREAM_PATH = "/api/v1/stream"

Frame = dict[str, Any]


def stream_url(base: str) -> str:
    """`ws://host:port/api/v1/stream` for an app served at `base` (http://host:port)."""
    return str(URL(base).with_scheme("ws").with_path(STREAM_PATH))


class StreamClient:
    """One stream socket, as a client sees it."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def send(self, frame: Frame) -> None:
        await self.ws.send_str(json.dumps(frame))

    async def subscribe(self, topic: str, since: int | None = None) -> None:
        frame: Frame = {"type": "subscribe", "topic": topic}
        if since is not None:
            frame["since"] = since
        await self.send(frame)

    async def next_frame(self) -> Frame:
        """The next text frame, parsed; fails on a close, an error or silence."""
        try:
            message = await self.ws.receive(FRAME_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"no frame within {FRAME_TIMEOUT} s") from None
        assert message.type is aiohttp.WSMsgType.TEXT, (
            f"expected a text frame, got {message.type.name} {message.data!r} {message.extra!r}"
        )
        frame: Frame = json.loads(message.data)
        return frame

    async def expect(self, type_: str, topic: str | None = None) -> Frame:
        """The next frame, which must be of this type (and topic)."""
        frame = await self.next_frame()
        assert frame["type"] == type_, frame
        if topic is not None:
            assert frame.get("topic") == topic, frame
        return frame

    async def incidents(self) -> list[Frame]:
        """Subscribe to `incidents`; the listing in the snapshot that starts it."""
        await self.subscribe("incidents")
        snapshot = await self.expect("snapshot", "incidents")
        listing: list[Frame] = snapshot["incidents"]
        return listing

    async def events(self, count: int, topic: str) -> list[Frame]:
        """The next `count` frames, each of which must be an event of `topic`."""
        return [await self.expect("event", topic) for _ in range(count)]

    async def close_code(self) -> int | None:
        """The close code the server sent; the next message must be its close.

        Fails if a frame comes first: the caller has read everything it expected.
        """
        try:
            message = await self.ws.receive(FRAME_TIMEOUT)
        except TimeoutError:
            raise AssertionError(f"the socket was not closed within {FRAME_TIMEOUT} s") from None
        assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), (
            f"expected the socket to close, got {message.type.name} {message.data!r}"
        )
        return self.ws.close_code


class Streams:
    """Opens stream sockets for organisations and roles; closes them all at the end."""

    def __init__(self, api: Api) -> None:
        self.api = api
        self._session = aiohttp.ClientSession()
        self._sockets: list[aiohttp.ClientWebSocketResponse] = []

    async def __aenter__(self) -> Streams:
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def open(self, organisation: str, role: Role, *, base: str | None = None) -> StreamClient:
        """A socket to the app at `base` (the `api`'s app by default)."""
        token = await self.api.token(organisation, role)
        ws = await self._session.ws_connect(
            stream_url(base or self.api.base),
            headers={"Authorization": f"Bearer {token}"},
            autoping=True,
        )
        self._sockets.append(ws)
        return StreamClient(ws)

    async def aclose(self) -> None:
        for ws in self._sockets:
            with contextlib.suppress(aiohttp.ClientError, ConnectionError, TimeoutError):
                await asyncio.wait_for(ws.close(), FRAME_TIMEOUT)
        await self._session.close()
