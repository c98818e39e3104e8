"""Liveness, readiness, metrics, request ids, and what the logs may never hold."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.db.migrate import pending, shipped_migrations
from tests.database import PgServer
from tests.logcapture import log_lines, use_json_logs
from tests.settings import with_changes
from tests.support import T0, Api, report, served

SHIPPED = [f"{migration.version:04d}_{migration.name}" for migration in shipped_migrations()]


# --- liveness and readiness --------------------------------------------------------------


async def test_healthz_answers_200_without_a_token(api: Api) -> None:
    reply = await api.call("GET", "/healthz")
    assert reply.status == 200
    assert reply.body == {"status": "ok"}


async def test_readyz_is_200_when_every_migration_is_applied(api: Api) -> None:
    reply = await api.call("GET", "/readyz")
    assert reply.status == 200, reply.body
    assert reply.body == {"status": "ready"}


async def test_readyz_is_503_when_a_migration_is_pending(api: Api, dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DELETE FROM schema_migrations WHERE version = $1", 1)
    finally:
        await conn.close()
    reply = await api.call("GET", "/readyz")
    assert reply.status == 503, reply.body
    assert reply.body["status"] == "unavailable"
    assert reply.body["pending_migrations"] == [SHIPPED[0]]


async def test_readyz_is_503_when_an_applied_migration_has_changed(api: Api, dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE schema_migrations SET checksum = $1 WHERE version = $2", "0" * 64, 1
        )
    finally:
        await conn.close()
    reply = await api.call("GET", "/readyz")
    assert reply.status == 503, reply.body
    assert reply.body["status"] == "unavailable"
    assert f"{SHIPPED[0]}.sql" in reply.body["migrations"]
    assert "changed" in reply.body["migrations"]


async def test_pending_lists_every_shipped_migration_on_an_empty_database(
    pg_server: PgServer, dsn: str
) -> None:
    async with pg_server.database("e") as empty:
        conn = await asyncpg.connect(empty)
        try:
            assert await pending(conn) == SHIPPED
        finally:
            await conn.close()
    migrated = await asyncpg.connect(dsn)
    try:
        assert await pending(migrated) == []
    finally:
        await migrated.close()


# --- metrics -----------------------------------------------------------------------------


def requests_counted(text: str, method: str, route: str, status: int) -> float:
    for family in text_string_to_metric_families(text):
        if family.name != "lagesbild_http_requests":
            continue
        for sample in family.samples:
            if sample.name == "lagesbild_http_requests_total" and sample.labels == {
                "method": method,
                "route": route,
                "status": str(status),
            }:
                return float(sample.value)
    return 0.0


async def test_metrics_is_prometheus_text_and_counts_requests(api: Api) -> None:
    for _ in range(3):
        assert (await api.call("GET", "/healthz")).status == 200
    assert (await api.call("GET", "/api/v1/incidents")).status == 401
    assert (await api.call("GET", "/api/v1/incidents", as_=("LST-14", "viewer"))).status == 200
    assert (await api.call("GET", "/no/such/route")).status == 404

    reply = await api.call("GET", "/metrics")
    assert reply.status == 200
    assert reply.content_type == "text/plain"
    assert isinstance(reply.body, str)
    assert "# TYPE lagesbild_http_requests_total counter" in reply.body
    assert requests_counted(reply.body, "GET", "/healthz", 200) == 3
    assert requests_counted(reply.body, "GET", "/api/v1/incidents", 401) == 1
    assert requests_counted(reply.body, "GET", "/api/v1/incidents", 200) == 1
    assert requests_counted(reply.body, "GET", "unmatched", 404) == 1
    names = {family.name for family in text_string_to_metric_families(reply.body)}
    assert "lagesbild_http_request_duration_seconds" in names

    again = await api.call("GET", "/metrics")
    assert isinstance(again.body, str)
    assert requests_counted(again.body, "GET", "/metrics", 200) == 1


async def test_incidents_and_reports_are_counted(api: Api) -> None:
    incident = await api.activate()
    assert (await api.submit(incident["id"], report("1442", situation="Lugnt"))).status == 201
    reply = await api.call("GET", "/metrics")
    assert isinstance(reply.body, str)
    assert requests_counted(reply.body, "POST", "/api/v1/incidents", 201) == 1
    assert requests_counted(reply.body, "POST", "/api/v1/incidents/{id}/reports", 201) == 1


# --- request ids -------------------------------------------------------------------------


async def test_every_response_carries_a_request_id(api: Api) -> None:
    seen = set()
    for method, path in [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/api/v1/incidents"),  # 401
        ("GET", "/no/such/route"),  # 404
        ("DELETE", "/api/v1/incidents"),  # 405
    ]:
        reply = await api.call(method, path)
        request_id = reply.headers.get("X-Request-ID", "")
        assert re.fullmatch(r"[0-9a-f]{16}", request_id), (path, reply.headers)
        seen.add(request_id)
    assert len(seen) == 5


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/incidents", "/no/such/route"])
async def test_a_given_request_id_is_echoed(api: Api, path: str) -> None:
    given = "req-" + uuid.uuid4().hex
    reply = await api.call("GET", path, headers={"X-Request-ID": given})
    assert reply.headers.get("X-Request-ID") == given


# --- logs --------------------------------------------------------------------------------


@pytest.mark.usefixtures("restore_logging")
async def test_logs_never_contain_tokens_cookies_or_report_bodies(
    api: Api, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    use_json_logs(settings)
    capsys.readouterr()
    reporter = await api.token("1442", "reporter")
    viewer = await api.token("LST-14", "viewer")
    secret_text = "Hemlig lägesbeskrivning " + uuid.uuid4().hex
    incident = await api.activate()
    request_id = "logged-" + uuid.uuid4().hex

    submitted = await api.submit(incident["id"], report("1442", situation=secret_text))
    assert submitted.status == 201, submitted.body
    listed = await api.call(
        "GET",
        "/api/v1/incidents",
        headers={
            "Authorization": f"Bearer {viewer}",
            "Cookie": f"session={viewer}",
            "X-Request-ID": request_id,
        },
    )
    assert listed.status == 200
    unknown_token = "lgb_" + uuid.uuid4().hex
    refused = await api.call(
        "GET", "/api/v1/incidents", headers={"Authorization": f"Bearer {unknown_token}"}
    )
    assert refused.status == 401
    in_query = await api.call(
        "GET", f"/api/v1/incidents?access_token={viewer}", as_=("LST-14", "viewer")
    )
    assert in_query.status == 422
    wrong_scheme = await api.call(
        "GET", "/api/v1/incidents", headers={"Authorization": f"Token {reporter}"}
    )
    assert wrong_scheme.status == 401

    captured = capsys.readouterr()
    everything = captured.err + captured.out
    entries = log_lines(captured.err)
    requests = [entry for entry in entries if entry.get("event") == "http.request"]
    assert len(requests) >= 5, everything  # the logs were captured: the check below means something
    assert any(entry.get("request_id") == request_id for entry in requests), requests
    for secret in (reporter, viewer, unknown_token, secret_text):
        assert secret not in everything


@pytest.mark.usefixtures("restore_logging")
async def test_a_header_over_8_kb_is_refused_without_its_value_in_the_log(
    api: Api, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    use_json_logs(settings)
    caplog.set_level(logging.DEBUG)
    host, _, port = api.base.removeprefix("http://").partition(":")
    secrets = {"Cookie": "session=lgb_" + "c" * 9000, "Authorization": "Bearer lgb_" + "b" * 9000}
    for header, value in secrets.items():
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            f"GET /api/v1/incidents HTTP/1.1\r\nHost: x\r\n{header}: {value}\r\n\r\n".encode()
        )
        await writer.drain()
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.0 400"), answer[:100]
    assert any(r.name == "aiohttp.server" for r in caplog.records), (
        caplog.text
    )  # logged, so the check means something
    for value in secrets.values():
        assert value[:40] not in caplog.text
        assert value.split("=")[-1][4:20] not in caplog.text


async def _metrics_as(settings: Settings, dsn: str, headers: dict[str, str] | None = None) -> int:
    async with served(create_app(settings, dsn=dsn, clock=FixedClock(T0)), dsn) as api:
        return (await api.call("GET", "/metrics", headers=headers)).status


async def test_metrics_are_served_to_the_configured_networks_only(
    settings: Settings, dsn: str
) -> None:
    assert await _metrics_as(settings, dsn) == 200  # the default: this host
    elsewhere = with_changes(settings, metrics_networks=["10.0.0.0/8"])
    assert await _metrics_as(elsewhere, dsn) == 404


async def test_metrics_through_a_trusted_proxy_count_the_client_not_the_proxy(
    settings: Settings, dsn: str
) -> None:
    behind_proxy = with_changes(settings, trusted_proxies=["127.0.0.0/8"])
    outsider = {"X-Forwarded-For": "203.0.113.9"}
    assert await _metrics_as(behind_proxy, dsn, outsider) == 404
    # An outsider that names a local address itself is not believed.
    assert (
        await _metrics_as(behind_proxy, dsn, {"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}) == 404
    )
    # Without trusting the proxy, its header means nothing.
    assert await _metrics_as(settings, dsn, outsider) == 200
