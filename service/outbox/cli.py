"""`lagesbild outbox list|retry` and `lagesbild webhook create|list` from a shell."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import asyncpg

from service.audit.record import command_line, record
from service.clock import SystemClock, iso
from service.db.pool import prepare_database
from service.outbox import repo, webhooks
from service.repo import organisations


def add_commands(commands: Any) -> None:
    """Add `outbox` to the `lagesbild` subcommands (an argparse subparsers object)."""
    outbox = commands.add_parser("outbox", help="messages for other systems: list, retry")
    sub = outbox.add_subparsers(dest="outbox_command", required=True)
    listing = sub.add_parser("list", help="messages, newest first, one per line")
    listing.add_argument("--status", choices=["pending", "delivered", "dead"])
    listing.add_argument("--destination", help="e.g. email or webhook:3")
    listing.add_argument("--limit", type=int, default=100)
    retry = sub.add_parser("retry", help="make dead (or pending) messages due now")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=int, help="the message's id (first column of list)")
    which.add_argument("--all-dead", action="store_true", help="every dead letter")
    webhook = commands.add_parser("webhook", help="an organisation's webhooks: create, list")
    hooks = webhook.add_subparsers(dest="webhook_command", required=True)
    create = hooks.add_parser("create", help="prints id, destination and the secret (once)")
    create.add_argument("--org", required=True, help="organisation code, e.g. 1442")
    create.add_argument("--url", required=True, help="where messages are POSTed (http[s]://…)")
    listed = hooks.add_parser("list", help="an organisation's webhooks (without secrets)")
    listed.add_argument("--org", required=True)


async def run(dsn: str, args: argparse.Namespace) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if args.command == "webhook":
            return await _webhook(conn, args)
        if args.outbox_command == "list":
            return await _list(conn, args)
        return await _retry(conn, args)
    finally:
        await conn.close()


async def _webhook(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    if await organisations.get(conn, args.org) is None:
        print(f"lagesbild: unknown organisation {args.org!r}", file=sys.stderr)
        return 2
    if args.webhook_command == "create":
        if not args.url.startswith(("http://", "https://")):
            print("lagesbild: the URL must start with http:// or https://", file=sys.stderr)
            return 2
        hook = await repo.insert_webhook(
            conn,
            organisation=args.org,
            url=args.url,
            secret=webhooks.new_secret(),
            at=SystemClock().now(),
        )
        print(f"{hook.id}\t{hook.destination}\t{hook.url}\tsecret={hook.secret}")
        return 0
    for hook in await repo.webhooks_of(conn, args.org, include_disabled=True):
        state = "disabled" if hook.disabled_at is not None else "active"
        print(f"{hook.id}\t{hook.destination}\t{hook.url}\t{state}")
    return 0


async def _list(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    rows = await repo.list_messages(
        conn, status=args.status, destination=args.destination, limit=max(1, args.limit)
    )
    for row in rows:
        due = iso(row.next_attempt_at) if row.status == "pending" else "-"
        fields = [
            str(row.id),
            row.status,
            row.destination,
            row.kind,
            row.message_id,
            f"attempts={row.attempts}",
            f"created={iso(row.created_at)}",
            f"due={due}",
            f"error={row.last_error or '-'}",
        ]
        print("\t".join(fields))
    return 0


async def _retry(conn: asyncpg.Connection, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    if args.all_dead:
        async with conn.transaction():
            count = await repo.retry_all_dead(conn, now=now)
            await record(conn, "outbox.retried", command_line(), at=now, all_dead=count)
        print(f"{count} dead letter(s) due again")
        return 0
    async with conn.transaction():
        row = await repo.retry(conn, args.id, now=now)
        if row is not None and row.status != "delivered":
            await record(
                conn,
                "outbox.retried",
                command_line(),
                at=now,
                message=row.id,
                destination=row.destination,
                message_kind=row.kind,
            )
    if row is None:
        print(f"lagesbild: no outbox message {args.id}", file=sys.stderr)
        return 1
    if row.status == "delivered":
        print(f"lagesbild: outbox message {args.id} was delivered already", file=sys.stderr)
        return 1
    print(f"{row.id}\tpending\t{row.destination}\t{row.message_id}")
    return 0
