"""`lagesbild audit`: the audit log on the terminal, newest first, filtered by options."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime

import asyncpg

from service.audit.kinds import KINDS
from service.audit.repo import AuditFilter, read
from service.db.pool import prepare_database
from service.domain.labels import STOCKHOLM, local_time


def _moment(text: str) -> datetime:
    """`2026-11-22`, `2026-11-22 14:00` or an ISO time; Stockholm time when no offset."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or time: {text!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=STOCKHOLM)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--actor", help="part of who acted (an e-mail address, a token name)")
    parser.add_argument("--org", help="organisation code, e.g. 1442 or LST-14")
    parser.add_argument("--kind", choices=KINDS)
    parser.add_argument("--since", type=_moment, help="from this time (Stockholm time)")
    parser.add_argument("--until", type=_moment, help="before this time (Stockholm time)")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="one JSON object per line")


async def run(dsn: str, args: argparse.Namespace) -> int:
    if args.limit < 1:
        print("lagesbild: --limit is at least 1", file=sys.stderr)
        return 2
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        rows = await read(
            conn,
            AuditFilter(
                actor=args.actor,
                organisation=args.org,
                kind=args.kind,
                since=args.since,
                until=args.until,
            ),
            limit=args.limit,
        )
    finally:
        await conn.close()
    for row in rows:
        if args.json:
            print(
                json.dumps(
                    {
                        "id": row.id,
                        "at": row.at.isoformat(),
                        "kind": row.kind,
                        "actor": row.actor,
                        "organisation": row.organisation,
                        "source": row.source,
                        "request_id": row.request_id,
                        "details": row.details,
                    },
                    ensure_ascii=False,
                )
            )
            continue
        details = " ".join(f"{key}={value}" for key, value in sorted(row.details.items()))
        fields = [
            local_time(row.at),
            row.kind,
            row.actor,
            row.organisation or "-",
            row.source or "-",
            row.request_id or "-",
            details,
        ]
        print("\t".join(fields))
    return 0
