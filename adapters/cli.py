"""`lagesbild mock-wis`, `lagesbild export … --format edxl`, `lagesbild import-edxl`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

from aiohttp import web

from adapters.edxl import exchange
from adapters.wis.mock import Actor, create_mock_app
from service.access.principal import Principal
from service.clock import SystemClock
from service.config import Settings
from service.db.pool import create_pool, prepare_database
from service.domain import lifecycle
from service.errors import ProblemError
from service.picture.fold import rebuild
from service.repo import events, incidents, organisations, reports

COMMANDS = ("mock-wis", "export", "import-edxl")


def add_commands(commands: Any) -> None:
    """Add the exchange commands to the `lagesbild` parser's subcommands."""
    mock = commands.add_parser("mock-wis", help="run a mock WIS-style node (tests and demos)")
    mock.add_argument("--host", default="127.0.0.1")
    mock.add_argument("--port", type=int, default=8090)
    mock.add_argument(
        "--system-token",
        help="the token Lägesbild uses (default: LAGESBILD_WIS_TOKEN)",
    )
    mock.add_argument(
        "--actor",
        action="append",
        default=[],
        metavar="CODE=TOKEN",
        help="an actor that answers on the node itself, e.g. 1443=secret (repeatable)",
    )
    export = commands.add_parser("export", help="export an incident; prints it on stdout")
    export.add_argument("incident", help="the incident id")
    export.add_argument("--format", choices=["edxl"], default="edxl")
    imported = commands.add_parser(
        "import-edxl", help="import the SitRep reports of an EDXL-DE 2.0 envelope"
    )
    imported.add_argument("file", type=Path, help="the envelope, e.g. report.xml")


def run(args: argparse.Namespace, settings: Settings, dsn: str | None) -> int:
    if args.command == "mock-wis":
        return _mock_wis(args, settings)
    assert dsn is not None
    if args.command == "export":
        return asyncio.run(_export(dsn, args.incident))
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"lagesbild: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    return asyncio.run(_import(dsn, settings, data))


def _mock_wis(args: argparse.Namespace, settings: Settings) -> int:
    system = args.system_token or settings.wis_token
    if not system:
        print("lagesbild: give --system-token or set LAGESBILD_WIS_TOKEN", file=sys.stderr)
        return 2
    tokens = {system: Actor("lagesbild", "Lägesbild", system=True)}
    for entry in args.actor:
        code, sep, token = entry.partition("=")
        if not sep or not code or not token:
            print(f"lagesbild: --actor wants CODE=TOKEN, not {entry!r}", file=sys.stderr)
            return 2
        tokens[token] = Actor(code, code)

    def announce(_: str) -> None:
        print(f"WIS-nod (test) på http://{args.host}:{args.port}  (Ctrl+C stoppar)", flush=True)

    web.run_app(
        create_mock_app(tokens), host=args.host, port=args.port, access_log=None, print=announce
    )
    return 0


async def _export(dsn: str, incident: str) -> int:
    try:
        incident_id = uuid.UUID(incident)
    except ValueError:
        print(f"lagesbild: {incident!r} is not an incident id", file=sys.stderr)
        return 2
    await prepare_database(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            row = await incidents.get(conn, incident_id)
            if row is None:
                print(f"lagesbild: no incident {incident_id}", file=sys.stderr)
                return 1
            found = list(
                reversed(await reports.history(conn, row.id, organisation=None, limit=None))
            )
            log = await events.since(conn, row.id, 0)
            known = await organisations.get_many(conn, [*row.participants, row.owner])
    finally:
        await pool.close()
    now = SystemClock().now()
    document = exchange.incident_document(
        lifecycle.to_wire(row, now),
        found,
        rebuild(log),
        {code: org.name for code, org in known.items()},
        now,
    )
    sys.stdout.buffer.write(document)
    sys.stdout.flush()
    return 0


async def _import(dsn: str, settings: Settings, data: bytes) -> int:
    await prepare_database(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=2)
    # The operator at the command line acts as an adapter: reports are attributed to the
    # envelope's sender, who must be a participant of the incident.
    operator = Principal.operator("lagesbild import-edxl")
    try:
        results = await exchange.import_envelope(
            pool,
            operator,
            data,
            SystemClock().now(),
            max_bytes=settings.xml_max_bytes,
            max_depth=settings.xml_max_depth,
        )
    except ProblemError as exc:
        print(f"lagesbild: refused ({exc.slug}): {exc.detail or exc}", file=sys.stderr)
        for loc, message in exc.errors or []:
            print(f"  {'.'.join(map(str, loc))}: {message}", file=sys.stderr)
        return 1
    finally:
        await pool.close()
    for result in results:
        summary = {
            "report_id": str(result.report.report_id),
            "incident_id": str(result.report.incident_id),
            "organisation": result.report.organisation,
            "version": result.report.version,
            "created": result.created,
        }
        print(json.dumps(summary, ensure_ascii=False))
    return 0
