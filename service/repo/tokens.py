"""API tokens, stored only as a hash of the token."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from schemas.common import Role
from service.repo import Conn, record_to


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A live token with what a request needs to know about its organisation."""

    name: str
    organisation: str
    role: Role
    org_kind: str
    org_county: str | None
    scope_organisations: tuple[str, ...] | None
    scope_county: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TokenRow:
        organisations = row["scope_organisations"]
        return record_to(
            cls, row, scope_organisations=None if organisations is None else tuple(organisations)
        )


async def insert(
    conn: Conn,
    *,
    name: str,
    organisation: str,
    role: Role,
    token_hash: bytes,
    scope_organisations: list[str] | None = None,
    scope_county: str | None = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO api_tokens
            (name, organisation, role, token_hash, scope_organisations, scope_county)
        VALUES ($1, $2, $3, $4, $5, $6)
        """,
        name,
        organisation,
        role,
        token_hash,
        scope_organisations,
        scope_county,
    )


async def live(conn: Conn, token_hash: bytes) -> TokenRow | None:
    """The token with this hash, unless it is unknown or revoked."""
    row = await conn.fetchrow(
        """
        SELECT t.name, t.organisation, t.role, o.kind AS org_kind, o.county AS org_county,
               t.scope_organisations, t.scope_county
        FROM api_tokens t JOIN organisations o ON o.code = t.organisation
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL
        """,
        token_hash,
    )
    return None if row is None else TokenRow.from_row(row)
