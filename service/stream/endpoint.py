"""`GET /api/v1/stream`: authenticate, upgrade, then read commands until the socket ends."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from service import keys
from service.access.principal import Principal
from service.access.tokens import token_hash
from service.config import Settings
from service.errors import Forbidden, TooManyRequests
from service.http import auth
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.repo import DATABASE_ERRORS
from service.stream import commands, frames
from service.stream.connection import Connection
from service.stream.lookback import LookBack

log = structlog.get_logger(__name__)


@describe(
    "The live stream (WebSocket)",
    description="Upgrades to a WebSocket; frames are JSON text, described in "
    'docs/design.md ("The stream") and as `stream-*` in `GET /api/v1/schemas`. A '
    "browser must come from the site's own origin.",
    responses={101: None},
    errors=(400, 403),
    notes={
        400: "Not a WebSocket upgrade (`http-400`)",
        403: "A browser from another site (`origin`)",
    },
)
async def stream(request: web.Request) -> web.WebSocketResponse:
    principal = await authenticate(request)  # before the upgrade: a plain 401 problem
    settings = request.app[keys.settings]
    # Cross-site WebSocket hijacking: a browser sends the page's Origin with the upgrade
    # and the session cookie with it, so a page of another site must not get a stream.
    # API clients (no cookie, no Origin) are not affected.
    from_browser = principal.session_id is not None or "Origin" in request.headers
    if from_browser and not auth.same_origin(request, settings.trusted_origins):
        raise Forbidden("streams open only from Lägesbild's own pages", slug="origin")
    leases = request.app[keys.stream_sockets]
    lease = await leases.open(await _holder(request))
    if lease is None:
        raise TooManyRequests(f"at most {leases.most} open streams at once for one user")
    try:
        return await _serve(request, principal, settings)
    finally:
        await leases.close(lease)


async def _holder(request: web.Request) -> str:
    """Whose socket it is: the logged-in person's, or the API token's."""
    token = auth.bearer_token(request)
    if token is not None:
        return "token:" + token_hash(token).hex()
    session = await auth.current_session(request)
    return f"user:{session.user_id}" if session is not None else "unknown"


async def _serve(
    request: web.Request, principal: Principal, settings: Settings
) -> web.WebSocketResponse:
    hub = request.app[keys.hub]
    ws = web.WebSocketResponse(
        heartbeat=settings.stream_heartbeat_seconds,
        max_msg_size=settings.stream_max_frame_bytes,
        # Frames are encoded once and the same bytes go to every socket
        # (service/stream/frames.py): no permessage-deflate, whatever the client offers.
        compress=False,
        timeout=settings.stream_send_timeout_seconds,
    )
    await ws.prepare(request)
    transport = request.transport
    if transport is None:  # the peer left during the upgrade
        return ws
    _limit_send_buffer(transport, settings.stream_socket_send_buffer)
    conn = Connection(
        ws,
        principal,
        settings,
        request.app[keys.metrics],
        transport=transport,
        # aiohttp's own flow control: returns once the transport has resumed writing.
        wait_for_room=request.protocol._drain_helper,
    )
    structlog.contextvars.bind_contextvars(conn_id=conn.id)
    log.info("stream.open", organisation=principal.organisation, role=principal.role)
    look_back = LookBack(
        conn,
        request.app[keys.pool],
        request.app[keys.lookbacks],
        request.app[keys.moments],
        settings.checkpoint_every,
    )
    hub.register(conn)
    try:
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                try:
                    await commands.handle(hub, conn, look_back, message.data)
                except DATABASE_ERRORS as exc:
                    # The database is away: say so with 1011 and let the client come back
                    # with `since`, rather than leave it subscribed to nothing.
                    log.warning("stream.command_failed", error=str(exc))
                    conn.close_soon(WSCloseCode.INTERNAL_ERROR, "try again shortly")
            elif message.type is WSMsgType.BINARY:
                conn.send(frames.error_frame("bad_request", "frames are JSON text"))
    finally:
        hub.drop(conn)
        await look_back.close()
        await conn.finish()
        log.info("stream.closed", code=ws.close_code)
    return ws


def _limit_send_buffer(transport: asyncio.Transport, size: int | None) -> None:
    if size is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
