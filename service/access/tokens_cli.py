"""`lagesbild token list|revoke` from a shell (`token create` is service/cli.py)."""

from __future__ import annotations

import argparse
import sys

import asyncpg

from service.access.tokens import revoke_token
from service.audit.record import command_line
from service.clock import SystemClock
from service.db.pool import prepare_database
from service.domain.labels import local_time
from service.repo import tokens

LIST_COLUMNS = ("id", "name", "organisation", "role", "created", "last used", "expires", "state")


async def run(dsn: str, args: argparse.Namespace) -> int:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        if args.token_command == "list":  # noqa: S105  # a subcommand, not a secret
            return await _list(conn, include_revoked=args.all)
        return await _revoke(conn, args.id)
    finally:
        await conn.close()


async def _list(conn: asyncpg.Connection, *, include_revoked: bool) -> int:
    now = SystemClock().now()
    print("\t".join(LIST_COLUMNS))
    for token in await tokens.listing(conn, include_revoked=include_revoked):
        if token.revoked_at is not None:
            state = f"revoked {local_time(token.revoked_at)}"
        elif token.expires_at <= now:
            state = "expired"
        else:
            state = "live"
        fields = [
            str(token.id),
            token.name,
            token.organisation,
            token.role,
            local_time(token.created_at),
            local_time(token.last_used_at),
            local_time(token.expires_at),
            state,
        ]
        print("\t".join(fields))
    return 0


async def _revoke(conn: asyncpg.Connection, token_id: int) -> int:
    revoked = await revoke_token(conn, token_id, at=SystemClock().now(), by=command_line())
    if revoked is None:
        print(f"lagesbild: no live token {token_id}", file=sys.stderr)
        return 1
    print(f"revoked token {revoked.id} ({revoked.name}, {revoked.role} for {revoked.organisation})")
    return 0
