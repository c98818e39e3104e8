"""`lagesbild serve --workers 2` for real: two processes LISTENing on one port, each a
whole instance, a report reaching viewers on either, /metrics reporting both, and one
SIGTERM stopping both.

Which process holds a socket is read from the kernel (/proc/net/tcp and each process's
open file descriptors), not asked of the service.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from service.demo.ports import free_port
from tests.stream.test_stream import VIEWER, topic_of, varied_report
from tests.stream.wsclient import StreamClient, Streams
from tests.support import Api
from tests.test_terminal import ROOT, environment

TIMEOUT = 60.0
LISTEN, ESTABLISHED = "0A", "01"


def _tcp_sockets() -> dict[int, tuple[int, int, str]]:
    """inode → (local port, remote port, state) of every IPv4 TCP socket."""
    found: dict[int, tuple[int, int, str]] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        found[inode] = (int(local.split(":")[1], 16), int(remote.split(":")[1], 16), state)
    return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def _workers_listening(parent: int, port: int) -> list[int]:
    """The parent's children that hold a LISTEN socket on `port`."""
    tcp = _tcp_sockets()
    return [
        child
        for child in _children(parent)
        if any(tcp.get(inode, (0, 0, ""))[::2] == (port, LISTEN) for inode in _socket_inodes(child))
    ]


def _server_of(workers: list[int], port: int, client_port: int) -> int | None:
    """Which worker holds the server side of the connection from `client_port`."""
    tcp = _tcp_sockets()
    for worker in workers:
        for inode in _socket_inodes(worker):
            if tcp.get(inode) == (port, client_port, ESTABLISHED):
                return worker
    return None


async def _scraped(port: int, name: str, times: int = 8) -> list[float]:
    """`name` summed over its samples in `times` scrapes of /metrics, each on a new
    connection, so the kernel hands them to either worker."""
    values = []
    for _ in range(times):
        connector = aiohttp.TCPConnector(force_close=True)
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            text = await response.text()
        values.append(
            sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith(name) and line[len(name)] in " {"
            )
        )
    return values


def _client_port(viewer: StreamClient) -> int:
    sockname = viewer.ws.get_extra_info("sockname")
    assert sockname is not None
    return int(sockname[1])


@pytest.mark.timeout(TIMEOUT + 60)
async def test_serve_with_two_workers_serves_from_both_and_a_report_reaches_viewers_on_each(
    dsn: str, tmp_path: Path
) -> None:
    port = free_port()
    env = environment(
        dsn,
        tmp_path,
        port,
        LAGESBILD_LOG_LEVEL="warning",
        LAGESBILD_STREAM_MAX_SOCKETS_PER_USER="100",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "serve",
        "--workers",
        "2",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(TIMEOUT):
            served = (await process.stdout.readline()).decode()
        assert served.startswith(f"Lägesbild serves on http://127.0.0.1:{port} with 2 workers")
        workers = _workers_listening(process.pid, port)
        assert len(workers) == 2, workers  # both LISTEN on the one port

        async with Api(f"http://127.0.0.1:{port}", dsn) as api, Streams(api) as streams:
            incident = await api.activate()
            topic = topic_of(incident)
            # Viewers until both workers hold some (the kernel spreads new connections).
            by_worker: dict[int, list[StreamClient]] = {worker: [] for worker in workers}
            for _ in range(60):
                viewer = await streams.open(*VIEWER)
                await viewer.subscribe(topic)
                assert (await viewer.expect("snapshot", topic))["seq"] == incident["seq"]
                holder = _server_of(workers, port, _client_port(viewer))
                assert holder in by_worker
                by_worker[holder].append(viewer)
                if all(by_worker.values()):
                    break
            assert all(by_worker.values()), {w: len(v) for w, v in by_worker.items()}

            # Reports posted through whichever worker the kernel picks reach everyone.
            for index in range(4):
                reply = await api.submit(incident["id"], varied_report(index))
                assert reply.status == 201, reply.body
            for viewers in by_worker.values():
                for viewer in viewers:
                    seqs = [frame["seq"] for frame in await viewer.events(4, topic)]
                    assert seqs == list(range(incident["seq"] + 1, incident["seq"] + 5))

            # /metrics reports the instance, whichever worker takes the scrape.
            everyone = [viewer for viewers in by_worker.values() for viewer in viewers]
            assert await _scraped(port, "lagesbild_stream_connections") == [len(everyone)] * 8
            assert await _scraped(port, "lagesbild_reports_submitted_total") == [4.0] * 8

            # One SIGTERM to the parent: every worker closes its streams with 1001. The
            # viewers read at once, as real ones do: a server that waits in vain for a
            # close reply cuts the socket after its send timeout.
            process.send_signal(signal.SIGTERM)
            codes = await asyncio.gather(*(viewer.close_code() for viewer in everyone))
            assert codes == [1001] * len(everyone)
        async with asyncio.timeout(TIMEOUT):
            assert await process.wait() == 0
        assert not [pid for pid in workers if os.path.exists(f"/proc/{pid}")]  # noqa: ASYNC240
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
