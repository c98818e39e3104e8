"""The seams: the core never imports an adapter, and adapters plug in through one protocol."""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.edxl.plugin import EdxlAdapter
from adapters.mail.plugin import MailAdapter
from adapters.sms.plugin import SmsAdapter
from adapters.wis.plugin import WisAdapter
from service.app import create_app
from service.clock import FixedClock
from service.config import Settings
from service.export.registry import ExportFormat, IncidentExport
from service.plugins import Adapter, CliContext, DemoPart, installed_adapters
from tests.support import Who, assert_problem, served

if TYPE_CHECKING:
    from service.plugins import Commands

ROOT = Path(__file__).resolve().parent.parent
VIEWER: Who = ("LST-14", "viewer")


def _imported_modules(path: Path) -> Iterable[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_module_under_service_imports_an_adapter() -> None:
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in sorted((ROOT / "service").rglob("*.py"))
        for module in _imported_modules(path)
        if module == "adapters" or module.startswith("adapters.")
    ]
    assert offenders == []


def test_pure_exchange_code_knows_nothing_of_http() -> None:
    pure = [ROOT / "adapters" / name for name in ("xml_safety.py", "refusals.py", "edxl/codec.py")]
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in pure
        for module in _imported_modules(path)
        if module.startswith(("aiohttp", "service.http", "service.errors"))
    ]
    inbound = ROOT / "adapters" / "wis" / "inbound.py"
    offenders += [
        f"adapters/wis/inbound.py imports {module}"
        for module in _imported_modules(inbound)
        if module.startswith(("aiohttp", "service.http"))
    ]
    assert offenders == []


def test_the_installed_adapters_are_found_by_their_entry_points() -> None:
    found = installed_adapters()
    assert [adapter.name for adapter in found] == ["edxl", "mail", "sms", "wis"]
    assert isinstance(found[0], EdxlAdapter)
    assert isinstance(found[1], MailAdapter)
    assert isinstance(found[2], SmsAdapter)
    assert isinstance(found[3], WisAdapter)
    assert all(isinstance(adapter, Adapter) for adapter in found)


class _TextAdapter:
    """An adapter written outside the core: one export format, one route, one command."""

    name = "text"

    def export_formats(self) -> Iterable[ExportFormat]:
        def render(export: IncidentExport) -> bytes:
            marker = "ÖVNING " if export.incident.exercise else ""
            return f"{marker}{export.incident.title}: {len(export.reports)} rapporter".encode()

        return [ExportFormat("text", "text/plain", render, "txt")]

    def setup(self, app: web.Application) -> None:
        async def hello(request: web.Request) -> web.Response:
            return web.json_response({"adapter": self.name})

        app.router.add_get("/api/v1/exchange/text", hello)

    def add_cli(self, commands: Commands) -> Sequence[str]:
        commands.add_parser("text-hello")
        return ["text-hello"]

    def run_cli(self, args: argparse.Namespace, cli: CliContext) -> int:
        return 0

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None:
        return None


async def test_an_adapter_adds_an_export_format_and_a_route_without_touching_the_core(
    settings: Settings, dsn: str, clock: FixedClock
) -> None:
    app = create_app(settings, dsn=dsn, clock=clock, adapters=[_TextAdapter()])
    async with served(app, dsn) as api:
        incident = await api.activate(exercise=True, title="Storm")
        reply = await api.call(
            "GET", f"/api/v1/incidents/{incident['id']}/export?format=text", as_=VIEWER
        )
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain")
        assert reply.body == "ÖVNING Storm: 0 rapporter"
        assert (
            reply.headers["Content-Disposition"]
            == f'attachment; filename="lagesbild-ovning-{incident["id"]}.txt"'
        )
        hello = await api.call("GET", "/api/v1/exchange/text", as_=VIEWER)
        assert hello.body == {"adapter": "text"}
        # Not installed here: the EDXL adapter's format and route are not there either.
        edxl = await api.call(
            "GET", f"/api/v1/incidents/{incident['id']}/export?format=edxl", as_=VIEWER
        )
        assert_problem(edxl, 422, "validation", loc=["query", "format"])
        assert "json, csv, html, text" in edxl.body["errors"][0]["msg"]
        imported = await api.call("POST", "/api/v1/exchange/edxl", as_=("1442", "reporter"))
        assert imported.status == 404


def test_reading_a_setting_imports_neither_the_hub_nor_the_worker_nor_the_scheduler() -> None:
    probe = (
        "import sys, service.keys, service.config\n"
        "heavy = ['service.stream.hub', 'service.outbox.worker', 'service.rounds.job',"
        " 'service.rounds.scheduler', 'apscheduler']\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    ran = subprocess.run(  # noqa: S603  # our own interpreter and a fixed probe
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert ran.stdout.strip() == "[]"


def test_one_function_finds_a_free_port() -> None:
    places = [
        f"{path.relative_to(ROOT)}"
        for folder in ("service", "adapters", "tests", "bench")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if ".bind((" in path.read_text(encoding="utf-8") and path != Path(__file__).resolve()
    ]
    assert places == ["service/demo/ports.py"]


# Where SQL may be written: the repositories (one per aggregate), migrations, and the
# LISTEN connection's health check (`SELECT 1`, no table).
REPOSITORIES = {
    "adapters/mail/repo.py",
    "adapters/repo.py",
    "service/audit/repo.py",
    "service/db/migrate.py",
    "service/drills/repo.py",
    "service/injects/repo.py",
    "service/invitations/repo.py",
    "service/journal/repo.py",
    "service/outbox/repo.py",
    "service/rounds/repo.py",
    "service/stream/listener.py",
}
_SQL_CALL = re.compile(r"\.(execute|executemany|fetch|fetchrow|fetchval|copy_\w+)\(")


def test_sql_is_written_only_in_repository_modules() -> None:
    outside = [
        str(path.relative_to(ROOT))
        for folder in ("service", "adapters")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if _SQL_CALL.search(path.read_text(encoding="utf-8"))
        and not path.is_relative_to(ROOT / "service" / "repo")
        and str(path.relative_to(ROOT)) not in REPOSITORIES
    ]
    assert outside == []


def test_principals_are_made_by_their_named_constructors_only() -> None:
    principal = ROOT / "service" / "access" / "principal.py"
    by_hand = [
        str(path.relative_to(ROOT))
        for folder in ("service", "adapters")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != principal and re.search(r"\bPrincipal\(", path.read_text(encoding="utf-8"))
    ]
    assert by_hand == []
