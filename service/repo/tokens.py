"""API tokens, stored only as a hash of the token."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from schemas.common import Role
from service.access.policy import IncidentAccess
from service.access.rate import Bucket, RateLimit
from service.repo import Conn, rate, record_to

# How stale `last_used_at` may be before a request writes it again: one write a minute
# per token, not one per request.
LAST_USED_GRAIN_SECONDS = 60


@dataclass(frozen=True, slots=True)
class TokenRow:
    """A token (not revoked) with what a request needs to know about its organisation."""

    id: int
    name: str
    organisation: str
    role: Role
    org_kind: str
    org_county: str | None
    expires_at: datetime
    last_used_at: datetime | None
    expiry_recorded: bool
    scope_organisations: tuple[str, ...] | None
    scope_county: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TokenRow:
        organisations = row["scope_organisations"]
        return record_to(
            cls, row, scope_organisations=None if organisations is None else tuple(organisations)
        )


@dataclass(frozen=True, slots=True)
class TokenListing:
    """A token as `lagesbild token list` and the admin page show it (never the token)."""

    id: int
    name: str
    organisation: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> TokenListing:
        return record_to(cls, row)


async def insert(
    conn: Conn,
    *,
    name: str,
    organisation: str,
    role: Role,
    token_hash: bytes,
    at: datetime,
    expires_at: datetime,
    scope_organisations: list[str] | None = None,
    scope_county: str | None = None,
) -> int:
    token_id: int = await conn.fetchval(
        """
        INSERT INTO api_tokens (name, organisation, role, token_hash, created_at, expires_at,
                                scope_organisations, scope_county)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
        """,
        name,
        organisation,
        role,
        token_hash,
        at,
        expires_at,
        scope_organisations,
        scope_county,
    )
    return token_id


# `use`, in three constant parts (no value is ever spliced in): the token, its touch,
# then the bucket's statement as `rate` defines it, then the row.
_USE_HEAD = """
    WITH t AS (
        SELECT t.id, t.name, t.organisation, t.role, t.expires_at, t.last_used_at,
               t.expiry_recorded, o.kind AS org_kind, o.county AS org_county,
               t.scope_organisations, t.scope_county
        FROM api_tokens t JOIN organisations o ON o.code = t.organisation
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL
    ), live AS (
        SELECT id FROM t WHERE expires_at > $4::timestamptz{quick}
    ), touched AS (
        UPDATE api_tokens a SET last_used_at = $4::timestamptz
        FROM live
        WHERE a.id = live.id
          AND (a.last_used_at IS NULL
               OR a.last_used_at < $4::timestamptz - make_interval(secs => $5::int))
        RETURNING a.id
    ), taken AS ("""
_USE_ROW = """)
    SELECT t.*, taken.tokens AS bucket_tokens, taken.updated_at AS bucket_at,
           coalesce(taken.fresh, false) AS bucket_fresh,
           i.id IS NOT NULL AS incident_found, i.county AS incident_county,
           i.owner AS incident_owner,
           ARRAY(SELECT p.organisation FROM incident_participants p
                 WHERE p.incident_id = i.id) AS incident_participants,
           ARRAY(SELECT s.organisation FROM incident_shares s
                 WHERE s.incident_id = i.id) AS incident_shared_with
    FROM t LEFT JOIN taken ON true LEFT JOIN incidents i ON i.id = $6::uuid
    """
_USE_BODY = (
    _USE_HEAD
    + rate.bucket_upsert("SELECT $1::bytea, $3::float8 - 1, $4::timestamptz FROM live")
    + _USE_ROW
)
# On a connection of its own (no transaction), the statement commits by itself. What it
# writes (the bucket, the last use) is no answer anybody was given, so its commit does not
# wait for the WAL to reach the disk: a crash of PostgreSQL may forget the last fraction
# of a second of it (a few requests more for a token, a last use a moment older). The
# setting is the statement's own transaction's (`set_config(…, true)`), set where the
# writes read which token is live; a later commit that waits flushes it too.
_USE_ALONE = _USE_BODY.replace(
    "{quick}", "\n          AND set_config('synchronous_commit', 'off', true) = 'off'"
)
# Inside a caller's transaction the setting would be the whole transaction's, whose
# other writes may be somebody's answer: there the commit waits, as every commit does.
_USE_IN_TRANSACTION = _USE_BODY.replace("{quick}", "")


@dataclass(frozen=True, slots=True)
class Use:
    """One request with a token (`use`): the token, and its rate bucket after the
    request was taken from it; `bucket` is None when the token has expired (nothing
    taken) or its bucket held less than one (nothing taken: the request must wait)."""

    token: TokenRow
    bucket: Bucket | None
    fresh_bucket: bool  # the bucket was made by this request
    # The access facts of the incident asked for (`use(incident_id=…)`), read in the
    # same statement; None when none was asked for or there is no such incident.
    incident: IncidentAccess | None = None


async def use(
    conn: Conn,
    token_hash: bytes,
    limit: RateLimit,
    now: datetime,
    *,
    incident_id: uuid.UUID | None = None,
) -> Use | None:
    """The token with this hash unless it is unknown or revoked (None), and, when it
    has not expired at `now`, one use of it in the same statement: its last use noted
    (at most one write per `LAST_USED_GRAIN_SECONDS`) and one request taken from its
    rate bucket (`rate.bucket_upsert`). With `incident_id`, the same statement reads
    that incident's access facts (the route's access check needs them next). One round
    trip where a request made four; outside a transaction, its commit does not wait for
    the disk (`_USE_ALONE`)."""
    row = await conn.fetchrow(
        _USE_IN_TRANSACTION if conn.is_in_transaction() else _USE_ALONE,
        token_hash,
        limit.rate,
        limit.burst,
        now,
        LAST_USED_GRAIN_SECONDS,
        incident_id,
    )
    if row is None:
        return None
    bucket = None if row["bucket_at"] is None else Bucket(row["bucket_tokens"], row["bucket_at"])
    incident = (
        IncidentAccess(
            county=row["incident_county"],
            owner=row["incident_owner"],
            participants=frozenset(row["incident_participants"]),
            shared_with=frozenset(row["incident_shared_with"]),
        )
        if row["incident_found"]
        else None
    )
    return Use(TokenRow.from_row(row), bucket, row["bucket_fresh"], incident)


async def mark_expiry_recorded(conn: Conn, token_id: int) -> bool:
    """True for the one caller that first notes the token's expiry."""
    marked = await conn.fetchval(
        "UPDATE api_tokens SET expiry_recorded = true "
        "WHERE id = $1 AND NOT expiry_recorded RETURNING id",
        token_id,
    )
    return marked is not None


async def listing(conn: Conn, *, include_revoked: bool = False) -> list[TokenListing]:
    rows = await conn.fetch(
        """
        SELECT id, name, organisation, role, created_at, last_used_at, expires_at, revoked_at
        FROM api_tokens WHERE $1 OR revoked_at IS NULL
        ORDER BY organisation, name, id
        """,
        include_revoked,
    )
    return [TokenListing.from_row(row) for row in rows]


async def get(conn: Conn, token_id: int) -> TokenListing | None:
    row = await conn.fetchrow(
        """
        SELECT id, name, organisation, role, created_at, last_used_at, expires_at, revoked_at
        FROM api_tokens WHERE id = $1
        """,
        token_id,
    )
    return None if row is None else TokenListing.from_row(row)


async def revoke(conn: Conn, token_id: int, at: datetime) -> TokenListing | None:
    """Revoke a live token; the token, or None when it is unknown or revoked already."""
    row = await conn.fetchrow(
        """
        UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
        RETURNING id, name, organisation, role, created_at, last_used_at, expires_at,
                  revoked_at
        """,
        token_id,
        at,
    )
    return None if row is None else TokenListing.from_row(row)


async def live_ids(conn: Conn, token_ids: set[int], *, now: datetime) -> set[int]:
    """Which of these tokens are neither revoked nor expired."""
    rows = await conn.fetch(
        "SELECT id FROM api_tokens WHERE id = ANY($1::bigint[]) AND revoked_at IS NULL "
        "AND expires_at > $2",
        list(token_ids),
        now,
    )
    return {row["id"] for row in rows}


# On the sessions' NOTIFY channel (service/repo/users.py): `token:<id>`, a token revoked.
TOKEN_PAYLOAD_PREFIX = "token:"  # noqa: S105  # a message prefix, not a secret


async def notify_revoked(conn: Conn, token_id: int) -> None:
    """Tell every instance, at commit, that this token is revoked (its streams close)."""
    from service.repo.users import SESSIONS_CHANNEL

    await conn.execute(
        "SELECT pg_notify($1, $2)", SESSIONS_CHANNEL, f"{TOKEN_PAYLOAD_PREFIX}{token_id}"
    )
