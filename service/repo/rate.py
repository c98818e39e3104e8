"""Token buckets of API tokens (service/access/rate.py), one row per token."""

from __future__ import annotations

from datetime import datetime, timedelta

from service.access.rate import Bucket, RateLimit
from service.repo import Conn


def bucket_upsert(rows: str) -> str:
    """The one statement that takes a request from a token's bucket: token hash $1,
    `RateLimit` rate $2 and burst $3, at $4. `rows` gives the row of a new bucket (a
    VALUES list, or a SELECT of one row or none: none takes nothing). Nothing is taken,
    and no row returned, when the bucket holds less than one."""
    return (
        """
        INSERT INTO api_rate_buckets AS b (token_hash, tokens, updated_at)
        """
        + rows
        + """
        ON CONFLICT (token_hash) DO UPDATE SET
            tokens = least($3::float8, b.tokens + $2::float8
                           * greatest(0, extract(epoch FROM $4 - b.updated_at))) - 1,
            updated_at = greatest(b.updated_at, $4)
        WHERE least($3::float8, b.tokens + $2::float8
                    * greatest(0, extract(epoch FROM $4 - b.updated_at))) >= 1
        RETURNING tokens, updated_at, xmax = 0 AS fresh
        """
    )


async def peek(conn: Conn, token_hash: bytes) -> Bucket | None:
    row = await conn.fetchrow(
        "SELECT tokens, updated_at FROM api_rate_buckets WHERE token_hash = $1", token_hash
    )
    return None if row is None else Bucket(row["tokens"], row["updated_at"])


async def prune(conn: Conn, limit: RateLimit, now: datetime) -> int:
    """Forget buckets full again (untouched for longer than a refill): they change nothing."""
    status: str = await conn.execute(
        "DELETE FROM api_rate_buckets WHERE updated_at < $1",
        now - timedelta(seconds=limit.seconds_to_full()),
    )
    return int(status.split()[-1])
