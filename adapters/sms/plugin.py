"""The SMS gateway as a Lägesbild adapter: `POST /api/v1/exchange/sms` and the outbox
channel `sms` that sends the replies (see service/plugins.py for the seam)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.sms import http
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
        return []

    def run_cli(self, args: argparse.Namespace, context: CliContext) -> int:
        raise NotImplementedError("the SMS adapter has no commands")

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None:
        return None


adapter = SmsAdapter()
