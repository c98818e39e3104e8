"""What a person sees in the terminal, and what a service without one logs.

`lagesbild demo` and `lagesbild serve` run for real in a child process, on a pseudo-
terminal (as `make run` in a terminal) or on pipes (as under systemd or in a container).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from service.demo.county import DEMO_USERS
from service.demo.ports import free_port

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120.0  # the demo builds a day of an exercise first
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# structlog's ConsoleRenderer: `2026-11-22 13:00:00 [info     ] hub.started   incidents=1`
CONSOLE_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[(\w+)\s*\] (\S+)")
SERVES_ON = re.compile(r"^Lägesbild serves on (\S+)", re.MULTILINE)


def environment(database_url: str, data_dir: Path, port: int, **extra: str) -> dict[str, str]:
    """The environment of a person's shell, pointed at the test's database and a free port."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LAGESBILD_") and key not in ("DATABASE_URL", "NO_COLOR", "TERM")
    }
    env.update(
        DATABASE_URL=database_url,
        LAGESBILD_DATA_DIR=str(data_dir),
        LAGESBILD_HOST="127.0.0.1",
        LAGESBILD_PORT=str(port),
        PYTHONPATH=str(ROOT),
        PYTHONIOENCODING="utf-8",
    )
    env.update(extra)
    return env


@dataclass
class Terminal:
    """A child on a pseudo-terminal: everything it writes to stdout and stderr, in order."""

    process: asyncio.subprocess.Process
    master: int
    raw: bytearray = field(default_factory=bytearray)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False

    def read(self) -> None:
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed its side
            chunk = b""
        if not chunk:
            self.ended = True
            asyncio.get_running_loop().remove_reader(self.master)
        self.raw += chunk
        self.changed.set()

    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace").replace("\r\n", "\n")

    async def until(self, seen: Callable[[str], bool]) -> str:
        while not seen(self.text()):
            if self.ended:
                raise AssertionError(f"the command ended first:\n{self.text()}")
            self.changed.clear()
            await self.changed.wait()
        return self.text()


@contextlib.asynccontextmanager
async def on_a_terminal(*args: str, env: dict[str, str]) -> AsyncIterator[Terminal]:
    """`python -m service ARGS` with a pseudo-terminal as stdin, stdout and stderr;
    stopped with Ctrl+C (SIGINT) afterwards."""
    master, slave = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        *args,
        cwd=ROOT,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    terminal = Terminal(process, master)
    loop = asyncio.get_running_loop()
    loop.add_reader(master, terminal.read)
    try:
        async with asyncio.timeout(TIMEOUT):
            yield terminal
    finally:
        await stop(process)
        if not terminal.ended:
            loop.remove_reader(master)
        os.close(master)


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
        try:
            await asyncio.wait_for(process.wait(), TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()


def console_lines(text: str) -> list[tuple[str, str]]:
    """(level, event) of every log line in console format."""
    found = []
    for line in ANSI.sub("", text).splitlines():
        match = CONSOLE_LINE.match(line)
        if match:
            found.append((match[1], match[2]))
    return found


@pytest.mark.timeout(TIMEOUT + 30)
async def test_demo_on_a_terminal_logs_readable_lines_and_ends_with_the_url_and_demo_users(
    dsn: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = environment(dsn, tmp_path, port, TERM="xterm-256color")
    async with on_a_terminal("demo", env=env) as terminal:
        text = await terminal.until(lambda seen: SERVES_ON.search(ANSI.sub("", seen)) is not None)
        assert "\x1b[" in text  # a terminal that shows colours gets them
        lines = ANSI.sub("", text).rstrip("\n").split("\n")
        assert lines[-1] == f"Lägesbild serves on {url}  (Ctrl+C stops it)"
        start = next(i for i, line in enumerate(lines) if line.startswith("Demo: the exercise"))
        before, block = lines[:start], lines[start:]

        logged = [event for _level, event in console_lines("\n".join(before))]
        assert {"demo.created", "hub.started", "wis.subscribed"} <= set(logged)
        # The demo sends its history to the fresh mock node at start; the closing lines
        # wait until that has gone out, so they are not scrolled away under it.
        assert "outbox.delivered" in logged
        assert not any(line.lstrip().startswith("{") for line in before)  # no JSON lines
        assert console_lines("\n".join(block)) == []  # nothing cuts into the block
        assert f"Demo: log in at {url}/ as one of these (also in {tmp_path}/demo-users.txt):" in (
            block
        )
        for email, organisation, role, name in DEMO_USERS:
            assert any(
                line.startswith(f"  {email}  ") and f"{name} ({organisation}, {role})" in line
                for line in block
            ), (email, block)
        assert any(line.startswith("Demo: a mock WIS node runs on http://") for line in block)
        assert any(line.startswith("Demo: reminders go to a local mail sink") for line in block)


@pytest.mark.parametrize(
    ("setting", "readable"),
    [
        pytest.param({"TERM": "dumb"}, True, id="auto-without-colours"),
        pytest.param({"TERM": "xterm", "LAGESBILD_LOG_FORMAT": "json"}, False, id="json-asked"),
    ],
)
async def test_serve_on_a_terminal_logs_plain_lines_or_json_as_configured(
    dsn: str, tmp_path: Path, setting: dict[str, str], readable: bool
) -> None:
    env = environment(dsn, tmp_path, free_port(), **setting)
    async with on_a_terminal("serve", env=env) as terminal:
        text = await terminal.until(lambda seen: SERVES_ON.search(seen) is not None)
    assert "\x1b[" not in text  # TERM=dumb shows no colours; JSON has none either
    served = SERVES_ON.search(text)
    assert served is not None
    logs = text[: served.start()].splitlines()
    assert logs
    if readable:
        assert ("info", "hub.started") in console_lines("\n".join(logs))
    else:
        assert "hub.started" in [json.loads(line)["event"] for line in logs]


async def test_serve_without_a_terminal_logs_json_lines(dsn: str, tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "serve",
        cwd=ROOT,
        env=environment(dsn, tmp_path, free_port(), TERM="xterm-256color"),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        async with asyncio.timeout(TIMEOUT):
            served = (await process.stdout.readline()).decode()
    finally:
        await stop(process)
    assert served.startswith("Lägesbild serves on http://127.0.0.1:"), served
    err = (await process.stderr.read()).decode()
    events = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert "hub.started" in [event["event"] for event in events]
    assert all(event["timestamp"].endswith("Z") for event in events)
