"""The `lagesbild` command: serve, migrate, token create, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import asyncpg
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from adapters import cli as exchange_cli
from schemas.common import ROLES, Role
from service.app import create_app
from service.auth import create_token
from service.config import Settings
from service.db import prepare_database
from service.demo import ensure_demo
from service.embedded_pg import start_embedded
from service.logs import configure_logging
from service.migrate import MigrationError
from service.repo import organisations
from service.watch import watch

role_adapter: TypeAdapter[Role] = TypeAdapter(Role)


def _dsn(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url
    return start_embedded(settings.data_dir)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lagesbild", description="Lägesbild situation reporting")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the service (applies migrations first)")
    commands.add_parser("migrate", help="apply pending migrations and seed organisations")
    commands.add_parser(
        "demo", help="create the demo county when the database is empty, then serve"
    )
    watch_cmd = commands.add_parser(
        "watch", help="follow a stream topic, printing one JSON frame per line"
    )
    watch_cmd.add_argument("topic", help="'incidents' or 'incident:<id>' (or just the id)")
    watch_cmd.add_argument("--url", default="http://127.0.0.1:8080", help="where Lägesbild serves")
    watch_cmd.add_argument("--token", required=True, help="an API token (viewer, reporter, …)")
    watch_cmd.add_argument("--since", type=int, help="resume after this seq")
    watch_cmd.add_argument("--count", type=int, help="stop after this many frames")
    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="create a token; prints it alone on stdout")
    create.add_argument("--org", required=True, help="organisation code, e.g. 1442 or LST-14")
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True, help="who holds it, e.g. 'ISK Vårgårda'")
    # Exchange with other systems: mock-wis, export, import-edxl (adapters/cli.py).
    exchange_cli.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"lagesbild: bad configuration: {problems}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "watch":
        topic = args.topic if args.topic.startswith("incident") else f"incident:{args.topic}"
        return asyncio.run(watch(args.url, args.token, topic, args.since, args.count))
    if args.command == "mock-wis":
        return exchange_cli.run(args, settings, None)
    try:
        if args.command in exchange_cli.COMMANDS:
            return exchange_cli.run(args, settings, _dsn(settings))
        if args.command == "token":
            return asyncio.run(_create_token(_dsn(settings), args.org, args.role, args.name))
        dsn = _dsn(settings)
        asyncio.run(prepare_database(dsn))
        if args.command == "migrate":
            return 0
        if args.command == "demo":
            asyncio.run(ensure_demo(dsn, settings))
        _serve(settings, dsn)
        return 0
    except MigrationError as exc:
        print(f"lagesbild: cannot start: {exc}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"lagesbild: the database is not reachable: {exc}", file=sys.stderr)
        return 1


async def _create_token(dsn: str, org: str, role: str, name: str) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if await organisations.get(conn, org) is None:
            print(f"lagesbild: unknown organisation {org!r}", file=sys.stderr)
            return 2
        token = await create_token(
            conn, organisation=org, role=role_adapter.validate_python(role), name=name
        )
    finally:
        await conn.close()
    print(token)
    return 0


def _serve(settings: Settings, dsn: str) -> None:
    app = create_app(settings, dsn=dsn)
    url = f"http://{settings.host}:{settings.port}"

    def announce(_: str) -> None:
        print(f"Lägesbild serves on {url}  (Ctrl+C stops it)", flush=True)

    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        access_log=None,
        print=announce,
        shutdown_timeout=settings.shutdown_timeout_seconds,
    )
