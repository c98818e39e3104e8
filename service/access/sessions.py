"""Log-in with e-mail and password, and server-side sessions (the cookie and the CSRF
check on requests are `service/http/auth.py`).

The session cookie holds 256 random bits; the database holds their SHA-256, so a
copy of the table opens no session. Ending a session (log-out, user removal) is a
row update plus `pg_notify('lagesbild_sessions', id)`: every instance closes the
session's open streams when the notification arrives.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import argon2

from schemas.common import Role
from service.access.tokens import token_hash
from service.audit.record import Origin, command_line, record
from service.repo import Conn
from service.repo import users as users_repo
from service.repo.users import SessionRow

COOKIE = "lagesbild_session"
LOGIN_COOKIE = "lagesbild_login"  # double-submit token for the log-in form, before a session
CSRF_HEADER = "X-CSRF-Token"
CHANNEL = users_repo.SESSIONS_CHANNEL
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")

_hasher = argon2.PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the address is unknown, so a wrong address costs as long as a
    wrong password and the answer time does not tell which addresses exist."""
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # for the cookie; never stored
    session_id: int
    csrf_token: str
    expires_at: datetime


async def check_password(conn: Conn, email: str, password: str) -> users_repo.UserRow | None:
    """The user when the password is right; None otherwise (and as slowly either way)."""
    user = await users_repo.by_email(conn, normalise_email(email))
    stored = await _off_loop(_dummy_hash) if user is None else user.password_hash
    try:
        await _off_loop(_hasher.verify, stored, password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        rehashed = await _off_loop(_hasher.hash, password)
        await users_repo.set_password_hash(conn, user.id, rehashed)
    return user


async def _off_loop(work: Callable[..., T], *args: Any) -> T:
    """Argon2 takes about a tenth of a second of CPU by design: in a thread, so streams
    and requests go on meanwhile (argon2-cffi releases the GIL while it hashes)."""
    return await asyncio.get_running_loop().run_in_executor(None, work, *args)


def normalise_email(email: str) -> str:
    return email.strip().lower()


MAX_EMAIL = 254  # the longest address SMTP carries (RFC 5321)


def could_be_email(email: str) -> bool:
    """Whether `email` could name a user at all: at most 254 characters, no control
    characters (a NUL would not even reach the database). Asked before anything is
    looked up or counted."""
    address = normalise_email(email)
    return 0 < len(address) <= MAX_EMAIL and all(char >= " " and char != "\x7f" for char in address)


async def create_user(
    conn: Conn,
    *,
    email: str,
    name: str,
    organisation: str,
    role: Role,
    password: str,
    at: datetime,
    by: Origin | None = None,
) -> users_repo.UserRow:
    password_hash = await _off_loop(hash_password, password)
    async with conn.transaction():
        user = await users_repo.insert(
            conn,
            email=normalise_email(email),
            name=name,
            organisation=organisation,
            role=role,
            password_hash=password_hash,
            at=at,
        )
        await record(
            conn,
            "user.created",
            by or command_line(),
            at=at,
            user=user.email,
            user_organisation=organisation,
            role=role,
        )
    return user


async def change_user(
    conn: Conn,
    email: str,
    *,
    name: str | None = None,
    role: Role | None = None,
    at: datetime,
    by: Origin | None = None,
) -> users_repo.UserRow | None:
    """Change a user's name or role; None when there is no such user. A role change ends
    the user's sessions (they log in again and get a new session id) and closes their
    streams on every instance."""
    by = by or command_line()
    async with conn.transaction():
        before = await users_repo.by_email(conn, normalise_email(email))
        if before is None:
            return None
        after = await users_repo.change(conn, before.id, name=name, role=role)
        if name is not None and name != before.name:
            await record(conn, "user.changed", by, at=at, user=before.email, name=name)
        if role is not None and role != before.role:
            await record(
                conn,
                "user.role_changed",
                by,
                at=at,
                user=before.email,
                user_organisation=before.organisation,
                role_before=before.role,
                role=role,
            )
            await _end_all(conn, before, at=at, reason="role_changed", by=by)
    return after


async def start(conn: Conn, user_id: int, *, at: datetime, lifetime: timedelta) -> NewSession:
    token = secrets.token_urlsafe(32)
    csrf_token = secrets.token_urlsafe(32)
    expires_at = at + lifetime
    session_id = await users_repo.insert_session(
        conn,
        token_hash=token_hash(token),
        user_id=user_id,
        csrf_token=csrf_token,
        at=at,
        expires_at=expires_at,
    )
    return NewSession(token, session_id, csrf_token, expires_at)


async def lookup(conn: Conn, token: str, *, now: datetime) -> SessionRow | None:
    return await users_repo.live_session(conn, token_hash(token), now=now)


async def end(conn: Conn, token: str, *, at: datetime, by: Origin | None = None) -> None:
    """End the session of `token` (log-out) and tell every instance; with `by`, the
    log-out is recorded (a session replaced at log-in is not a log-out)."""
    reason = "logout" if by is not None else "replaced"
    async with conn.transaction():
        ended = await users_repo.end_session(conn, token_hash(token), at=at, reason=reason)
        if ended is None:
            return
        if by is not None:
            await record(conn, "logout", by, at=at, session_id=ended)
        await _announce(conn, [ended])


async def end_session_by_id(conn: Conn, session_id: int, *, at: datetime, by: Origin) -> bool:
    """An admin ends someone's session; False when it is not live."""
    async with conn.transaction():
        ended = await users_repo.end_session_by_id(conn, session_id, at=at, reason="ended")
        if ended is None:
            return False
        await record(
            conn,
            "session.ended",
            by,
            at=at,
            session_id=session_id,
            user=ended,
            reason="ended by an admin",
        )
        await _announce(conn, [session_id])
    return True


async def remove_user(conn: Conn, email: str, *, at: datetime, by: Origin | None = None) -> bool:
    """Remove a user and end all their sessions at once; False when there is no such user."""
    by = by or command_line()
    async with conn.transaction():
        user = await users_repo.by_email(conn, normalise_email(email))
        if user is None or await users_repo.remove(conn, user.email, at=at) is None:
            return False
        await record(
            conn, "user.removed", by, at=at, user=user.email, user_organisation=user.organisation
        )
        await _end_all(conn, user, at=at, reason="removed", by=by)
    return True


async def _end_all(
    conn: Conn, user: users_repo.UserRow, *, at: datetime, reason: str, by: Origin
) -> None:
    ended = await users_repo.end_sessions_of(conn, user.id, at=at, reason=reason)
    for session_id in ended:
        await record(
            conn, "session.ended", by, at=at, session_id=session_id, user=user.email, reason=reason
        )
    await _announce(conn, ended)


async def expire_due(conn: Conn, *, now: datetime) -> int:
    """End sessions past their expiry, one audit row each (whichever instance comes first
    takes each session: the update locks its row); how many."""
    async with conn.transaction():
        expired = await users_repo.end_expired_sessions(conn, now=now)
        for session_id, email, organisation in expired:
            await record(
                conn,
                "session.expired",
                Origin(actor=email, organisation=organisation),
                at=now,
                session_id=session_id,
            )
    return len(expired)


async def _announce(conn: Conn, session_ids: list[int]) -> None:
    await users_repo.notify_sessions_ended(conn, session_ids)
