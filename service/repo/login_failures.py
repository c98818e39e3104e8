"""Failed log-ins in PostgreSQL, shared by every instance: one row per counted key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from service.repo import Conn

Key = tuple[str, str]  # (scope, key): ("pair", "ada@…|203.0.113.5"), ("address", …), …


async def serialise(conn: Conn, key: Key) -> None:
    """Hold `key` until the transaction ends: attempts for it wait for each other on every
    instance, so that parallel guesses cannot all pass the check before any is counted."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 8))", "\x1f".join(key))


async def counts(
    conn: Conn, keys: Sequence[Key], *, since: datetime
) -> dict[Key, tuple[int, datetime]]:
    """Failures and the last failure's time of each key, counting only failures since."""
    rows = await conn.fetch(
        """
        SELECT scope, key, failures, last_failure_at FROM login_failures
        WHERE (scope, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
          AND last_failure_at > $3
        """,
        [scope for scope, _ in keys],
        [key for _, key in keys],
        since,
    )
    return {(r["scope"], r["key"]): (r["failures"], r["last_failure_at"]) for r in rows}


async def add_failure(conn: Conn, keys: Sequence[Key], *, at: datetime, window: timedelta) -> None:
    """One more failure for each key (a count older than the window starts again at 1),
    and every row whose last failure left the window is forgotten."""
    await conn.execute(
        """
        INSERT INTO login_failures AS f (scope, key, failures, last_failure_at)
        SELECT scope, key, 1, $3 FROM unnest($1::text[], $2::text[]) AS k (scope, key)
        ON CONFLICT (scope, key) DO UPDATE SET
            failures = CASE WHEN f.last_failure_at > $3 - $4::interval
                            THEN f.failures + 1 ELSE 1 END,
            last_failure_at = greatest(f.last_failure_at, $3)
        """,
        [scope for scope, _ in keys],
        [key for _, key in keys],
        at,
        window,
    )
    await conn.execute("DELETE FROM login_failures WHERE last_failure_at <= $1", at - window)


async def forget(conn: Conn, key: Key) -> None:
    await conn.execute("DELETE FROM login_failures WHERE scope = $1 AND key = $2", *key)
