"""`lagesbild mock-wis`: a mock WIS-style node of our own, for tests and demos."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from aiohttp import web

from adapters.wis.mock import Actor, create_mock_app
from service.plugins import CliContext

if TYPE_CHECKING:
    from service.plugins import Commands


def add_commands(commands: Commands) -> Sequence[str]:
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
    return ["mock-wis"]


def run(args: argparse.Namespace, context: CliContext) -> int:
    system = args.system_token or context.settings.wis_token
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
