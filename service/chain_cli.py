"""`lagesbild log verify INCIDENT`: check the incident's hash chain in the database, or
(`--export FILE`) the chain of a JSON export, without the database."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from service.db.pool import create_pool, prepare_database
from service.domain import chain
from service.domain.text_reports import find_incident
from service.repo import chain as repo

COMMAND = "log"


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    log = commands.add_parser("log", help="the incident's log")
    sub = log.add_subparsers(dest="log_command", required=True)
    verify = sub.add_parser(
        "verify", help="check the log's hash chain; exits 1 at the first event that breaks it"
    )
    target = verify.add_mutually_exclusive_group(required=True)
    target.add_argument("incident", nargs="?", help="the incident id, or its short code")
    target.add_argument("--export", type=Path, help="a JSON export (checked without a database)")


def needs_database(args: argparse.Namespace) -> bool:
    return args.export is None


def _report(head_seq: int, head_hash: str, broken_at: int | None) -> int:
    if broken_at is not None:
        print(f"broken at seq {broken_at}")
        return 1
    print(f"unbroken: {head_seq} events, head {head_hash}")
    return 0


def verify_export(path: Path) -> int:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        incident_id = str(document["incident"]["id"])
        events = document["events"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"lagesbild: {path} is not a JSON export: {exc}", file=sys.stderr)
        return 2
    broken_at = chain.first_break(incident_id, events)
    head_seq = int(events[-1]["seq"]) if events else 0
    head_hash = str(events[-1].get("hash")) if events else chain.GENESIS
    stated = document.get("chain") or {}
    if broken_at is None and (
        stated.get("head_seq") != head_seq or stated.get("head_hash") != head_hash
    ):
        print(
            f"the export's chain names head {stated.get('head_seq')}, its events end at {head_seq}"
        )
        return 1
    return _report(head_seq, head_hash, broken_at)


async def run(dsn: str, args: argparse.Namespace) -> int:
    await prepare_database(dsn)
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            row = await find_incident(conn, args.incident)
            if row is None:
                print(f"lagesbild: no incident {args.incident!r}", file=sys.stderr)
                return 2
            found = await repo.status(conn, row.id)
    finally:
        await pool.close()
    return _report(found.head_seq, found.head_hash, found.broken_at)
