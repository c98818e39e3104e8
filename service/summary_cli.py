"""`lagesbild summary-recipient add|remove|list`: who receives a county's published
summaries by e-mail or webhook (the WIS-style node and the national installation are
settings)."""

from __future__ import annotations

import argparse
import sys

import asyncpg

from service.clock import SystemClock
from service.db.pool import prepare_database
from service.outbox import repo as outbox_repo
from service.repo import organisations
from service.repo import summaries as repo

COMMAND = "summary-recipient"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    recipient = commands.add_parser(COMMAND, help="who receives a county's published summaries")
    sub = recipient.add_subparsers(dest="recipient_command", required=True)
    add = sub.add_parser("add", help="add an e-mail address or a webhook to a county")
    add.add_argument("--county", required=True, help="two digits, e.g. 14")
    target = add.add_mutually_exclusive_group(required=True)
    target.add_argument("--email")
    target.add_argument("--webhook", type=int, help="a webhook id (`lagesbild webhook list`)")
    remove = sub.add_parser("remove", help="remove a recipient by its id")
    remove.add_argument("id", type=int)
    listing = sub.add_parser("list", help="a county's recipients")
    listing.add_argument("--county", required=True)


async def run(dsn: str, args: argparse.Namespace) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if args.recipient_command == "remove":
            if not await repo.remove_recipient(conn, args.id):
                print(f"lagesbild: no recipient {args.id}", file=sys.stderr)
                return 1
            return 0
        if not await organisations.county_exists(conn, args.county):
            print(f"lagesbild: unknown county {args.county!r}", file=sys.stderr)
            return 2
        if args.recipient_command == "add":
            email = args.email
            if email is not None and ("@" not in email or any(c.isspace() for c in email)):
                print(f"lagesbild: not an e-mail address: {email!r}", file=sys.stderr)
                return 2
            webhook = args.webhook
            if webhook is not None and await outbox_repo.get_webhook(conn, webhook) is None:
                print(f"lagesbild: no webhook {args.webhook}", file=sys.stderr)
                return 2
            await repo.add_recipient(
                conn,
                county=args.county,
                email=email,
                webhook_id=args.webhook,
                at=SystemClock().now(),
            )
        for recipient in await repo.recipients(conn, args.county):
            print(f"{recipient.id}\t{recipient.channel}\t{recipient.label}")
    finally:
        await conn.close()
    return 0
