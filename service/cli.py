"""The `lagesbild` command: serve, migrate, demo, export, template, token, user, audit, contact,
outbox, webhook, log, and each installed adapter's own commands (service/plugins.py)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta

import asyncpg
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from schemas.common import ROLES, Role
from schemas.round import Email
from service import chain_cli, summary_cli
from service.access import sessions, tokens_cli
from service.access.principal import Scope
from service.access.tokens import DEFAULT_LIFETIME, create_token
from service.app import create_app
from service.audit import cli as audit_cli
from service.audit.record import command_line, record
from service.clock import SystemClock
from service.config import Settings
from service.db.embedded import start_embedded
from service.db.migrate import MigrationError
from service.db.pool import create_pool, prepare_database
from service.db.roles import ServiceDsnError
from service.demo.county import ensure_demo
from service.demo.mail import start_mail_sink
from service.demo.welcome import Welcome
from service.domain import text_reports
from service.domain.phones import e164
from service.export.registry import ExportFormats, UnknownFormat, gather, streamed
from service.heap import freeze_heap
from service.logs import configure_logging
from service.loops import favour_the_loop, new_event_loop
from service.outbox import cli as outbox_cli
from service.plugins import (
    Adapter,
    AdapterError,
    CliContext,
    export_formats_of,
    installed_adapters,
)
from service.repo import incidents, organisations, reports, users
from service.rounds import repo as rounds_repo
from service.stream.watch import watch
from service.workers import serve_workers

role_adapter: TypeAdapter[Role] = TypeAdapter(Role)
_email_adapter: TypeAdapter[str] = TypeAdapter(Email)
USER_ROLES = ("reporter", "viewer", "duty_officer", "admin")  # adapters are systems: tokens
MIN_PASSWORD = 10


def _dsn(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url
    return start_embedded(settings.data_dir)


def _parser(adapters: Sequence[Adapter], owners: dict[str, Adapter]) -> argparse.ArgumentParser:
    """The command line; `owners` learns which adapter answers each adapter command."""
    parser = argparse.ArgumentParser(prog="lagesbild", description="Lägesbild situation reporting")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the service (applies migrations first)")
    serve.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes serving the one port, each a whole instance (default: the CPU count)",
    )
    commands.add_parser("migrate", help="apply pending migrations and seed organisations")
    commands.add_parser(
        "demo", help="create the demo county when the database is empty, then serve"
    )
    watch_cmd = commands.add_parser(
        "watch", help="follow a stream topic, printing one JSON frame per line"
    )
    watch_cmd.add_argument(
        "topic", help="'incidents', 'incident:<id>' (or just the id), or 'national'"
    )
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
    scope = create.add_mutually_exclusive_group()
    scope.add_argument(
        "--organisations",
        help="adapter tokens: the organisations it reports for, comma-separated (1442,1443)",
    )
    scope.add_argument(
        "--county",
        help="adapter tokens: report for every organisation of this county (e.g. 14)",
    )
    create.add_argument(
        "--days",
        type=int,
        default=DEFAULT_LIFETIME.days,
        help=f"days until it expires (default {DEFAULT_LIFETIME.days})",
    )
    token_list = token_commands.add_parser(
        "list",
        help="tokens: name, organisation, role, created, last used, expiry (never the token)",
    )
    token_list.add_argument("--all", action="store_true", help="revoked ones too")
    revoke = token_commands.add_parser(
        "revoke", help="revoke a token by its id (from `token list`); its streams close at once"
    )
    revoke.add_argument("id", type=int)
    user = commands.add_parser("user", help="people who log in to the web app")
    user_commands = user.add_subparsers(dest="user_command", required=True)
    user_create = user_commands.add_parser(
        "create", help="create a user; the password is asked for, or read from stdin"
    )
    user_create.add_argument("--org", required=True, help="organisation code, e.g. 1442")
    user_create.add_argument("--role", required=True, choices=USER_ROLES)
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name", help="the person's name (defaults to the e-mail address)")
    user_remove = user_commands.add_parser(
        "remove", help="remove a user; their sessions and open streams end at once"
    )
    user_remove.add_argument("--email", required=True)
    user_change = user_commands.add_parser(
        "change", help="change a user's name or role; a role change ends their sessions"
    )
    user_change.add_argument("--email", required=True)
    user_change.add_argument("--role", choices=USER_ROLES)
    user_change.add_argument("--name")
    audit_cmd = commands.add_parser("audit", help="print the audit log, newest first")
    audit_cli.add_arguments(audit_cmd)
    export = commands.add_parser("export", help="export an incident; prints it on stdout")
    export.add_argument("incident", help="the incident id")
    export.add_argument(
        "--format", default="json", help=f"one of: {', '.join(export_formats_of(adapters).names())}"
    )
    template = commands.add_parser(
        "template", help="the plain-text report to fill in, from the organisation's latest"
    )
    template.add_argument("incident", help="the incident id, or its short code (K7Q-4M2)")
    template.add_argument("org", help="organisation code, e.g. 1442")
    template.add_argument("--lang", choices=("sv", "en"), default="sv")
    _contact_commands(commands)
    summary_cli.add_commands(commands)
    chain_cli.add_commands(commands)
    outbox_cli.add_commands(commands)
    # Each adapter's own commands (e.g. import-edxl, mock-wis): service/plugins.py.
    for adapter in adapters:
        for name in adapter.add_cli(commands):
            owners[name] = adapter
    return parser


async def _export(dsn: str, known: ExportFormats, incident: str, format_name: str) -> int:
    try:
        export_format = known.get(format_name)
    except UnknownFormat:
        print(
            f"lagesbild: unknown format {format_name!r} (one of: {', '.join(known.names())})",
            file=sys.stderr,
        )
        return 2
    try:
        incident_id = uuid.UUID(incident)
    except ValueError:
        print(f"lagesbild: {incident!r} is not an incident id", file=sys.stderr)
        return 2
    await prepare_database(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=1)
    out = sys.stdout.buffer
    try:
        async with pool.acquire() as conn:
            row = await incidents.get(conn, incident_id)
            if row is None:
                print(f"lagesbild: no incident {incident_id}", file=sys.stderr)
                return 1
            now = SystemClock().now()
            await record(
                conn,
                "export.made",
                command_line(),
                at=now,
                incident_id=incident_id,
                format=export_format.name,
            )
        if export_format.stream is not None:
            async with streamed(pool, incident_id, now) as source:
                async for chunk in export_format.stream(source):
                    out.write(chunk)
        else:
            async with pool.acquire() as conn:
                export = await gather(conn, row, now)
            out.write(export_format.render(export))
    finally:
        await pool.close()
    out.flush()
    return 0


async def _template(dsn: str, incident: str, org: str, lang: str) -> int:
    await prepare_database(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            row = await text_reports.find_incident(conn, incident)
            if row is None:
                print(f"lagesbild: no incident {incident!r}", file=sys.stderr)
                return 1
            if await organisations.get(conn, org) is None:
                print(f"lagesbild: unknown organisation {org!r}", file=sys.stderr)
                return 2
            previous = await reports.latest(conn, row.id, org)
    finally:
        await pool.close()
    sys.stdout.write(text_reports.template(row, previous, lang=lang))
    return 0


# --- reminder contacts (service/rounds) --------------------------------------------------


def _contact_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contact = commands.add_parser(
        "contact", help="addresses reminders are sent to, and numbers that may report by SMS"
    )
    contact_commands = contact.add_subparsers(dest="contact_command", required=True)
    add = contact_commands.add_parser(
        "add", help="add an e-mail address or a mobile number to an organisation"
    )
    add.add_argument("--org", required=True, help="organisation code, e.g. 1442 or LST-14")
    _address_arguments(add)
    remove = contact_commands.add_parser("remove", help="remove an address or a number")
    remove.add_argument("--org", required=True)
    _address_arguments(remove)
    listing = contact_commands.add_parser("list", help="an organisation's addresses and numbers")
    listing.add_argument("--org", required=True)


def _address_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--email")
    which.add_argument("--phone", help="a mobile number that may report by SMS, e.g. 070-123 45 67")


async def _contact(dsn: str, args: argparse.Namespace) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if await organisations.get(conn, args.org) is None:
            print(f"lagesbild: unknown organisation {args.org!r}", file=sys.stderr)
            return 2
        if args.contact_command in ("add", "remove") and args.phone is not None:
            return await _phone(conn, args)
        if args.contact_command == "add":
            try:
                email = _email_adapter.validate_python(args.email)
            except ValidationError:
                print(f"lagesbild: not an e-mail address: {args.email!r}", file=sys.stderr)
                return 2
            await rounds_repo.add_contact(conn, args.org, email, SystemClock().now())
        elif args.contact_command == "remove" and not await rounds_repo.remove_contact(
            conn, args.org, args.email
        ):
            print(f"lagesbild: {args.org} has no contact {args.email!r}", file=sys.stderr)
            return 1
        for address in (await rounds_repo.contacts_of(conn, [args.org])).get(args.org, []):
            print(address)
        for phone in await rounds_repo.phones_of(conn, args.org):
            print(phone)
    finally:
        await conn.close()
    return 0


async def _phone(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    """`contact add|remove --phone`: the numbers are kept as E.164 (+46701234567)."""
    phone = e164(args.phone)
    if phone is None:
        print(f"lagesbild: not a mobile number: {args.phone!r}", file=sys.stderr)
        return 2
    if args.contact_command == "add":
        await rounds_repo.add_phone(conn, args.org, phone, SystemClock().now())
    elif not await rounds_repo.remove_phone(conn, args.org, phone):
        print(f"lagesbild: {args.org} has no number {phone}", file=sys.stderr)
        return 1
    for found in await rounds_repo.phones_of(conn, args.org):
        print(found)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        adapters = installed_adapters()
    except AdapterError as exc:
        print(f"lagesbild: cannot start: {exc} ({exc.__cause__ or 'see above'})", file=sys.stderr)
        return 1
    owners: dict[str, Adapter] = {}
    args = _parser(adapters, owners).parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"lagesbild: bad configuration: {problems}", file=sys.stderr)
        return 2
    configure_logging(settings)
    if args.command == "serve" and args.workers < 1:
        print("lagesbild: --workers is at least 1", file=sys.stderr)
        return 2
    if args.command == "watch":
        named = args.topic.startswith("incident") or args.topic == "national"
        topic = args.topic if named else f"incident:{args.topic}"
        return asyncio.run(watch(args.url, args.token, topic, args.since, args.count))
    try:
        if args.command in owners:
            return owners[args.command].run_cli(
                args, CliContext(settings=settings, dsn=lambda: _dsn(settings))
            )
        if args.command == "export":
            known = export_formats_of(adapters)
            return asyncio.run(_export(_dsn(settings), known, args.incident, args.format))
        if args.command == "template":
            return asyncio.run(_template(_dsn(settings), args.incident, args.org, args.lang))
        if args.command == "token":
            if args.token_command != "create":  # noqa: S105  # a subcommand
                return asyncio.run(tokens_cli.run(_dsn(settings), args))
            if args.days < 1:
                print("lagesbild: --days is at least 1", file=sys.stderr)
                return 2
            return asyncio.run(_create_token(_dsn(settings), args))
        if args.command == "audit":
            return asyncio.run(audit_cli.run(_dsn(settings), args))
        if args.command == "user":
            return _user_command(args, settings)
        if args.command == "contact":
            return asyncio.run(_contact(_dsn(settings), args))
        if args.command == summary_cli.COMMAND:
            return asyncio.run(summary_cli.run(_dsn(settings), args))
        if args.command == chain_cli.COMMAND:
            if not chain_cli.needs_database(args):
                return chain_cli.verify_export(args.export)
            return asyncio.run(chain_cli.run(_dsn(settings), args))
        if args.command in ("outbox", "webhook"):
            return asyncio.run(outbox_cli.run(_dsn(settings), args))
        dsn = _dsn(settings)
        asyncio.run(prepare_database(dsn))
        welcome: Welcome | None = None
        if args.command == "migrate":
            return 0
        attach: list[Callable[[web.Application], None]] = []
        if args.command == "demo":
            welcome = Welcome(settings.data_dir)  # shown last, once the service serves
            if settings.smtp_host is None:
                _sink, port = start_mail_sink(settings.data_dir)
                settings = settings.replace(smtp_host="127.0.0.1", smtp_port=port)
                welcome.note(
                    f"Demo: reminders go to a local mail sink on port {port}; "
                    f"each arrives in {settings.data_dir / 'demo-mail'}"
                )
            for adapter in adapters:  # what each adapter starts beside the demo
                part = adapter.demo(settings, settings.data_dir)
                if part is None:
                    continue
                settings = part.settings
                for line in part.lines:
                    welcome.note(line)
                if part.attach is not None:
                    attach.append(part.attach)
            # After the adapters' parts: the history's reminders are written with the
            # settings the demo serves with (an inbound mail server makes them answerable).
            asyncio.run(ensure_demo(dsn, settings))
        if args.command == "serve" and args.workers > 1:
            return _serve_workers(settings, dsn, args.workers)
        _serve(settings, dsn, adapters, attach, welcome)
        return 0
    except MigrationError as exc:
        print(f"lagesbild: cannot start: {exc}", file=sys.stderr)
        return 1
    except ServiceDsnError as exc:
        print(f"lagesbild: cannot start: {exc}", file=sys.stderr)
        return 2
    except asyncpg.InsufficientPrivilegeError as exc:
        print(
            f"lagesbild: cannot migrate: {exc}. DATABASE_URL's user needs CREATEROLE and must "
            "own the database, or an administrator creates the roles first (deploy/README.md)",
            file=sys.stderr,
        )
        return 1
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        print(
            f"lagesbild: the database refused a log-in: {exc}. The service connects as "
            "lagesbild_service: set LAGESBILD_DATABASE_SERVICE_URL with its password",
            file=sys.stderr,
        )
        return 1
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"lagesbild: the database is not reachable: {exc}", file=sys.stderr)
        return 1


async def _create_token(dsn: str, args: argparse.Namespace) -> int:
    listed = [code.strip() for code in (args.organisations or "").split(",") if code.strip()]
    scope = Scope(organisations=frozenset(listed), county=args.county)
    if args.organisations is not None and not listed:
        print("lagesbild: --organisations names no organisation", file=sys.stderr)
        return 2
    if not scope.empty and args.role != "adapter":
        print("lagesbild: --organisations and --county are for adapter tokens", file=sys.stderr)
        return 2
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        for code in [args.org, *listed]:
            if await organisations.get(conn, code) is None:
                print(f"lagesbild: unknown organisation {code!r}", file=sys.stderr)
                return 2
        if args.county is not None and not await organisations.list_all(conn, county=args.county):
            print(f"lagesbild: no organisations in county {args.county!r}", file=sys.stderr)
            return 2
        token = await create_token(
            conn,
            organisation=args.org,
            role=role_adapter.validate_python(args.role),
            name=args.name,
            scope=scope,
            lifetime=timedelta(days=args.days),
        )
    finally:
        await conn.close()
    print(token)
    return 0


def _user_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.user_command == "remove":
        return asyncio.run(_remove_user(_dsn(settings), args.email))
    if args.user_command == "change":
        return asyncio.run(_change_user(_dsn(settings), args))
    password = read_password()
    if password is None:
        return 2
    return asyncio.run(
        _create_user(_dsn(settings), args.org, args.role, args.email, args.name, password)
    )


def read_password() -> str | None:
    """From a prompt (asked twice) on a terminal; else the first line of stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("lagesbild: the passwords differ", file=sys.stderr)
            return None
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        print(f"lagesbild: a password has at least {MIN_PASSWORD} characters", file=sys.stderr)
        return None
    return password


async def _create_user(
    dsn: str, org: str, role: str, email: str, name: str | None, password: str
) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if await organisations.get(conn, org) is None:
            print(f"lagesbild: unknown organisation {org!r}", file=sys.stderr)
            return 2
        try:
            user = await sessions.create_user(
                conn,
                email=email,
                name=name or email,
                organisation=org,
                role=role_adapter.validate_python(role),
                password=password,
                at=SystemClock().now(),
            )
        except users.EmailTaken:
            print(f"lagesbild: a user with e-mail {email!r} exists already", file=sys.stderr)
            return 2
        except asyncpg.CheckViolationError:
            print(f"lagesbild: {email!r} is not an e-mail address", file=sys.stderr)
            return 2
    finally:
        await conn.close()
    print(f"created user {user.email} ({user.role} for {user.organisation})")
    return 0


async def _remove_user(dsn: str, email: str) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            removed = await sessions.remove_user(conn, email, at=SystemClock().now())
    finally:
        await conn.close()
    if not removed:
        print(f"lagesbild: no user with e-mail {email!r}", file=sys.stderr)
        return 2
    print(f"removed user {email}; their sessions have ended")
    return 0


async def _change_user(dsn: str, args: argparse.Namespace) -> int:
    if args.role is None and args.name is None:
        print("lagesbild: say what to change: --role, --name or both", file=sys.stderr)
        return 2
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        user = await sessions.change_user(
            conn,
            args.email,
            name=args.name,
            role=None if args.role is None else role_adapter.validate_python(args.role),
            at=SystemClock().now(),
        )
    finally:
        await conn.close()
    if user is None:
        print(f"lagesbild: no user with e-mail {args.email!r}", file=sys.stderr)
        return 2
    print(f"user {user.email}: {user.name}, {user.role} for {user.organisation}")
    return 0


def _serve(
    settings: Settings,
    dsn: str,
    adapters: Sequence[Adapter],
    attach: Sequence[Callable[[web.Application], None]] = (),
    welcome: Welcome | None = None,
) -> None:
    app = create_app(settings, dsn=dsn, adapters=adapters)
    for hook in attach:
        hook(app)
    freeze_heap()  # the app made, not yet started
    favour_the_loop()
    url = f"http://{settings.host}:{settings.port}"

    def announce(_: str) -> None:
        print(f"Lägesbild serves on {url}  (Ctrl+C stops it)", flush=True)

    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        loop=new_event_loop(settings),
        access_log=None,
        print=announce if welcome is None else welcome.announcer(app, url),
        shutdown_timeout=settings.shutdown_timeout_seconds,
    )


def _serve_workers(settings: Settings, dsn: str, workers: int) -> int:
    url = f"http://{settings.host}:{settings.port}"

    def announce() -> None:
        print(f"Lägesbild serves on {url} with {workers} workers  (Ctrl+C stops it)", flush=True)

    return serve_workers(settings, dsn, workers, announce, _worker_app)


def _worker_app(settings: Settings, dsn: str) -> web.Application:
    """One worker's application (module level: each worker process imports it)."""
    return create_app(settings, dsn=dsn)
