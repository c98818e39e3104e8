"""In the demo, a reminder mail answered from a shell makes the report appear live, and
a reporting drill started there credits its answers by web and by mail."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from pathlib import Path

import aiohttp
import pytest

from adapters.mail import answer
from service.demo.ports import free_port
from tests.command import ROOT, child_environment
from tests.support import report

TIMEOUT = 120.0
READS_ON = re.compile(r"Demo: reports by e-mail are read on 127\.0\.0\.1:(\d+)")


def token_of(data_dir: Path, label: str) -> str:
    for line in (data_dir / "demo-tokens.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{label}="):
            return line.partition("=")[2]
    raise AssertionError(f"no {label} token")


@contextlib.asynccontextmanager
async def demo_running(dsn: str, data_dir: Path) -> AsyncIterator[tuple[str, int]]:
    """`lagesbild demo` in a child process: its URL and the port it reads mail on."""
    port = free_port()
    env = child_environment(
        DATABASE_URL=dsn,
        LAGESBILD_DATA_DIR=str(data_dir),
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
        yield f"http://127.0.0.1:{port}", mail_port
    finally:
        process.terminate()
        await process.wait()


def _answer(path: Path, mail_port: int, situation: str) -> int:
    return answer.main([str(path), "--port", str(mail_port), "--situation", situation])


@pytest.mark.timeout(TIMEOUT + 30)
async def test_a_demo_reminder_answered_from_the_shell_is_stored_and_streamed(
    dsn: str, tmp_path: Path
) -> None:
    situation = f"Vägarna röjda {uuid.uuid4().hex[:8]}"
    async with demo_running(dsn, tmp_path) as (base, mail_port):
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
                    _answer, tmp_path / "demo-mail", mail_port, situation
                )
                assert answered == 0
                async with asyncio.timeout(30):
                    frame = await ws.receive_json()
                    while frame.get("type") != "event":
                        frame = await ws.receive_json()
    assert frame["event"]["kind"] == "report.submitted"
    assert frame["event"]["data"]["report"]["situation"] == situation


def _drill_mail(folder: Path, address: str, after: set[Path]) -> Path | None:
    """The drill's mail to `address`, if the demo's mail sink has it yet."""
    for path in sorted(set(folder.glob("*.eml")) - after):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        if address in str(mail["To"]) and "Rapporteringsövning:" in str(mail["Subject"]):
            return path
    return None


async def _drill_mail_to(folder: Path, address: str, after: set[Path]) -> Path:
    while True:
        found = await asyncio.to_thread(_drill_mail, folder, address, after)
        if found is not None:
            return found
        await asyncio.sleep(0.2)


@pytest.mark.timeout(TIMEOUT + 60)
async def test_a_drill_started_in_the_demo_credits_answers_by_web_and_by_mail(
    dsn: str, tmp_path: Path
) -> None:
    async with demo_running(dsn, tmp_path) as (base, mail_port):
        folder = tmp_path / "demo-mail"
        before = set(await asyncio.to_thread(lambda: list(folder.glob("*.eml"))))

        def bearer(label: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token_of(tmp_path, label)}"}

        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{base}/api/v1/drills",
                json={"county": "14", "message": "Rapportera läget.", "respond_minutes": 30},
                headers=bearer("DUTY_OFFICER_LST14"),
            ) as started:
                assert started.status == 201, await started.text()
                drill = await started.json()
            # Vårgårda answers from the web (the demo's reporter token) …
            async with session.post(
                f"{base}/api/v1/incidents/{drill['incident_id']}/reports",
                json=report("1442", situation="Lugnt i Vårgårda"),
                headers=bearer("REPORTER_1442"),
            ) as sent:
                assert sent.status == 201, await sent.text()
            # … and Göteborg by answering the drill's mail.
            async with asyncio.timeout(30):
                mail = await _drill_mail_to(folder, "krisledning-1480@example.se", before)
            assert await asyncio.to_thread(_answer, mail, mail_port, "Lugnt i Göteborg") == 0
            async with asyncio.timeout(30):
                while True:
                    async with session.get(
                        f"{base}/api/v1/drills/{drill['id']}", headers=bearer("VIEWER_LST14")
                    ) as read:
                        assert read.status == 200
                        result = await read.json()
                    answered = {
                        p["organisation"]["code"]: p
                        for p in result["participants"]
                        if p["responded_at"] is not None
                    }
                    if "1480" in answered:
                        break
                    await asyncio.sleep(0.2)
    assert set(answered) == {"1442", "1480"}
    assert answered["1442"]["responded_by_channel"] == "web"
    assert answered["1480"]["responded_by_channel"] == "mail"
    assert all(p["response_seconds"] is not None and p["in_time"] for p in answered.values())
    assert len(result["not_responded"]) == len(result["participants"]) - 2
