"""Talking to the app as a browser would, for the log-in, session and CSRF tests: a cookie
jar, the log-in form's token, and the `Origin` header a browser sends with every
state-changing request; and users with a known password.
"""

from __future__ import annotations

import json
import re
from types import TracebackType
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer
from yarl import URL

from schemas.common import Role
from service.access import sessions
from service.repo.users import UserRow
from tests.stream.wsclient import FRAME_TIMEOUT
from tests.support import T0, Reply

PASSWORD = "rätt-lösenord-2026"  # a test user's password
STREAM_PATH = "/api/v1/stream"

_CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def form_token(html: str) -> str:
    """The hidden `csrf_token` of the (only) form on a page."""
    found = _CSRF_INPUT.findall(html)
    assert len(found) == 1, found
    token: str = found[0]
    return token


async def add_user(
    dsn: str, email: str, *, organisation: str = "LST-14", role: Role = "duty_officer"
) -> UserRow:
    conn = await asyncpg.connect(dsn)
    try:
        return await sessions.create_user(
            conn,
            email=email,
            name=email.partition("@")[0].title(),
            organisation=organisation,
            role=role,
            password=PASSWORD,
            at=T0,
        )
    finally:
        await conn.close()


class Browser:
    """One browser: its own cookie jar, talking to the app at `server` as its own site."""

    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.origin = str(server.make_url("")).rstrip("/")
        self.jar = aiohttp.CookieJar(unsafe=True)  # the server is 127.0.0.1
        self.http = aiohttp.ClientSession(cookie_jar=self.jar)

    async def __aenter__(self) -> Browser:
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.http.close()

    def url(self, path: str) -> URL:
        return URL(self.origin + path)

    def cookie(self, name: str) -> str | None:
        morsel = self.jar.filter_cookies(self.url("/")).get(name)
        return None if morsel is None else morsel.value

    def set_cookie(self, name: str, value: str) -> None:
        self.jar.update_cookies({name: value}, self.url("/"))

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        data: Any = None,
        json_body: Any = None,
    ) -> tuple[aiohttp.ClientResponse, Reply]:
        """Send without following redirects; the raw response (for cookies) and a Reply."""
        sent = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, self.url(path), headers=sent, data=data, allow_redirects=False
        ) as response:
            raw = await response.read()
        body: Any
        if response.content_type.endswith("json") and raw:
            body = json.loads(raw)
        else:
            body = raw.decode(errors="replace")
        return response, Reply(response.status, body, response.content_type, dict(response.headers))

    async def get(self, path: str, **kwargs: Any) -> Reply:
        return (await self.request("GET", path, **kwargs))[1]

    async def login_form(self, query: str = "") -> str:
        """Open the log-in page; the form's token (its cookie is now in the jar)."""
        reply = await self.get("/login" + query)
        assert reply.status == 200, reply.body
        return form_token(reply.body)

    async def post_login(
        self,
        email: str,
        password: str = PASSWORD,
        *,
        query: str = "",
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[aiohttp.ClientResponse, Reply]:
        """Open the log-in form and send it (with its own token unless `token` is given)."""
        form_csrf = await self.login_form(query)
        fields = {
            "email": email,
            "password": password,
            "csrf_token": form_csrf if token is None else token,
        }
        sent = {"Origin": self.origin, **(headers or {})}
        return await self.request("POST", "/login" + query, data=fields, headers=sent)

    async def login(self, email: str) -> str:
        """Log in; the session cookie's value."""
        _, reply = await self.post_login(email)
        assert reply.status == 303, reply.body
        value = self.cookie(sessions.COOKIE)
        assert value
        return value

    async def session_csrf(self) -> str:
        """The session's CSRF token, from the log-out form every page carries."""
        reply = await self.get("/incidents")
        assert reply.status == 200, reply.body
        return form_token(reply.body)

    async def logout(self, token: str | None, *, origin: str | None = None) -> Reply:
        fields = {} if token is None else {"csrf_token": token}
        _, reply = await self.request(
            "POST", "/logout", data=fields, headers={"Origin": origin or self.origin}
        )
        return reply

    async def ws(self, *, origin: str | None = None) -> aiohttp.ClientWebSocketResponse:
        """The live stream, opened with this browser's cookies and (its own) Origin."""
        return await self.http.ws_connect(
            self.url(STREAM_PATH).with_scheme("ws"), origin=origin or self.origin
        )


async def closed_with(ws: aiohttp.ClientWebSocketResponse) -> int:
    """The code in the close frame the server sends next (within a bounded wait).

    The frame's code is what a browser reports (`CloseEvent.code`): the server drops the
    TCP connection right after its close frame, so aiohttp's own `close_code` may read
    1006 when its reply finds the transport closing.
    """
    try:
        message = await ws.receive(FRAME_TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"the socket was not closed within {FRAME_TIMEOUT} s") from None
    assert message.type is aiohttp.WSMsgType.CLOSE, message
    code: int = message.data
    assert message.extra == "session ended: log in again"
    return code
