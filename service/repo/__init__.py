"""SQL, one module per aggregate. Plain parameterised SQL; the caller owns the transaction."""

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection of one's own or one borrowed from the pool: repositories take either.
Conn: TypeAlias = asyncpg.Connection | PoolConnectionProxy
