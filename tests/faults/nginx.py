"""Debian's nginx in front of service instances, from deploy/nginx.conf, without root paths.

`render(snippet, …)` turns the deployed http-context snippet into a whole configuration
for a temporary prefix: the upstream lists the given loopback ports (no Docker resolver,
no `resolve`, which Debian's 1.22 lacks), it listens on a loopback port, and the pid,
logs and temp files live under the prefix. Everything else (WebSocket pass-through,
timeouts, retries, limits, gzip) is the file as deployed.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import time
from collections.abc import Sequence
from pathlib import Path

from tests.command import ROOT

SNIPPET = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

_UPSTREAM = re.compile(r"(upstream lagesbild \{\n)(.*?)(\n\})", re.S)


def render(snippet: str, *, upstreams: Sequence[int], port: int, prefix: Path) -> str:
    """A complete nginx.conf for `prefix` proxying 127.0.0.1:`port` to `upstreams`."""
    http = re.sub(r"^resolver .*\n", "", snippet, flags=re.M)
    servers = "\n".join(
        f"    server 127.0.0.1:{upstream} max_fails=3 fail_timeout=10s;" for upstream in upstreams
    )
    block = _UPSTREAM.search(http)
    if block is None:
        raise ValueError("deploy/nginx.conf has no `upstream lagesbild` block")
    kept = [
        line
        for line in block.group(2).splitlines()
        if not line.strip().startswith(("server ", "zone "))
    ]
    http = http.replace(block.group(0), block.group(1) + servers + "\n" + "\n".join(kept) + "\n}")
    http = re.sub(r"listen 8080;", f"listen 127.0.0.1:{port};", http)
    http = re.sub(r"access_log \S+ ", f"access_log {prefix}/access.log ", http)
    if f"listen 127.0.0.1:{port};" not in http or str(prefix) not in http:
        raise ValueError("deploy/nginx.conf no longer has `listen 8080;` and an access_log")
    return f"""# Generated from deploy/nginx.conf for a run under {prefix}.
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 16384;
}}
http {{
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{http}
}}
"""


class Nginx:
    """nginx in the foreground as a child, with its own prefix."""

    def __init__(self, prefix: Path, *, upstreams: Sequence[int], port: int) -> None:
        self.prefix = prefix
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.prefix.chmod(0o755)  # worker processes (nobody, when started as root) write here
        self.port = port
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(
            render(SNIPPET.read_text(), upstreams=upstreams, port=port, prefix=prefix)
        )
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _command(self, *extra: str) -> list[str]:
        return [
            NGINX,
            "-p",
            str(self.prefix),
            "-e",
            str(self.prefix / "error.log"),
            "-c",
            str(self.conf),
            *extra,
        ]

    async def check(self) -> str:
        """`nginx -t` on the configuration; its output (raises if it is refused)."""
        process = await asyncio.create_subprocess_exec(
            *self._command("-t"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await process.communicate()
        text = out.decode(errors="replace")
        if process.returncode != 0:
            raise RuntimeError(f"nginx refused {self.conf}:\n{text}")
        return text

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self._command(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if self.process.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start:\n{self.errors()}") from None
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            return

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)  # fast: open WebSockets would hold SIGQUIT
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def errors(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""
