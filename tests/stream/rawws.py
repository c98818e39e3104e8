"""A WebSocket client on a bare TCP socket, for tests about the bytes on the wire.

It does the RFC 6455 handshake itself, sends masked text frames, and hands back each
server frame exactly as it arrived (header and payload), so a test can compare the
bytes that different sockets got. A socket made with a small receive buffer and not
read from backs the server up, like a phone on a bad connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any

from yarl import URL

from tests.stream.wsclient import FRAME_TIMEOUT, STREAM_PATH


@dataclass(frozen=True)
class WireFrame:
    raw: bytes  # header and payload, as they came
    fin: bool
    rsv: int  # the three RSV bits (RSV1 set means a compressed message)
    opcode: int
    masked: bool
    payload: bytes

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.payload)
        return parsed


class RawSocket:
    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: dict[str, str]
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.headers = headers  # the 101 response's, lower-case names

    @classmethod
    async def open(cls, base: str, token: str, *, receive_buffer: int | None = None) -> RawSocket:
        """Upgrade `GET /api/v1/stream`, offering permessage-deflate as browsers do."""
        url = URL(base)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer is not None:  # before connect: it sets the window offered
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.setblocking(False)
        try:
            await asyncio.get_running_loop().sock_connect(sock, (url.host, url.port))
            # A small limit makes the reader stop taking bytes off the socket early.
            reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
        except BaseException:
            sock.close()
            raise
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {STREAM_PATH} HTTP/1.1\r\n"
                f"Host: {url.host}:{url.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                f"Authorization: Bearer {token}\r\n\r\n"
            ).encode()
        )
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), FRAME_TIMEOUT)
        status, *lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in status:
            writer.close()
            raise AssertionError(f"no upgrade: {status}")
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        return cls(reader, writer, headers)

    async def send_json(self, frame: dict[str, Any]) -> None:
        payload = json.dumps(frame).encode()
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x81, 0x80 | length)
        else:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, length)
        self.writer.write(header + mask + masked)
        await self.writer.drain()

    async def frame(self) -> WireFrame:
        """The next frame exactly as it came; fails on silence."""
        return await asyncio.wait_for(self._frame(), FRAME_TIMEOUT)

    async def _frame(self) -> WireFrame:
        head = await self.reader.readexactly(2)
        length = head[1] & 0x7F
        extended = b""
        if length == 126:
            extended = await self.reader.readexactly(2)
            length = struct.unpack("!H", extended)[0]
        elif length == 127:
            extended = await self.reader.readexactly(8)
            length = struct.unpack("!Q", extended)[0]
        masked = bool(head[1] & 0x80)
        mask = await self.reader.readexactly(4) if masked else b""
        payload = await self.reader.readexactly(length)
        return WireFrame(
            raw=head + extended + mask + payload,
            fin=bool(head[0] & 0x80),
            rsv=(head[0] >> 4) & 0x7,
            opcode=head[0] & 0x0F,
            masked=masked,
            payload=payload,
        )

    async def text_frame(self) -> WireFrame:
        """The next text frame, skipping pings."""
        while True:
            frame = await self.frame()
            if frame.opcode != 0x9:
                assert frame.opcode == 0x1, frame
                return frame

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()
