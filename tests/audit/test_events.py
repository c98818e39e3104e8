"""One audit row per security event, with who, for which organisation, from where, in
which request and when."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from service import keys
from service.access import sessions
from service.audit.record import Origin, record
from service.clock import FixedClock
from service.outbox import repo as outbox_repo
from tests.audit.support import audit_rows, kinds
from tests.command import lagesbild
from tests.support import T0, Api, Who, assert_problem, incident_body
from tests.web.support import Browser, add_user

ADA = "ada@lst14.example.se"


@pytest.fixture
async def browser(server: TestServer) -> AsyncIterator[Browser]:
    async with Browser(server) as opened:
        yield opened


async def test_log_in_failed_succeeded_and_log_out_are_recorded_with_address_and_request_id(
    dsn: str, browser: Browser
) -> None:
    await add_user(dsn, ADA)
    _, failed = await browser.post_login(
        "ADA@lst14.example.se", "fel lösenord", headers={"X-Request-ID": "req-failed-1"}
    )
    assert failed.status == 401
    await browser.login(ADA)
    csrf = await browser.session_csrf()
    assert (await browser.logout(csrf)).status == 303

    rows = await audit_rows(dsn, actor=ADA)
    assert [row.kind for row in rows] == ["login.failed", "login.succeeded", "logout"]
    assert all(row.source == "127.0.0.1" for row in rows)
    assert rows[0].request_id == "req-failed-1"
    assert rows[0].organisation is None  # a failed log-in proves nothing about who it was
    assert rows[1].organisation == rows[2].organisation == "LST-14"
    assert rows[1].details["session_id"] == rows[2].details["session_id"]
    assert rows[0].at == T0


async def test_log_in_with_an_unknown_address_is_recorded_as_failed_under_that_address(
    dsn: str, browser: Browser
) -> None:
    _, reply = await browser.post_login("=cmd|' /C calc'!A0@evil.example", "x" * 12)
    assert reply.status == 401
    [row] = await audit_rows(dsn, kind="login.failed")
    assert row.actor == "=cmd|' /c calc'!a0@evil.example"


async def test_incident_activated_changed_and_closed_are_recorded_for_the_duty_officer(
    api: Api, dsn: str
) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}"
    changed = await api.call(
        "PATCH", path, as_=("LST-14", "duty_officer"), json_body={"title": "Ny"}
    )
    assert changed.status == 200, changed.body
    closed = await api.call(
        "POST", path + "/close", as_=("LST-14", "duty_officer"), json_body={"summary": "Klart"}
    )
    assert closed.status == 200, closed.body

    rows = [row for row in await audit_rows(dsn) if row.kind.startswith("incident.")]
    assert [row.kind for row in rows] == [
        "incident.activated",
        "incident.changed",
        "incident.closed",
    ]
    assert {row.actor for row in rows} == {"duty_officer LST-14"}
    assert {row.details["incident_id"] for row in rows} == {incident["id"]}
    assert rows[1].details["changed"] == ["title"]


async def test_sharing_unsharing_and_publishing_a_summary_are_recorded(api: Api, dsn: str) -> None:
    incident = await api.activate()
    path = f"/api/v1/incidents/{incident['id']}"
    duty: Who = ("LST-14", "duty_officer")
    for method in ("PUT", "DELETE"):
        shared = await api.call(method, path + "/shares/LST-13", as_=duty)
        assert shared.status in (201, 204), shared.body
    published = await api.call("POST", path + "/summaries", as_=duty, json_body={})
    assert published.status == 201, published.body

    rows = [r for r in await audit_rows(dsn) if r.kind not in ("incident.activated",)]
    by_kind = {row.kind: row for row in rows}
    assert by_kind["incident.shared"].details["shared_with"] == "LST-13"
    assert by_kind["incident.unshared"].details["shared_with"] == "LST-13"
    assert by_kind["summary.published"].details["number"] == 1
    for kind in ("incident.shared", "incident.unshared", "summary.published"):
        assert by_kind[kind].actor == "duty_officer LST-14"
        assert by_kind[kind].details["incident_id"] == incident["id"]
        assert by_kind[kind].source == "127.0.0.1"


async def test_a_refusal_is_recorded_as_permission_denied_and_still_refused(
    api: Api, dsn: str
) -> None:
    reply = await api.call(
        "POST", "/api/v1/incidents", as_=("1442", "reporter"), json_body=incident_body()
    )
    assert_problem(reply, 403)
    [row] = await audit_rows(dsn, kind="permission.denied")
    assert row.actor == "reporter 1442"
    assert row.organisation == "1442"
    assert row.details["method"] == "POST"
    assert row.details["path"] == "/api/v1/incidents"


async def test_each_export_is_recorded_with_its_format(api: Api, dsn: str) -> None:
    incident = await api.activate()
    for export_format in ("csv", "json"):
        reply = await api.call(
            "GET",
            f"/api/v1/incidents/{incident['id']}/export?format={export_format}",
            as_=("LST-14", "viewer"),
        )
        assert reply.status == 200
    rows = await audit_rows(dsn, kind="export.made")
    assert [row.details["format"] for row in rows] == ["csv", "json"]
    assert {row.actor for row in rows} == {"viewer LST-14"}


async def test_an_adapter_credential_is_recorded_at_each_use(api: Api, dsn: str) -> None:
    for _ in range(2):
        assert (await api.call("GET", "/api/v1/incidents", as_=("LST-14", "adapter"))).status == 200
    assert (await api.call("GET", "/api/v1/incidents", as_=("LST-14", "viewer"))).status == 200
    rows = await audit_rows(dsn, kind="adapter.credential_used")
    assert len(rows) == 2
    assert rows[0].details["path"] == "/api/v1/incidents"


async def test_an_admins_retry_of_an_outbox_message_is_recorded(
    api: Api, dsn: str, app: web.Application, clock: FixedClock
) -> None:
    async with app[keys.pool].acquire() as conn:
        await outbox_repo.enqueue(
            conn, destination="email", kind="test", message_id="m-1", payload={}, at=clock.now()
        )
        message_id = await conn.fetchval("SELECT id FROM outbox WHERE message_id = 'm-1'")
    reply = await api.call("POST", f"/api/v1/outbox/{message_id}/retry", as_=("LST-14", "admin"))
    assert reply.status == 200, reply.body
    [row] = await audit_rows(dsn, kind="outbox.retried")
    assert row.details["message"] == message_id
    assert row.details["destination"] == "email"


async def test_user_created_changed_role_changed_and_removed_are_recorded(dsn: str) -> None:
    await add_user(dsn, ADA)
    conn = await asyncpg.connect(dsn)
    try:
        await sessions.change_user(conn, ADA, name="Ada L", role="viewer", at=T0)
        await sessions.remove_user(conn, ADA, at=T0)
    finally:
        await conn.close()
    assert await kinds(dsn) == ["user.created", "user.changed", "user.role_changed", "user.removed"]
    rows = await audit_rows(dsn, kind="user.role_changed")
    assert rows[0].details["role_before"] == "duty_officer"
    assert rows[0].details["role"] == "viewer"


async def test_lagesbild_audit_prints_the_log_filtered_by_its_options(
    dsn: str, browser: Browser, tmp_path: Path
) -> None:
    await add_user(dsn, ADA)
    await browser.post_login(ADA, "fel lösenord 123")
    await browser.login(ADA)

    everything = await lagesbild("audit", database_url=dsn, data_dir=tmp_path)
    assert everything.code == 0, everything.err
    lines = [line.split("\t") for line in everything.out.splitlines()]
    assert [line[1] for line in lines] == ["login.succeeded", "login.failed", "user.created"]
    assert lines[0][0] == "2026-11-22 13:00"  # Stockholm time
    assert lines[0][2:5] == [ADA, "LST-14", "127.0.0.1"]

    failed = await lagesbild(
        "audit", "--kind", "login.failed", "--json", database_url=dsn, data_dir=tmp_path
    )
    [row] = [json.loads(line) for line in failed.out.splitlines()]
    assert row["actor"] == ADA
    assert row["organisation"] is None
    none = await lagesbild("audit", "--since", "2026-11-23", database_url=dsn, data_dir=tmp_path)
    assert none.out == ""
    by_org = await lagesbild("audit", "--org", "LST-14", database_url=dsn, data_dir=tmp_path)
    assert [line.split("\t")[1] for line in by_org.out.splitlines()] == ["login.succeeded"]
    bad = await lagesbild("audit", "--kind", "nonsense", database_url=dsn, data_dir=tmp_path)
    assert bad.code == 2


async def test_recording_never_fails_on_what_an_attacker_typed(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await record(
            conn,
            "login.failed",
            Origin(actor="a\x00b@x.se", source="127.0.0.1", request_id="r\x00"),
            at=T0,
            typed="\x00 \\u0000 \ud800",
            nested={"k\x00": ["\x00", object()]},
        )
    finally:
        await conn.close()
    [row] = await audit_rows(dsn, kind="login.failed")
    assert row.actor == "a\ufffdb@x.se"
    assert row.details["typed"].startswith("\ufffd \\u0000 ")


async def test_an_export_at_the_command_line_is_recorded_as_the_operators(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    incident = await api.activate()
    ran = await lagesbild(
        "export", incident["id"], "--format", "csv", database_url=dsn, data_dir=tmp_path
    )
    assert ran.code == 0, ran.err
    [row] = await audit_rows(dsn, kind="export.made")
    assert row.actor.startswith("lagesbild command (")
    assert row.details == {"incident_id": incident["id"], "format": "csv"}
