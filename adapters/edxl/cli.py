"""`lagesbild import-edxl FILE`: the SitRep reports of an EDXL-DE 2.0 envelope become reports."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from adapters.edxl import exchange
from service.access.principal import Principal
from service.clock import SystemClock
from service.config import Settings
from service.db.pool import create_pool, prepare_database
from service.errors import ProblemError
from service.plugins import CliContext

if TYPE_CHECKING:
    from service.plugins import Commands


def add_commands(commands: Commands) -> Sequence[str]:
    imported = commands.add_parser(
        "import-edxl", help="import the SitRep reports of an EDXL-DE 2.0 envelope"
    )
    imported.add_argument("file", type=Path, help="the envelope, e.g. report.xml")
    imported.add_argument(
        "--incident",
        type=uuid.UUID,
        default=None,
        help="the incident here that the sending county board's incident feeds (first import)",
    )
    return ["import-edxl"]


def run(args: argparse.Namespace, context: CliContext) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"lagesbild: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    return asyncio.run(_import(context.dsn(), context.settings, data, args.incident))


async def _import(dsn: str, settings: Settings, data: bytes, incident: uuid.UUID | None) -> int:
    await prepare_database(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    # The operator at the command line acts as an adapter: reports are attributed to the
    # envelope's sender, who must be a participant of the incident.
    operator = Principal.operator("lagesbild import-edxl")
    try:
        imported = await exchange.import_envelope(
            pool,
            operator,
            data,
            SystemClock().now(),
            max_bytes=settings.xml_max_bytes,
            max_depth=settings.xml_max_depth,
            incident=incident,
        )
    except ProblemError as exc:
        print(f"lagesbild: refused ({exc.slug}): {exc.detail or exc}", file=sys.stderr)
        for loc, message in exc.errors or []:
            print(f"  {'.'.join(map(str, loc))}: {message}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
    for result in imported.results:
        summary = {
            "report_id": str(result.report.report_id),
            "incident_id": str(result.report.incident_id),
            "organisation": result.report.organisation,
            "version": result.report.version,
            "created": result.created,
        }
        print(json.dumps(summary, ensure_ascii=False))
    for skipped in imported.not_imported:
        print(
            f"not imported: content {skipped.index} ({skipped.keyword or 'no keyword'}): "
            f"{skipped.reason}",
            file=sys.stderr,
        )
    return 0
