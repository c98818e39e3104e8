"""Fan-out against nchan: one message to V WebSocket viewers, Lägesbild beside nginx.

Both servers run on core 0 (`taskset -c 0`); the viewers are one compiled epoll client
(bench/wsload.c, built by this bench into a temporary folder) on core 1, the same for
both servers, so the figures are the servers' and not the viewers'. nginx is Debian's
with `libnginx-mod-nchan` (installed when missing), one worker process; Lägesbild is
`lagesbild serve --workers 1` on this bench's embedded PostgreSQL.

For each V (1,000 and 5,000; --quick 200 and 1,000), each server in turn:

- **publish → all have it**: M = 100 messages, one after another (the next once every
  viewer has the last). Lägesbild publishes by `POST …/reports` (a report about 4 KB
  as a frame: the path a report really takes, database, NOTIFY, fold, fan-out); nchan
  by `POST /pub` of a message of the same size. From just before the POST is sent until
  the last viewer has the frame, p50 and p99 over the M messages.
- **first → last viewer**: the spread of one message over the viewers, the fan-out
  alone without the publish.
- **server CPU per delivery**: the server processes' CPU time (/proc/PID/task/*/schedstat,
  in ns where utime+stime count 10 ms ticks) over the M messages, divided by M × V.

Then the most viewers each holds with p99 ≤ 1 s (13,500 tried first; --quick 2,000),
end to end for Lägesbild (POST answered → every one of 1,000 viewers has it, at 100
reports/s), and the server's memory per idle, subscribed viewer (2,000 viewers; the app
in this process so tracemalloc can count its heap, and VmRSS).

Every viewer must get every message, in order, or the round says how many did not: a
fan-out that loses frames is not fast. Figures from a shared, busy machine: read the
ratios, measured in the same run. Without --quick the tables are also written into
docs/benchmarks.md (its section "Fan-out against nchan"), with the machine and date.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gc
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.common import (
    BOARD,
    COUNTY,
    Postgres,
    Summary,
    activate,
    bearer,
    bench_settings,
    kib,
    machine,
    ms,
    municipalities,
    ratio,
    report_body,
    rss_bytes,
    running_app,
    summarise,
    us,
)
from bench.common import make_tokens as _make_tokens
from schemas.common import Role
from service.access.tokens import create_token
from service.demo.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
CLIENT_SOURCE = Path(__file__).with_name("wsload.c")
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- fanout-nchan:begin -->", "<!-- fanout-nchan:end -->"

VIEWERS, QUICK_VIEWERS = (1_000, 5_000), (200, 1_000)
# p99 over 30 messages was the slowest one or two, and moved ×1.5 between runs.
MESSAGES, QUICK_MESSAGES = 100, 10
MOST, QUICK_MOST = (13_500, 9_000), (2_000,)
HELD_P99 = 1.0
HELD_MESSAGES = 15  # per try of the most viewers held
E2E_VIEWERS, QUICK_E2E_VIEWERS = 1_000, 200
E2E_RATE = 100.0
E2E_SECONDS, QUICK_E2E_SECONDS = 10.0, 3.0
MEMORY_VIEWERS, QUICK_MEMORY_VIEWERS = 2_000, 500
FRAME_BYTES = 4_096  # the message size both servers send
READY_TIMEOUT = 600.0
MESSAGE_TIMEOUT = 30.0
SERVER_CORE, CLIENT_CORE = "0", "1"
SEED = 6455
VIEWER_TOKENS = 500


# --- the viewers --------------------------------------------------------------------------


def build_client(folder: Path) -> Path:
    binary = folder / "wsload"
    subprocess.run(
        ["gcc", "-O2", "-o", str(binary), str(CLIENT_SOURCE)],
        check=True,
    )
    return binary


@dataclass
class Arrival:
    first: int  # ns, CLOCK_MONOTONIC
    last: int
    median: int


@dataclass
class Viewers:
    """The compiled client's process and what it says (see bench/wsload.c)."""

    process: asyncio.subprocess.Process
    arrivals: dict[int, Arrival] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ready: tuple[int, int] | None = None
    end: dict[str, int] | None = None
    reader: asyncio.Task[None] | None = None

    @classmethod
    async def start(
        cls,
        binary: Path,
        port: int,
        path: str,
        count: int,
        messages: int,
        *,
        headers: tuple[str, ...] = (),
        headers_file: Path | None = None,
        subscribe: str | None = None,
        first: bool = False,
    ) -> Viewers:
        args = [str(binary), "127.0.0.1", str(port), path, str(count), str(messages)]
        for header in headers:
            args += ["--header", header]
        if headers_file is not None:
            args += ["--headers-file", str(headers_file)]
        if subscribe is not None:
            args += ["--subscribe", subscribe]
        if first:
            args.append("--first")
        process = await asyncio.create_subprocess_exec(
            "taskset",
            "-c",
            CLIENT_CORE,
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        viewers = cls(process)
        viewers.reader = asyncio.create_task(viewers._read())
        return viewers

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            word, *values = raw.decode().split()
            numbers = [int(value) for value in values]
            if word == "ready":
                self.ready = (numbers[0], numbers[1])
            elif word == "done":
                self.arrivals[numbers[0]] = Arrival(numbers[1], numbers[2], numbers[3])
            elif word == "end":
                keys = ("frames", "bytes", "out_of_order", "closed", "pings")
                self.end = dict(zip(keys, numbers, strict=True))
            self.changed.set()

    async def until(self, seen: Callable[[], bool], seconds: float) -> bool:
        try:
            async with asyncio.timeout(seconds):
                while not seen():
                    self.changed.clear()
                    if self.process.returncode is not None:
                        return seen()
                    await self.changed.wait()
        except TimeoutError:
            return False
        return True

    async def connected(self) -> tuple[int, int]:
        """(connected, failed) once every connection is made or has failed; (0, -1) when
        that took longer than READY_TIMEOUT (the round then counts as not held)."""
        if not await self.until(lambda: self.ready is not None, READY_TIMEOUT):
            print(f"the viewers did not all connect within {READY_TIMEOUT:.0f} s", flush=True)
            return 0, -1
        assert self.ready is not None
        return self.ready

    async def finish(self) -> dict[str, int]:
        assert self.process.stdin is not None
        with contextlib.suppress(ConnectionError):
            self.process.stdin.write(b"quit\n")
            await self.process.stdin.drain()
        await self.until(lambda: self.end is not None, 30)
        try:
            async with asyncio.timeout(30):
                await self.process.wait()
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        if self.reader is not None:
            await self.reader
        return self.end or {}


# --- the servers --------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    """CPU time of `pids` and their threads so far, from /proc/PID/task/*/schedstat
    (nanoseconds; utime+stime in /proc/PID/stat count whole 10 ms ticks only)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):
                    total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


def rss_of(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


class Server:
    name: str
    port: int
    pids: list[int]
    path: str

    async def round(self, viewers: int) -> tuple[dict[str, Any], str | None, bool]:
        """(client options, topic or channel, whether a first frame comes) for a round."""
        raise NotImplementedError

    async def publish(self, key: str, number: int) -> None:
        raise NotImplementedError


NGINX_CONF = """
load_module {module};
worker_processes 1;
worker_rlimit_nofile 40000;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 32000; use epoll; multi_accept on; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 1m;
    client_body_buffer_size 64k;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location = /sub {{
            nchan_subscriber websocket;
            nchan_channel_id $arg_id;
            nchan_subscriber_first_message newest;
        }}
        location = /pub {{
            nchan_publisher http;
            nchan_channel_id $arg_id;
            nchan_message_buffer_length 50;
        }}
    }}
}}
"""


def ensure_nchan() -> Path:
    module = Path("/usr/lib/nginx/modules/ngx_nchan_module.so")
    if not module.exists() or shutil.which("nginx") is None:
        print("installing nginx and libnginx-mod-nchan (apt-get)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx", "libnginx-mod-nchan"],
            check=True,
            env=env,
        )
    return module


class Nchan(Server):
    name = "nchan"
    path = "/sub"

    def __init__(self, folder: Path, session: aiohttp.ClientSession, size: int) -> None:
        self.folder = folder
        self.session = session
        self.port = free_port()
        self.size = size
        self.process: asyncio.subprocess.Process | None = None
        self.pids: list[int] = []
        self._rounds = 0

    async def start(self) -> None:
        module = ensure_nchan()
        conf = self.folder / "nginx.conf"
        conf.write_text(NGINX_CONF.format(module=module, folder=self.folder, port=self.port))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = await asyncio.create_subprocess_exec(
            *("taskset", "-c", SERVER_CORE, nginx, "-p", str(self.folder), "-c", str(conf)),
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(100):
            with contextlib.suppress(aiohttp.ClientError):
                async with self.session.get(f"http://127.0.0.1:{self.port}/pub?id=up") as reply:
                    await reply.read()
                    break
            await asyncio.sleep(0.1)
        else:
            raise SystemExit(f"nginx did not start: {(self.folder / 'error.log').read_text()}")
        self.pids = [self.process.pid, *children_of(self.process.pid)]

    async def round(self, viewers: int) -> tuple[dict[str, Any], str | None, bool]:
        self._rounds += 1
        channel = f"round{self._rounds}"
        self.path = f"/sub?id={channel}"
        return {}, channel, False

    async def publish(self, key: str, number: int) -> None:
        head = f'{{"type":"event","topic":"{key}","seq":{number},"situation":"B#{number}# '
        body = head + "x" * max(0, self.size - len(head) - 3) + '"}'
        async with self.session.post(
            f"http://127.0.0.1:{self.port}/pub?id={key}",
            data=body.encode(),
            headers={"Content-Type": "application/json"},  # a text frame, as Lägesbild's
        ) as reply:
            await reply.read()
            if reply.status not in (201, 202):
                raise SystemExit(f"nchan refused a message: {reply.status}")

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(10):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class Lagesbild(Server):
    name = "Lägesbild"
    path = "/api/v1/stream"

    def __init__(
        self,
        dsn: str,
        folder: Path,
        session: aiohttp.ClientSession,
        tokens: dict[tuple[str, Role], str],
        codes: list[str],
        filler: int,
        viewer_tokens: Path,
    ) -> None:
        self.viewer_tokens = viewer_tokens
        self.dsn = dsn
        self.folder = folder
        self.session = session
        self.tokens = tokens
        self.codes = codes
        self.filler = filler
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        self.pids: list[int] = []
        self.rng = random.Random(SEED)
        self.incident: dict[str, Any] = {}

    async def start(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LAGESBILD_")}
        env.update(
            DATABASE_URL=self.dsn,
            LAGESBILD_DATA_DIR=str(self.folder),
            LAGESBILD_HOST="127.0.0.1",
            LAGESBILD_PORT=str(self.port),
            LAGESBILD_LOG_LEVEL="warning",
            LAGESBILD_STREAM_MAX_SOCKETS_PER_USER="40000",
            LAGESBILD_API_RATE_PER_SECOND="1000000",
            LAGESBILD_API_RATE_BURST="1000000000",
            PYTHONPATH=str(ROOT),
        )
        env.pop("DATABASE_SERVICE_URL", None)
        self.process = await asyncio.create_subprocess_exec(
            "taskset",
            "-c",
            SERVER_CORE,
            sys.executable,
            "-m",
            "service",
            "serve",
            "--workers",
            "1",
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self.process.stdout is not None
        async with asyncio.timeout(120):
            line = (await self.process.stdout.readline()).decode()
        if "serves on" not in line:
            raise SystemExit(f"Lägesbild did not start: {line!r}")
        self.pids = [self.process.pid]

    async def round(self, viewers: int) -> tuple[dict[str, Any], str | None, bool]:
        self.incident = await activate(
            self.session, self.base, self.tokens[(BOARD, "duty_officer")], self.codes
        )
        topic = f"incident:{self.incident['id']}"
        options = {
            "headers_file": self.viewer_tokens,
            "subscribe": json.dumps({"type": "subscribe", "topic": topic}),
        }
        return options, topic, True

    async def publish(self, key: str, number: int) -> None:
        await self.post(number)

    async def post(self, number: int) -> int:
        """Submit report `number`; the monotonic ns when it was answered."""
        body = report_body(self.rng, self.codes[number % len(self.codes)])
        body["situation"] = f"B#{number}# " + "Stormen har fällt träd. " * self.filler
        url = f"{self.base}/api/v1/incidents/{self.incident['id']}/reports"
        headers = bearer(self.tokens[(body["organisation"], "reporter")])
        async with self.session.post(url, json=body, headers=headers) as reply:
            answer = await reply.read()
            answered = time.monotonic_ns()
            if reply.status != 201:
                raise SystemExit(f"a report was answered {reply.status}: {answer[:300]!r}")
        return answered

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


# --- rounds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    server: str
    viewers: int
    connected: int
    publish_to_all: Summary  # seconds
    spread: Summary  # first → last viewer, seconds
    cpu_per_delivery: float  # seconds
    frame_bytes: float
    complete: int  # messages every viewer got
    messages: int
    out_of_order: int
    closed: int
    rss_per_viewer: float  # the server processes' VmRSS growth while the viewers connected

    @property
    def held(self) -> bool:
        return (
            self.connected == self.viewers
            and self.complete == self.messages
            and self.closed == 0
            and self.out_of_order == 0
            and self.publish_to_all.p99 <= HELD_P99
        )

    @property
    def problems(self) -> str:
        found = []
        if self.connected != self.viewers:
            found.append(f"{self.viewers - self.connected} viewers did not connect")
        if self.complete != self.messages:
            found.append(f"{self.messages - self.complete} messages did not reach everyone")
        if self.closed:
            found.append(f"{self.closed} sockets closed")
        if self.out_of_order:
            found.append(f"{self.out_of_order} frames out of order")
        return "; ".join(found)


def _has(client: Viewers, number: int) -> Callable[[], bool]:
    return lambda: number in client.arrivals


async def one_round(binary: Path, server: Server, viewers: int, messages: int) -> Round:
    options, key, first = await server.round(viewers)
    assert key is not None
    rss_before = rss_of(server.pids)
    client = await Viewers.start(
        binary, server.port, server.path, viewers, messages, first=first, **options
    )
    try:
        connected, _failed = await client.connected()
        await asyncio.sleep(1.0)  # let the connection burst settle
        rss_connected = rss_of(server.pids) - rss_before
        cpu_before = cpu_seconds(server.pids)
        to_all: list[float] = []
        spread: list[float] = []
        for number in range(messages if connected else 0):
            sent = time.monotonic_ns()
            await server.publish(key, number)
            if not await client.until(_has(client, number), MESSAGE_TIMEOUT):
                break
            arrival = client.arrivals[number]
            to_all.append((arrival.last - sent) / 1e9)
            spread.append((arrival.last - arrival.first) / 1e9)
            await asyncio.sleep(0.02)
        cpu = cpu_seconds(server.pids) - cpu_before
    finally:
        end = await client.finish()
    frames = max(1, end.get("frames", 0))
    outcome = Round(
        server=server.name,
        viewers=viewers,
        connected=connected,
        publish_to_all=summarise(to_all),
        spread=summarise(spread),
        cpu_per_delivery=cpu / max(1, len(to_all) * connected),
        frame_bytes=end.get("bytes", 0) / frames,
        complete=len(to_all),
        messages=messages,
        out_of_order=end.get("out_of_order", 0),
        closed=end.get("closed", 0),
        rss_per_viewer=rss_connected / max(1, connected),
    )
    verdict = "all delivered, in order" if not outcome.problems else outcome.problems
    print(
        f"{server.name}, {viewers} viewers: {verdict}; p99 {ms(outcome.publish_to_all.p99)}",
        flush=True,
    )
    return outcome


async def end_to_end(binary: Path, server: Lagesbild, viewers: int, seconds: float) -> Summary:
    """POST answered → every viewer has it, reports at E2E_RATE per second."""
    total = int(E2E_RATE * seconds)
    options, _topic, first = await server.round(viewers)
    client = await Viewers.start(
        binary, server.port, server.path, viewers, total, first=first, **options
    )
    answered: dict[int, int] = {}
    try:
        await client.connected()
        await asyncio.sleep(1.0)
        began = time.monotonic()
        posts = []

        async def post(number: int) -> None:
            answered[number] = await server.post(number)

        for number in range(total):
            await asyncio.sleep(max(0.0, began + number / E2E_RATE - time.monotonic()))
            posts.append(asyncio.create_task(post(number)))
        await asyncio.gather(*posts)
        await client.until(lambda: len(client.arrivals) == total, MESSAGE_TIMEOUT)
    finally:
        await client.finish()
    lost = total - len(client.arrivals)
    if lost:
        print(f"end to end: {lost} of {total} reports did not reach every viewer", flush=True)
    return summarise(
        [(client.arrivals[n].last - answered[n]) / 1e9 for n in answered if n in client.arrivals]
    )


@dataclass(frozen=True)
class Memory:
    viewers: int
    heap: float  # bytes per viewer, tracemalloc
    rss: float  # bytes per viewer, VmRSS


async def memory_per_viewer(
    binary: Path,
    dsn: str,
    tokens: dict[tuple[str, Role], str],
    codes: list[str],
    viewers: int,
    viewer_tokens: Path,
) -> Memory:
    """The app in this process; `viewers` idle, subscribed viewers from the C client,
    twice: first for VmRSS (without tracemalloc, whose own records would count), then
    for the Python heap (tracemalloc)."""
    settings = bench_settings().replace(stream_max_sockets_per_user=40_000)
    async with running_app(dsn, settings) as base, aiohttp.ClientSession() as session:
        incident = await activate(session, base, tokens[(BOARD, "duty_officer")], codes)
        topic = f"incident:{incident['id']}"
        port = int(base.rsplit(":", 1)[1])
        options: dict[str, Any] = {
            "headers_file": viewer_tokens,
            "subscribe": json.dumps({"type": "subscribe", "topic": topic}),
            "first": True,
        }
        # One socket first, so the feed and the code paths are loaded before counting.
        warm = await Viewers.start(binary, port, "/api/v1/stream", 1, 1, **options)
        await warm.connected()
        try:
            gc.collect()
            rss_before = rss_bytes()
            client = await Viewers.start(binary, port, "/api/v1/stream", viewers, 1, **options)
            try:
                connected, _ = await client.connected()
                await asyncio.sleep(1.0)
                gc.collect()
                rss = rss_bytes() - rss_before
            finally:
                await client.finish()
            await asyncio.sleep(1.0)  # the server closes its side
            gc.collect()
            tracemalloc.start()
            heap_before = tracemalloc.get_traced_memory()[0]
            client = await Viewers.start(binary, port, "/api/v1/stream", viewers, 1, **options)
            try:
                traced, _ = await client.connected()
                await asyncio.sleep(1.0)
                gc.collect()
                heap = tracemalloc.get_traced_memory()[0] - heap_before
            finally:
                tracemalloc.stop()
                await client.finish()
        finally:
            await warm.finish()
    return Memory(connected, heap / max(1, traced), rss / max(1, connected))


# --- the run ------------------------------------------------------------------------------


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _viewer_tokens(dsn: str, folder: Path) -> Path:
    """VIEWER_TOKENS viewer tokens of the county board, one `Authorization` header a line:
    the viewers are many people, as they would be, not one token with thousands of
    sockets (whose opens the per-user limit takes one at a time)."""
    conn = await asyncpg.connect(dsn)
    try:
        found = [
            await create_token(conn, organisation=BOARD, role="viewer", name=f"bench viewer {n}")
            for n in range(VIEWER_TOKENS)
        ]
    finally:
        await conn.close()
    path = folder / "viewers.txt"
    path.write_text("".join(f"Authorization: Bearer {token}\n" for token in found))
    return path


async def calibrate(binary: Path, server: Lagesbild) -> float:
    """The frame size of a report with the current filler (a small warm-up round too)."""
    outcome = await one_round(binary, server, 10, 3)
    return outcome.frame_bytes


async def run(pg: Postgres, *, quick: bool) -> None:
    _raise_open_files()
    counts = QUICK_VIEWERS if quick else VIEWERS
    messages = QUICK_MESSAGES if quick else MESSAGES
    dsn = await pg.new_database("bench_nchan")
    codes = [code for code, _name in municipalities(COUNTY)]
    wanted: list[tuple[str, Role]] = [(BOARD, "duty_officer"), (BOARD, "viewer")]
    wanted += [(code, "reporter") for code in codes]
    tokens = await _make_tokens(dsn, wanted)
    print(f"\n## nchan: fan-out to V viewers, Lägesbild beside nginx + nchan, {messages} messages")
    folder = Path(tempfile.mkdtemp(prefix="lagesbild-nchan-"))
    results: dict[tuple[str, int], Round] = {}
    held: dict[str, Round | None] = {}
    try:
        binary = build_client(folder)
        async with contextlib.AsyncExitStack() as stack:
            session = await stack.enter_async_context(
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=64))
            )
            viewer_tokens = await _viewer_tokens(dsn, folder)
            lagesbild = Lagesbild(dsn, folder, session, tokens, codes, 60, viewer_tokens)
            await lagesbild.start()
            stack.push_async_callback(lagesbild.stop)
            # Make Lägesbild's event frame about FRAME_BYTES (a line through two sizes),
            # then nchan's message as long as what it came to.
            small = await calibrate(binary, lagesbild)
            lagesbild.filler = 120
            large = await calibrate(binary, lagesbild)
            slope = (large - small) / 60
            lagesbild.filler = max(1, round(60 + (FRAME_BYTES - small) / slope))
            size = await calibrate(binary, lagesbild)
            print(f"a report's frame is {size:.0f} bytes; nchan's message is made as long")
            nchan = Nchan(folder, session, int(size))
            await nchan.start()
            stack.push_async_callback(nchan.stop)
            servers: list[Server] = [nchan, lagesbild]
            for viewers in counts:
                for server in servers:
                    results[(server.name, viewers)] = await one_round(
                        binary, server, viewers, messages
                    )
            for server in servers:
                held[server.name] = None
                for viewers in QUICK_MOST if quick else MOST:
                    attempt = await one_round(binary, server, viewers, HELD_MESSAGES)
                    if attempt.held:
                        held[server.name] = attempt
                        break
            e2e = await end_to_end(
                binary,
                lagesbild,
                QUICK_E2E_VIEWERS if quick else E2E_VIEWERS,
                QUICK_E2E_SECONDS if quick else E2E_SECONDS,
            )
        memory = await memory_per_viewer(
            binary,
            dsn,
            tokens,
            codes,
            QUICK_MEMORY_VIEWERS if quick else MEMORY_VIEWERS,
            viewer_tokens,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    text = _tables(counts, results, held, e2e, memory, quick=quick)
    print(text, flush=True)
    if not quick:
        _write_doc(text)


def _tables(
    counts: tuple[int, ...],
    results: dict[tuple[str, int], Round],
    held: dict[str, Round | None],
    e2e: Summary,
    memory: Memory,
    *,
    quick: bool,
) -> str:
    lines: list[str] = []

    def table(title: str, headers: list[str], rows: list[list[str]]) -> None:
        widths = [max(len(c) for c in column) for column in zip(headers, *rows, strict=True)]

        def line(cells: list[str]) -> str:
            first, *rest = cells
            cells_out = [first.ljust(widths[0])]
            cells_out += [c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)]
            return "| " + " | ".join(cells_out) + " |"

        lines.extend(["", title, "", line(headers)])
        lines.append(
            "|"
            + "|".join([":" + "-" * (widths[0] + 1)] + ["-" * (w + 1) + ":" for w in widths[1:]])
            + "|"
        )
        lines.extend(line(row) for row in rows)

    headers = ["figure"]
    for viewers in counts:
        headers += [f"nchan V={viewers} (baseline)", f"Lägesbild V={viewers}", "×"]
    figures: list[tuple[str, Callable[[Round], float], Callable[[float], str]]] = [
        ("publish → all have it, p50", lambda r: r.publish_to_all.p50, ms),
        ("publish → all have it, p99", lambda r: r.publish_to_all.p99, ms),
        ("first → last viewer, p50", lambda r: r.spread.p50, ms),
        ("first → last viewer, p99", lambda r: r.spread.p99, ms),
        ("server CPU per delivery", lambda r: r.cpu_per_delivery, us),
        ("server RSS growth per viewer (connect)", lambda r: r.rss_per_viewer, kib),
        ("frame size", lambda r: r.frame_bytes, lambda b: f"{b:.0f} B"),
    ]
    rows = []
    for name, value, show in figures:
        row = [name]
        for viewers in counts:
            base, ours = results[("nchan", viewers)], results[("Lägesbild", viewers)]
            row += [show(value(base)), show(value(ours)), ratio(value(ours), value(base))]
        rows.append(row)
    table("Fan-out, one message at a time (server on core 0, C client on core 1)", headers, rows)

    def most(found: Round | None) -> str:
        if found is None:
            return "below the smallest tried"
        return f"{found.viewers:,} (p99 {ms(found.publish_to_all.p99)})".replace(",", " ")

    tried = ", ".join(map(str, QUICK_MOST if quick else MOST))
    table(
        f"Most viewers held with p99 ≤ {HELD_P99:.0f} s (tried {tried})",
        ["server", "viewers held"],
        [["nchan", most(held.get("nchan"))], ["Lägesbild", most(held.get("Lägesbild"))]],
    )
    table(
        f"End to end, Lägesbild: POST answered → every viewer has it, {E2E_RATE:.0f} reports/s",
        ["figure", "value"],
        [["p50", ms(e2e.p50)], ["p99", ms(e2e.p99)], ["reports", str(e2e.count)]],
    )
    table(
        f"Memory per idle, subscribed viewer ({memory.viewers} viewers, "
        "server in the bench process)",
        ["figure", "per viewer"],
        [["Python heap (tracemalloc)", kib(memory.heap)], ["VmRSS growth", kib(memory.rss)]],
    )
    goals = _goals(counts, results, held, e2e, memory)
    lines += ["", *goals]
    return "\n".join(lines)


def _goals(
    counts: tuple[int, ...],
    results: dict[tuple[str, int], Round],
    held: dict[str, Round | None],
    e2e: Summary,
    memory: Memory,
) -> list[str]:
    def met(ok: bool) -> str:
        return "met" if ok else "NOT met"

    out = []
    limits = {1_000: 1.2, 5_000: 1.5}
    for viewers in counts:
        limit = limits.get(viewers)
        if limit is None:
            continue
        base, ours = results[("nchan", viewers)], results[("Lägesbild", viewers)]
        factor = ours.publish_to_all.p99 / base.publish_to_all.p99
        out.append(f"- p99 ≤ {limit}× nchan at {viewers}: ×{factor:.2f}, {met(factor <= limit)}")
    cpu = [
        results[("Lägesbild", v)].cpu_per_delivery / results[("nchan", v)].cpu_per_delivery
        for v in counts
        if results[("nchan", v)].cpu_per_delivery > 0
    ]
    if cpu:
        out.append(
            f"- CPU per delivery ≤ 1.5× nchan: ×{max(cpu):.2f} at worst, {met(max(cpu) <= 1.5)}"
        )
    most = held.get("Lägesbild")
    out.append(f"- 13 500 viewers held: {met(most is not None and most.viewers >= 13_500)}")
    out.append(f"- end to end p99 ≤ 50 ms: {ms(e2e.p99)}, {met(e2e.p99 <= 0.050)}")
    out.append(
        f"- memory per idle viewer ≤ 30 KB: heap {kib(memory.heap)}, RSS {kib(memory.rss)}, "
        f"{met(max(memory.heap, memory.rss) <= 30_000)}"
    )
    return out


def _write_doc(text: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    one, five, _ = os.getloadavg()
    measured = (
        f"Measured {stamp} on {machine()}; load average at the end {one:.2f} (1 min), "
        f"{five:.2f} (5 min), the bench's own work included."
    )
    section = f"{BEGIN}\n{measured}\n{text}\n{END}"
    current = DOC.read_text()
    if BEGIN in current and END in current:
        current = re.sub(
            re.escape(BEGIN) + ".*?" + re.escape(END), lambda _m: section, current, flags=re.S
        )
    else:
        current = (
            current.rstrip("\n")
            + "\n\n## Fan-out against nchan (`python -m bench nchan`)\n\n"
            + section
            + "\n"
        )
    DOC.write_text(current)
    print(f"written into {DOC.relative_to(ROOT)}")
