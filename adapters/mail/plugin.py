"""Reports by e-mail as a Lägesbild adapter: the inbound SMTP server in the service
(`server.mail_in_ctx`, when LAGESBILD_MAIL_IN_PORT is set), `lagesbild mail-in`, and the
demo's server on a local port (see service/plugins.py for the seam)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.mail import cli
from adapters.mail.server import mail_in_ctx
from service.config import Settings
from service.demo.ports import free_port
from service.export.registry import ExportFormat
from service.plugins import CliContext, DemoPart

if TYPE_CHECKING:
    from service.plugins import Commands


class MailAdapter:
    name = "mail"

    def export_formats(self) -> Iterable[ExportFormat]:
        return []

    def setup(self, app: web.Application) -> None:
        app.cleanup_ctx.append(mail_in_ctx)

    def add_cli(self, commands: Commands) -> Sequence[str]:
        return cli.add_commands(commands)

    def run_cli(self, args: argparse.Namespace, context: CliContext) -> int:
        return cli.run(args, context)

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None:
        """Without LAGESBILD_MAIL_IN_PORT, the inbound server on a free local port."""
        port = settings.mail_in_port if settings.mail_in_port else free_port()
        host = settings.mail_in_host
        folder = data_dir / "demo-mail"
        return DemoPart(
            settings=settings.replace(mail_in_port=port),
            lines=[
                f"Demo: reports by e-mail are read on {host}:{port} (SMTP); answer the newest "
                f"reminder in {folder} as its recipient with",
                f"  {sys.executable} -m adapters.mail.answer {folder} --port {port} "
                '--situation "Vägarna röjda"',
            ],
        )


adapter = MailAdapter()
