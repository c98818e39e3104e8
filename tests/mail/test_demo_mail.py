"""In the demo, a reminder mail answered from a shell makes the report appear live."""

from __future__ import annotations

import asyncio
import re
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

from adapters.mail import answer
from service.demo.ports import free_port
from tests.command import ROOT, child_environment

TIMEOUT = 120.0
READS_ON = re.compile(r"Demo: reports by e-mail are read on 127\.0\.0\.1:(\d+)")


def token_of(data_dir: Path, label: str) -> str:
    for line in (data_dir / "demo-tokens.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{label}="):
            return line.partition("=")[2]
    raise AssertionError(f"no {label} token")


@pytest.mark.timeout(TIMEOUT + 30)
async def test_a_demo_reminder_answered_from_the_shell_is_stored_and_streamed(
    dsn: str, tmp_path: Path
) -> None:
    port = free_port()
    env = child_environment(
        DATABASE_URL=dsn,
        LAGESBILD_DATA_DIR=str(tmp_path),
        LAGESBILD_PORT=str(port),
        LAGESBILD_LOG_LEVEL="warning",
        PYTHONIOENCODING="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "demo",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        seen: list[str] = []
        async with asyncio.timeout(TIMEOUT):
            while not any(line.startswith("Lägesbild serves on") for line in seen):
                seen.append((await process.stdout.readline()).decode())
        mail_port = next(int(m[1]) for line in seen if (m := READS_ON.search(line)))
        situation = f"Vägarna röjda {uuid.uuid4().hex[:8]}"
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {token_of(tmp_path, 'VIEWER_LST14')}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.get(f"{base}/api/v1/incidents") as listed:
                [incident] = (await listed.json())["incidents"]
            topic = f"incident:{incident['id']}"
            async with session.ws_connect(f"{base}/api/v1/stream") as ws:
                await ws.send_json({"type": "subscribe", "topic": topic})
                while (await ws.receive_json())["type"] != "snapshot":
                    pass

                answered = await asyncio.to_thread(
                    answer.main,
                    [
                        str(tmp_path / "demo-mail"),
                        "--port",
                        str(mail_port),
                        "--situation",
                        situation,
                    ],
                )

                assert answered == 0
                async with asyncio.timeout(30):
                    frame = await ws.receive_json()
                    while frame.get("type") != "event":
                        frame = await ws.receive_json()
        assert frame["event"]["kind"] == "report.submitted"
        assert frame["event"]["data"]["report"]["situation"] == situation
    finally:
        process.terminate()
        await process.wait()
