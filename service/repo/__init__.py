"""SQL, one module per aggregate. Plain parameterised SQL; the caller owns the transaction."""

import dataclasses
from typing import Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection of one's own or one borrowed from the pool: repositories take either.
Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy

R = TypeVar("R")

# What a failed or unreachable database raises: code that carries on without it (logs,
# answers 503, tries again later) catches these, and nothing else, in one place.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)

# No seq is larger (bigint's maximum). "No upper bound" is written `seq <= COALESCE($n,
# LAST_SEQ)`, never `($n IS NULL OR seq <= $n)`: PostgreSQL soon plans a prepared
# statement once for any parameters, and such a plan can use the bound in the index only
# in the first form (in the second it reads the log on to its end, filtering).
LAST_SEQ = 2**63 - 1


def record_to(cls: type[R], row: asyncpg.Record, **converted: Any) -> R:
    """The one way a row becomes an object: each field of the dataclass `cls` from the
    column of the same name, except the fields given here (converted, or renamed)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # row types are dataclasses
    return cls(
        **{f.name: converted[f.name] if f.name in converted else row[f.name] for f in fields}
    )
