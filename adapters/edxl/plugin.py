"""EDXL as a Lägesbild adapter: the `edxl` export format, the import endpoint and the
`lagesbild import-edxl` command (see service/plugins.py for the seam)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.edxl import cli, exchange, http, national
from service.config import Settings
from service.export.registry import ExportFormat, IncidentExport
from service.export.summary import SummaryFormat
from service.plugins import CliContext, DemoPart

if TYPE_CHECKING:
    from service.plugins import Commands


def _render(export: IncidentExport) -> bytes:
    return exchange.incident_document(
        export.incident, export.reports, export.picture, export.names, export.exported_at
    )


class EdxlAdapter:
    name = "edxl"

    def export_formats(self) -> Iterable[ExportFormat]:
        return [ExportFormat("edxl", "application/xml", _render, "edxl.xml")]

    def summary_formats(self) -> Iterable[SummaryFormat]:
        return [SummaryFormat("edxl", "application/xml", exchange.summary_document)]

    def setup(self, app: web.Application) -> None:
        app.add_routes(http.routes)
        http.setup_lane(app)
        # Published summaries to the national installation, when one is configured.
        app.cleanup_ctx.append(national.national_ctx)

    def add_cli(self, commands: Commands) -> Sequence[str]:
        return cli.add_commands(commands)

    def run_cli(self, args: argparse.Namespace, context: CliContext) -> int:
        return cli.run(args, context)

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None:
        return None


adapter = EdxlAdapter()
