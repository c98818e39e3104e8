"""What tests share: an API client that speaks for roles, one way to check problems, the
suite's fixed facts (participants, schedule, the moment it starts at) and free ports."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer

from adapters.edxl import codec
from schemas.common import Role
from schemas.incident import Incident
from schemas.report import StoredReport
from service.access.principal import Scope
from service.access.tokens import create_token

Who = tuple[str, Role]  # (organisation code, role) a call is made as

PARTICIPANTS = ["1440", "1441", "1442", "1443", "1444"]
DAILY = {"times": ["08:00", "14:00", "20:00"], "timezone": "Europe/Stockholm"}
# Sunday 22 November 2026, 13:00 in Stockholm: where the suite's FixedClock starts.
T0 = datetime.fromisoformat("2026-11-22T13:00:00+01:00")


@dataclass
class Reply:
    status: int
    body: Any
    content_type: str
    headers: dict[str, str]


@contextlib.asynccontextmanager
async def served(app: web.Application, dsn: str) -> AsyncIterator[Api]:
    """Serve an app from `create_app` on a real socket; an API client for it."""
    server = TestServer(app)
    await server.start_server()
    try:
        async with Api(str(server.make_url("")).rstrip("/"), dsn) as api:
            yield api
    finally:
        await server.close()


def assert_problem(
    reply: Reply, status: int, slug: str | None = None, *, loc: list[Any] | None = None
) -> None:
    """An error reply is RFC 9457 problem+json with this status (and kind, and loc)."""
    assert reply.status == status, reply.body
    assert reply.content_type == "application/problem+json", reply.content_type
    assert isinstance(reply.body, dict)
    assert reply.body["status"] == status
    assert reply.body["title"]
    assert reply.body["type"].startswith("/problems/")
    if slug is not None:
        assert reply.body["type"] == f"/problems/{slug}", reply.body
    if loc is not None:
        locs = [error["loc"] for error in reply.body.get("errors", [])]
        assert loc in locs, locs


def incident_body(**overrides: Any) -> dict[str, Any]:
    """A valid activation in county 14, with any field replaced."""
    body: dict[str, Any] = {
        "title": "Storm i Sjuhärad",
        "description": "Omfattande elavbrott",
        "county": "14",
        "severity": "high",
        "exercise": False,
        "participants": PARTICIPANTS,
        "schedule": DAILY,
    }
    body.update(overrides)
    return body


def report(organisation: str, **content: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"report_id": str(uuid.uuid4()), "organisation": organisation}
    body.update(content)
    return body


def sitreps_envelope(
    incident: Incident,
    reports: Iterable[StoredReport],
    *,
    sender: str,
    organisation_name: str,
    distribution_id: str,
    sent: datetime,
    description: str = "Lägesrapport",
) -> bytes:
    """An EDXL-DE envelope from `sender` with one SitRep per report (its report id the
    message id), as a municipality's own system or a gateway sends them."""
    contents = [
        codec.Content(
            description=description,
            keyword=codec.KEYWORD_REPORT,
            sitrep=codec.report_sitrep(
                incident,
                report,
                organisation_name=organisation_name,
                originating=None,
                final=False,
            ),
        )
        for report in reports
    ]
    return codec.envelope(
        distribution_id=distribution_id,
        sender=sender,
        sent=sent,
        exercise=incident.exercise,
        kind="Report",
        incident=incident,
        contents=contents,
    )


class Api:
    """HTTP calls against a running app, with tokens made on demand per organisation+role."""

    def __init__(self, base: str, dsn: str) -> None:
        self.base = base
        self.dsn = dsn
        self._tokens: dict[tuple[str, str, Scope | None], str] = {}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Api:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        if self._session is not None:
            await self._session.close()

    async def token(self, organisation: str, role: Role, *, scope: Scope | None = None) -> str:
        """A token of `role` for `organisation` (an adapter's with `scope`: whom it speaks for)."""
        key = (organisation, role, scope)
        if key not in self._tokens:
            conn = await asyncpg.connect(self.dsn)
            try:
                self._tokens[key] = await create_token(
                    conn,
                    organisation=organisation,
                    role=role,
                    name=f"{role} {organisation}",
                    scope=scope,
                )
            finally:
                await conn.close()
        return self._tokens[key]

    async def call(
        self,
        method: str,
        path: str,
        *,
        as_: Who | None = None,
        scope: Scope | None = None,
        json_body: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        follow_redirects: bool = True,
    ) -> Reply:
        assert self._session is not None
        sent = dict(headers or {})
        if as_ is not None:
            sent["Authorization"] = f"Bearer {await self.token(*as_, scope=scope)}"
        if json_body is not None:
            data = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        async with self._session.request(
            method, self.base + path, data=data, headers=sent, allow_redirects=follow_redirects
        ) as r:
            raw = await r.read()
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            return Reply(r.status, body, r.content_type, dict(r.headers))

    async def activate(self, *, by: str = "LST-14", **overrides: Any) -> dict[str, Any]:
        reply = await self.call(
            "POST",
            "/api/v1/incidents",
            as_=(by, "duty_officer"),
            json_body=incident_body(**overrides),
        )
        assert reply.status == 201, reply.body
        incident: dict[str, Any] = reply.body
        return incident

    async def submit(self, incident_id: str, body: dict[str, Any]) -> Reply:
        return await self.call(
            "POST",
            f"/api/v1/incidents/{incident_id}/reports",
            as_=(body["organisation"], "reporter"),
            json_body=body,
        )
