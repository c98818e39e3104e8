"""Open stream sockets per holder (a user, or an API token), shared by every instance."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from service.repo import Conn


async def open_socket(
    conn: Conn, socket_id: uuid.UUID, holder: str, *, most: int, now: datetime, live_since: datetime
) -> bool:
    """Count the holder's live sockets and add this one unless there are `most` already.
    The caller's transaction holds the holder's lock, so two opens never both pass. That
    transaction is the lease's alone, and its commit does not wait for the disk: a lease
    is nobody's answer, and a crash of PostgreSQL that forgets the last fraction of a
    second of them only lets a holder open a few sockets more until those close."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 9)),"
        " set_config('synchronous_commit', 'off', true)",
        "stream\x1f" + holder,
    )
    await conn.execute(
        "DELETE FROM stream_sockets WHERE holder = $1 AND seen_at < $2", holder, live_since
    )
    count: int = await conn.fetchval(
        "SELECT count(*) FROM stream_sockets WHERE holder = $1", holder
    )
    if count >= most:
        return False
    await conn.execute(
        "INSERT INTO stream_sockets (id, holder, seen_at) VALUES ($1, $2, $3)",
        socket_id,
        holder,
        now,
    )
    return True


async def close_socket(conn: Conn, socket_id: uuid.UUID) -> None:
    """Outside a transaction; its commit does not wait for the disk either: a close that a
    crash of PostgreSQL forgets is undone when the lease runs out (`renew` forgets every
    lease not renewed)."""
    await conn.execute(
        "DELETE FROM stream_sockets"
        " WHERE id = $1 AND set_config('synchronous_commit', 'off', true) = 'off'",
        socket_id,
    )


async def renew(
    conn: Conn, socket_ids: Collection[uuid.UUID], *, now: datetime, live_since: datetime
) -> None:
    """These sockets are still open; every socket not renewed since `live_since` is gone."""
    await conn.execute(
        "UPDATE stream_sockets SET seen_at = $2 WHERE id = ANY($1::uuid[])", list(socket_ids), now
    )
    await conn.execute("DELETE FROM stream_sockets WHERE seen_at < $1", live_since)
