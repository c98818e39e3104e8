"""A WIS-style node as a Lägesbild adapter: the outbox channel `wis` and answer poller
(`setup.wis_ctx`), the push endpoint, `lagesbild mock-wis`, and the demo's own node
(see service/plugins.py for the seam)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.wis import cli, http
from adapters.wis.demo import demo_node
from adapters.wis.setup import wis_ctx
from service.config import Settings
from service.export.registry import ExportFormat
from service.plugins import CliContext, DemoPart

if TYPE_CHECKING:
    from service.plugins import Commands


class WisAdapter:
    name = "wis"

    def export_formats(self) -> Iterable[ExportFormat]:
        return []

    def setup(self, app: web.Application) -> None:
        app.add_routes(http.routes)
        app.cleanup_ctx.append(wis_ctx)

    def add_cli(self, commands: Commands) -> Sequence[str]:
        return cli.add_commands(commands)

    def run_cli(self, args: argparse.Namespace, context: CliContext) -> int:
        return cli.run(args, context)

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None:
        """Without LAGESBILD_WIS_URL, a mock node beside the demo service."""
        if settings.wis_url is not None:
            return None
        node = demo_node()
        return DemoPart(
            settings=node.settings_for(settings),
            lines=[
                f"Demo: a mock WIS node runs on {node.url}/ (what it received: that page)",
                f"Demo: tokens to answer on that node as {', '.join(node.actor_tokens)} "
                f"are in {node.write_tokens(data_dir)}",
            ],
            attach=node.add_to,
        )


adapter = WisAdapter()
