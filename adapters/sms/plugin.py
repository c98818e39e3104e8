"""The SMS gateway as a Lägesbild adapter: `POST /api/v1/exchange/sms`, the outbox
channel `sms` that sends the replies, `lagesbild sms-send` and the demo's secret (see
service/plugins.py for the seam)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.sms import cli, http
from adapters.sms.demo import demo_part
from adapters.sms.setup import sms_ctx
from service.config import Settings
from service.export.registry import ExportFormat
from service.plugins import CliContext, DemoPart

if TYPE_CHECKING:
    from service.plugins import Commands


class SmsAdapter:
    name = "sms"

    def export_formats(self) -> Iterable[ExportFormat]:
        return []

    def setup(self, app: web.Application) -> None:
        app.add_routes(http.routes)
        app.cleanup_ctx.append(sms_ctx)

    def add_cli(self, commands: Commands) -> Sequence[str]:
        return cli.add_commands(commands)

    def run_cli(self, args: argparse.Namespace, context: CliContext) -> int:
        return cli.run(args, context)

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None:
        """Without LAGESBILD_SMS_SECRET, a secret in the data directory and Ale's number."""
        return demo_part(settings, data_dir)


adapter = SmsAdapter()
