"""API tokens, stored only as a hash of the token."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from schemas.common import Role
from service.repo import Conn, record_to


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A live token with what a request needs to know about its organisation."""

    id: int
    name: str
    organisation: str
    role: Role
    org_kind: str
    org_county: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TokenRow:
        return record_to(cls, row)


async def insert(
    conn: Conn, *, name: str, organisation: str, role: Role, token_hash: bytes
) -> None:
    await conn.execute(
        "INSERT INTO api_tokens (name, organisation, role, token_hash) VALUES ($1, $2, $3, $4)",
        name,
        organisation,
        role,
        token_hash,
    )


async def live(conn: Conn, token_hash: bytes) -> TokenRow | None:
    """The token with this hash, unless it is unknown or revoked."""
    row = await conn.fetchrow(
        """
        SELECT t.id, t.name, t.organisation, t.role, o.kind AS org_kind, o.county AS org_county
        FROM api_tokens t JOIN organisations o ON o.code = t.organisation
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL
        """,
        token_hash,
    )
    return None if row is None else TokenRow.from_row(row)
