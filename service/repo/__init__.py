"""SQL, one module per aggregate. Plain parameterised SQL; the caller owns the transaction."""

import dataclasses
from typing import Any, TypeAlias, TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection of one's own or one borrowed from the pool: repositories take either.
Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy

R = TypeVar("R")


def record_to(cls: type[R], row: asyncpg.Record, **converted: Any) -> R:
    """The one way a row becomes an object: each field of the dataclass `cls` from the
    column of the same name, except the fields given here (converted, or renamed)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # row types are dataclasses
    return cls(
        **{f.name: converted[f.name] if f.name in converted else row[f.name] for f in fields}
    )
