"""`lagesbild mail-in`: the inbound SMTP server for reports by e-mail, on its own.

For a site that runs it apart from the service (one inbound server for several
instances, say). It migrates as the service does, connects as the service role, and
reads mail until stopped; stored reports reach the stream through the database's
LISTEN, as every write does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import ValidationError

from adapters.mail.server import on_mail_for, port_of, start_server
from service.access.report_caps import ReportCaps
from service.clock import SystemClock
from service.config import Settings
from service.db.pool import create_pool, prepare_database
from service.db.roles import service_dsn
from service.plugins import CliContext

if TYPE_CHECKING:
    from service.plugins import Commands

COMMAND = "mail-in"
DEFAULT_PORT = 2525


def add_commands(commands: Commands) -> Sequence[str]:
    mail_in = commands.add_parser(
        COMMAND, help="run the inbound SMTP server for reports by e-mail on its own"
    )
    mail_in.add_argument("--host", help="address to listen on (default LAGESBILD_MAIL_IN_HOST)")
    mail_in.add_argument(
        "--port", type=int, help="port to listen on (default LAGESBILD_MAIL_IN_PORT, else 2525)"
    )
    return [COMMAND]


def run(args: argparse.Namespace, context: CliContext) -> int:
    settings = context.settings
    port = args.port if args.port is not None else settings.mail_in_port
    try:
        settings = settings.replace(
            mail_in_host=args.host or settings.mail_in_host,
            mail_in_port=DEFAULT_PORT if port is None else port,
        )
    except ValidationError:
        print("lagesbild: --port is a port number, 0 to 65535", file=sys.stderr)
        return 2
    asyncio.run(_serve(settings, context))
    return 0


async def _serve(settings: Settings, context: CliContext) -> None:
    owner = context.dsn()
    await prepare_database(owner)
    pool = await create_pool(
        service_dsn(owner, settings.database_service_url),
        min_size=1,
        max_size=settings.db_pool_max,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        server = await start_server(
            settings,
            on_mail_for(lambda: pool, settings, SystemClock(), ReportCaps.from_settings(settings)),
        )
        print(
            f"Lägesbild tar emot rapporter med e-post på {settings.mail_in_host}:"
            f"{port_of(server)}  (Ctrl+C stoppar)",
            flush=True,
        )
        await stop.wait()
        server.close()
        await server.wait_closed()
    finally:
        await pool.close()
