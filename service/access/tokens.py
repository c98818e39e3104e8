"""API tokens: made at random, shown once, stored only as a hash; they expire (a year by
default, or as given at creation) and can be revoked, which closes their streams on
every instance."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from schemas.common import Role
from service.access.policy import IncidentAccess
from service.access.principal import Principal, Scope
from service.access.rate import RateLimit, take
from service.audit.record import Origin, command_line, record
from service.repo import Conn, tokens
from service.repo import rate as rate_repo
from service.repo.tokens import TokenListing

TOKEN_PREFIX = "lgb_"  # noqa: S105  # a public prefix, not a secret
DEFAULT_LIFETIME = timedelta(days=365)


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> bytes:
    """What is stored of an API token or a session cookie: their SHA-256.

    Both carry 256 random bits, so a fast hash is enough; no salt or stretching needed."""
    return hashlib.sha256(token.encode()).digest()


async def create_token(
    conn: Conn,
    *,
    organisation: str,
    role: Role,
    name: str,
    lifetime: timedelta = DEFAULT_LIFETIME,
    at: datetime | None = None,
    by: Origin | None = None,
    scope: Scope | None = None,
) -> str:
    """Store a new token's hash and return the token itself (the only time it is seen);
    the audit row goes in the same transaction.

    `scope` is for adapter tokens only (whom they speak for); without one an adapter
    speaks for its own organisation alone."""
    scope = scope or Scope()
    if scope.everyone:
        raise ValueError("a token never speaks for everyone; scope it to organisations or a county")
    if not scope.empty and role != "adapter":
        raise ValueError("only an adapter token has a scope")
    token = new_token()
    at = datetime.now(UTC) if at is None else at
    async with conn.transaction():
        token_id = await tokens.insert(
            conn,
            name=name,
            organisation=organisation,
            role=role,
            token_hash=token_hash(token),
            at=at,
            expires_at=at + lifetime,
            scope_organisations=sorted(scope.organisations) or None,
            scope_county=scope.county,
        )
        await record(
            conn,
            "token.created",
            by or command_line(),
            at=at,
            token_id=token_id,
            name=name,
            token_organisation=organisation,
            role=role,
            expires_at=(at + lifetime).isoformat(),
        )
    return token


async def revoke_token(
    conn: Conn, token_id: int, *, at: datetime, by: Origin
) -> TokenListing | None:
    """Revoke a token, record it and tell every instance to close its streams (at
    commit); None when there is no such live token."""
    async with conn.transaction():
        revoked = await tokens.revoke(conn, token_id, at)
        if revoked is None:
            return None
        await record(
            conn,
            "token.revoked",
            by,
            at=at,
            token_id=token_id,
            name=revoked.name,
            token_organisation=revoked.organisation,
            role=revoked.role,
        )
        await tokens.notify_revoked(conn, token_id)
    return revoked


@dataclass(frozen=True, slots=True)
class Admitted:
    """A live token's request: who calls, None when it may go or the seconds until it
    may, and the access facts of the incident asked for (None: none, or no such one)."""

    principal: Principal
    wait: float | None
    incident: IncidentAccess | None = None


async def admitted(
    conn: Conn,
    token: str,
    limit: RateLimit,
    *,
    now: datetime,
    by: Callable[[], Origin] | None = None,
    incident_id: uuid.UUID | None = None,
) -> Admitted | None:
    """The caller of a live token, and None when its request may go or the seconds
    until it may (one request taken from the token's bucket, shared by every instance).
    None when the token is unknown, revoked or expired. The first use after expiry
    records "token expired" (once, whichever instance sees it), named for the token,
    from where `by` (asked only then) says the request came. A live token's request is
    one statement, which also reads the access facts of `incident_id` when given."""
    key = token_hash(token)
    found = await tokens.use(conn, key, limit, now, incident_id=incident_id)
    if found is None:
        return None
    row = found.token
    if row.expires_at <= now:
        if not row.expiry_recorded:
            async with conn.transaction():
                if await tokens.mark_expiry_recorded(conn, row.id):
                    await record(
                        conn,
                        "token.expired",
                        replace(
                            by() if by else Origin(actor=""),
                            actor=row.name,
                            organisation=row.organisation,
                        ),
                        at=now,
                        token_id=row.id,
                        name=row.name,
                        expired_at=row.expires_at.isoformat(),
                    )
        return None
    principal = Principal.from_token_row(row)
    if found.bucket is None:  # less than one left: nothing was taken
        _, wait = take(limit, await rate_repo.peek(conn, key), now)
        # (A bucket refilled meanwhile: wait for one request's worth.)
        return Admitted(principal, wait if wait is not None else 1 / limit.rate)
    if found.fresh_bucket:  # a new bucket (at most one per token and refill): forget full ones
        await rate_repo.prune(conn, limit, now)
    return Admitted(principal, None, found.incident)
