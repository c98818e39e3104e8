"""Users who log in to the web app, and their server-side sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from schemas.common import Role
from service.repo import Conn, record_to

# NOTIFY channel: the payload is the id of a session that has ended (every instance closes
# the streams opened under it).
SESSIONS_CHANNEL = "lagesbild_sessions"


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    name: str
    organisation: str
    role: Role
    password_hash: str

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> UserRow:
        return record_to(cls, row)


@dataclass(frozen=True, slots=True)
class SessionRow:
    """A live session with what a request needs to know about its user."""

    id: int
    user_id: int
    csrf_token: str
    expires_at: datetime
    email: str
    name: str
    organisation: str
    org_name: str
    org_kind: str
    org_county: str | None
    role: Role

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> SessionRow:
        return record_to(cls, row)


class EmailTaken(Exception):
    """A live account already uses the address."""


async def insert(
    conn: Conn,
    *,
    email: str,
    name: str,
    organisation: str,
    role: Role,
    password_hash: str,
    at: datetime,
) -> UserRow:
    try:
        row = await conn.fetchrow(
            """
            INSERT INTO users (email, name, organisation, role, password_hash, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING id, email, name, organisation, role, password_hash
            """,
            email,
            name,
            organisation,
            role,
            password_hash,
            at,
        )
    except asyncpg.UniqueViolationError as exc:
        raise EmailTaken(email) from exc
    assert row is not None  # INSERT … RETURNING returns the row
    return UserRow.from_row(row)


async def by_email(conn: Conn, email: str) -> UserRow | None:
    row = await conn.fetchrow(
        """
        SELECT id, email, name, organisation, role, password_hash
        FROM users WHERE email = $1 AND removed_at IS NULL
        """,
        email,
    )
    return None if row is None else UserRow.from_row(row)


async def set_password_hash(conn: Conn, user_id: int, password_hash: str) -> None:
    await conn.execute("UPDATE users SET password_hash = $2 WHERE id = $1", user_id, password_hash)


async def remove(conn: Conn, email: str, *, at: datetime) -> int | None:
    """Mark the live account with `email` removed; its id, or None when there is none."""
    user_id: int | None = await conn.fetchval(
        "UPDATE users SET removed_at = $2 WHERE email = $1 AND removed_at IS NULL RETURNING id",
        email,
        at,
    )
    return user_id


async def insert_session(
    conn: Conn,
    *,
    token_hash: bytes,
    user_id: int,
    csrf_token: str,
    at: datetime,
    expires_at: datetime,
) -> int:
    session_id: int = await conn.fetchval(
        """
        INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at)
        VALUES ($1, $2, $3, $4, $5) RETURNING id
        """,
        token_hash,
        user_id,
        csrf_token,
        at,
        expires_at,
    )
    return session_id


async def live_session(conn: Conn, token_hash: bytes, *, now: datetime) -> SessionRow | None:
    row = await conn.fetchrow(
        """
        SELECT s.id, s.user_id, s.csrf_token, s.expires_at,
               u.email, u.name, u.organisation, u.role,
               o.name AS org_name, o.kind AS org_kind, o.county AS org_county
        FROM sessions s
        JOIN users u ON u.id = s.user_id
        JOIN organisations o ON o.code = u.organisation
        WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2
          AND u.removed_at IS NULL
        """,
        token_hash,
        now,
    )
    return None if row is None else SessionRow.from_row(row)


async def end_session(conn: Conn, token_hash: bytes, *, at: datetime, reason: str) -> int | None:
    """End one session; its id, or None when it was not live."""
    session_id: int | None = await conn.fetchval(
        "UPDATE sessions SET ended_at = $2, end_reason = $3 "
        "WHERE token_hash = $1 AND ended_at IS NULL RETURNING id",
        token_hash,
        at,
        reason,
    )
    return session_id


async def end_session_by_id(
    conn: Conn, session_id: int, *, at: datetime, reason: str
) -> str | None:
    """End one session by its id; the e-mail of its user, or None when it was not live."""
    email: str | None = await conn.fetchval(
        """
        UPDATE sessions s SET ended_at = $2, end_reason = $3 FROM users u
        WHERE s.id = $1 AND s.ended_at IS NULL AND u.id = s.user_id
        RETURNING u.email
        """,
        session_id,
        at,
        reason,
    )
    return email


async def end_sessions_of(conn: Conn, user_id: int, *, at: datetime, reason: str) -> list[int]:
    """End every live session of a user; their ids."""
    rows = await conn.fetch(
        "UPDATE sessions SET ended_at = $2, end_reason = $3 "
        "WHERE user_id = $1 AND ended_at IS NULL RETURNING id",
        user_id,
        at,
        reason,
    )
    return [row["id"] for row in rows]


async def end_expired_sessions(conn: Conn, *, now: datetime) -> list[tuple[int, str, str]]:
    """End the sessions past their expiry; (id, e-mail, organisation) of each."""
    rows = await conn.fetch(
        """
        UPDATE sessions s SET ended_at = s.expires_at, end_reason = 'expired' FROM users u
        WHERE s.ended_at IS NULL AND s.expires_at <= $1 AND u.id = s.user_id
        RETURNING s.id, u.email, u.organisation
        """,
        now,
    )
    return [(row["id"], row["email"], row["organisation"]) for row in rows]


async def change(conn: Conn, user_id: int, *, name: str | None, role: Role | None) -> UserRow:
    row = await conn.fetchrow(
        """
        UPDATE users SET name = coalesce($2, name), role = coalesce($3, role) WHERE id = $1
        RETURNING id, email, name, organisation, role, password_hash
        """,
        user_id,
        name,
        role,
    )
    assert row is not None  # the caller has just read the live user
    return UserRow.from_row(row)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A live session as the admin page lists it (never its cookie)."""

    id: int
    email: str
    organisation: str
    role: Role
    created_at: datetime
    expires_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> LiveSession:
        return record_to(cls, row)


async def live_sessions(conn: Conn, *, now: datetime) -> list[LiveSession]:
    rows = await conn.fetch(
        """
        SELECT s.id, u.email, u.organisation, u.role, s.created_at, s.expires_at
        FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.ended_at IS NULL AND s.expires_at > $1 AND u.removed_at IS NULL
        ORDER BY u.organisation, u.email, s.id
        """,
        now,
    )
    return [LiveSession.from_row(row) for row in rows]


async def live_session_ids(conn: Conn, session_ids: set[int], *, now: datetime) -> set[int]:
    """Which of these sessions are still live (not ended, not expired, user not removed)."""
    rows = await conn.fetch(
        """
        SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ANY($1::bigint[]) AND s.ended_at IS NULL AND s.expires_at > $2
          AND u.removed_at IS NULL
        """,
        list(session_ids),
        now,
    )
    return {row["id"] for row in rows}


async def notify_sessions_ended(conn: Conn, session_ids: list[int]) -> None:
    """Tell every instance, at commit, that these sessions have ended."""
    for session_id in session_ids:
        await conn.execute("SELECT pg_notify($1, $2)", SESSIONS_CHANNEL, str(session_id))
